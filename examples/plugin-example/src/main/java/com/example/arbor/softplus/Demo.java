package com.example.arbor.softplus;

import dev.arbor.Arbor;
import dev.arbor.ValueAndGrad;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Kernels;
import dev.arbor.core.Primitives;
import dev.arbor.plugin.PluginProblems;
import dev.arbor.tree.Trees;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Uses everything the plugin contributes under {@code grad}, {@code vmap} and {@code jit}, and
 * prints {@code key=value} lines (the plugin's integration test reads them).
 *
 * <pre>java -cp arbor-core.jar:guava.jar:classgraph.jar:arbor-softplus-plugin.jar \
 *     com.example.arbor.softplus.Demo</pre>
 *
 * <p>With {@code arbor-cpu.jar} added and {@code --add-modules jdk.incubator.vector}, the same demo
 * runs on {@code cpu-simd} and uses the plugin's cpu-simd kernel ({@code KEY.simdCalls} lines).
 */
public final class Demo {
  private Demo() {}

  /** Runs the demo; no arguments. */
  public static void main(String[] args) {
    System.out.println("backend=" + Arbor.backend());
    System.out.println(
        "primitive=" + Primitives.get("softplus").map(p -> p.origin()).orElse("missing"));

    // Which cpu-simd kernel softplus has: this plugin's (registered even where cpu-simd is absent).
    System.out.println(
        "cpuSimdKernel="
            + Kernels.registered("cpu-simd", Softplus.PRIMITIVE)
                .map(Kernels.Registration::origin)
                .orElse("none"));

    // The primitive: eager, grad, vmap, jit. Each line is followed by "KEY.simdCalls=N", how many
    // times the cpu-simd kernel ran for it (0 on the reference backend).
    Tensor x = Tensor.of(-2.0, 0.0, 3.0);
    print("softplus", () -> Softplus.softplus(x));
    print("grad", () -> Arbor.grad((Tensor t) -> Softplus.softplus(t).sum()).apply(x));
    Tensor rows = Tensor.fromArray(new double[] {-1, 0, 1, 2, 3, 4}, 2, 3);
    print("vmap", () -> Arbor.vmap((Tensor r) -> Softplus.softplus(r).sum()).apply(rows));
    print("jit", () -> Arbor.jit((Tensor t) -> Softplus.softplus(t).mul(2.0)).apply(x));
    print(
        "vmapGrad",
        () -> Arbor.vmap(Arbor.grad((Tensor r) -> Softplus.softplus(r).sum())).apply(rows));
    // F32, longer than a vector (full vectors and a masked tail), with large |x|.
    double[] wide = new double[37];
    for (int k = 0; k < wide.length; k++) {
      wide[k] = -90 + 5 * k;
    }
    print("softplusF32", () -> Softplus.softplus(Ops.astype(Tensor.of(wide), DType.F32)));

    // The layer: a record module, so gradients come back as a SoftplusDense.
    SoftplusDense layer =
        new SoftplusDense(Tensor.fromArray(new double[] {0.5, -1, 1, 2}, 2, 2), Tensor.of(0.1, 0.2));
    Tensor batch = Tensor.fromArray(new double[] {1, 2, 0, -1, 3, 0.5}, 3, 2);
    print("layer", () -> layer.call(batch));
    print("layerVmap", () -> Arbor.vmap((Tensor row) -> layer.call(row)).apply(batch));
    print("layerJit", () -> Arbor.jit((Tensor b) -> layer.call(b)).apply(batch));
    BiFunction<SoftplusDense, Tensor, Tensor> loss = (m, b) -> m.call(b).sum();
    SoftplusDense[] g = new SoftplusDense[1];
    print("layerGradW", () -> (g[0] = Arbor.grad(loss).apply(layer, batch)).w());
    print("layerGradB", () -> g[0].b());
    // jit of the value and the gradient: a jitted grad alone would not run softplus at all (its
    // derivative needs only sigmoid, so jit drops the forward softplus as dead code).
    AtomicReference<ValueAndGrad<SoftplusDense>> vg = new AtomicReference<>();
    print(
        "layerJitLoss",
        () -> {
          vg.set(Arbor.jit((SoftplusDense m) -> Arbor.valueAndGrad(loss).apply(m, batch)).apply(layer));
          return vg.get().value();
        });
    print("layerJitGradW", () -> vg.get().grad().w());

    // Node types: one from ServiceLoader, one found by scanning.
    Object tree = new Interval(Tensor.of(0.0), new Scaled(Tensor.of(1.0, 2.0), 3));
    System.out.println("structure=" + Trees.structure(tree));
    Object doubled = Trees.map(v -> ((Tensor) v).mul(2.0), tree);
    System.out.println(
        "mapped="
            + Trees.leaves(doubled).stream()
                .map(v -> Arrays.toString(((Tensor) v).toDoubleArray()))
                .toList());
    Trees.registeredNodeTypes().stream()
        .filter(r -> r.type().getName().startsWith("com.example"))
        .forEach(r -> System.out.println("registered=" + r.type().getName() + " " + r.source()));
    PluginProblems.list().forEach(p -> System.out.println("problem=" + p));
  }

  private static void print(String key, Supplier<Tensor> computation) {
    long before = SoftplusCpuKernels.calls();
    Tensor t = computation.get();
    System.out.println(key + "=" + Arrays.toString(t.toDoubleArray()));
    System.out.println(key + ".simdCalls=" + (SoftplusCpuKernels.calls() - before));
  }
}
