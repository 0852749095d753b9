package com.example.arbor.softplus;

import dev.arbor.Arbor;
import dev.arbor.array.Tensor;
import dev.arbor.core.Primitives;
import dev.arbor.tree.Trees;
import java.util.Arrays;
import java.util.function.BiFunction;

/**
 * Uses everything the plugin contributes under {@code grad}, {@code vmap} and {@code jit}, and
 * prints {@code key=value} lines (the plugin's integration test reads them).
 *
 * <pre>java -cp arbor-core.jar:guava.jar:classgraph.jar:arbor-softplus-plugin.jar \
 *     com.example.arbor.softplus.Demo</pre>
 */
public final class Demo {
  private Demo() {}

  /** Runs the demo; no arguments. */
  public static void main(String[] args) {
    System.out.println("backend=" + Arbor.backend());
    System.out.println(
        "primitive=" + Primitives.get("softplus").map(p -> p.origin()).orElse("missing"));

    // The primitive: eager, grad, vmap, jit.
    Tensor x = Tensor.of(-2.0, 0.0, 3.0);
    print("softplus", Softplus.softplus(x));
    print("grad", Arbor.grad((Tensor t) -> Softplus.softplus(t).sum()).apply(x));
    Tensor rows = Tensor.fromArray(new double[] {-1, 0, 1, 2, 3, 4}, 2, 3);
    print("vmap", Arbor.vmap((Tensor r) -> Softplus.softplus(r).sum()).apply(rows));
    print("jit", Arbor.jit((Tensor t) -> Softplus.softplus(t).mul(2.0)).apply(x));
    print(
        "vmapGrad",
        Arbor.vmap(Arbor.grad((Tensor r) -> Softplus.softplus(r).sum())).apply(rows));

    // The layer: a record module, so gradients come back as a SoftplusDense.
    SoftplusDense layer =
        new SoftplusDense(Tensor.fromArray(new double[] {0.5, -1, 1, 2}, 2, 2), Tensor.of(0.1, 0.2));
    Tensor batch = Tensor.fromArray(new double[] {1, 2, 0, -1, 3, 0.5}, 3, 2);
    print("layer", layer.call(batch));
    print("layerVmap", Arbor.vmap((Tensor row) -> layer.call(row)).apply(batch));
    print("layerJit", Arbor.jit((Tensor b) -> layer.call(b)).apply(batch));
    BiFunction<SoftplusDense, Tensor, Tensor> loss = (m, b) -> m.call(b).sum();
    SoftplusDense g = Arbor.grad(loss).apply(layer, batch);
    print("layerGradW", g.w());
    print("layerGradB", g.b());
    SoftplusDense gj = Arbor.jit((SoftplusDense m) -> Arbor.grad(loss).apply(m, batch)).apply(layer);
    print("layerJitGradW", gj.w());

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
  }

  private static void print(String key, Tensor t) {
    System.out.println(key + "=" + Arrays.toString(t.toDoubleArray()));
  }
}
