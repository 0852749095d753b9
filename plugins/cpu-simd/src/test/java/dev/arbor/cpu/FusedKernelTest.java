package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.HostArray;
import dev.arbor.backend.Kernel;
import dev.arbor.backend.Kernels;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.Elementwise;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * jit fusion clusters on cpu-simd against the same jitted function on the reference backend: the
 * generated loop ({@link FusedCodegen}), the block loop (elementwise chains with broadcasts,
 * selects, several outputs, a trailing total reduction) and the equation-by-equation path (partial
 * reductions, integer math, a plugin's primitive with a kernel registered for cpu-simd).
 */
class FusedKernelTest {
  private static List<double[]> run(
      String backend, DType t, Function<List<Tensor>, List<Tensor>> f, int n) {
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(backend);
    try {
      Random r = new Random(3);
      double[] a = new double[n];
      double[] b = new double[n];
      for (int i = 0; i < n; i++) {
        a[i] = r.nextGaussian();
        b[i] = r.nextGaussian();
      }
      Tensor x = Ops.astype(Tensor.fromArray(a, n / 7, 7), t);
      Tensor y = Ops.astype(Tensor.fromArray(b, n / 7, 7), t);
      List<Tensor> out = Arbor.jit(f).apply(List.of(x, y));
      return out.stream().map(Tensor::toDoubleArray).toList();
    } finally {
      Backends.setDefault(prev.name());
    }
  }

  /**
   * Runs {@code f} on cpu-simd with code generation on (expecting a generated loop) and off
   * (expecting {@code interpretedPath}), each against the reference backend.
   */
  private static void compareBoth(
      DType t, Function<List<Tensor>, List<Tensor>> f, AtomicLong interpretedPath, int n) {
    compare(t, f, FusedKernel.GENERATED_RUNS, n, true);
    compare(t, f, interpretedPath, n, false);
  }

  private static void compare(
      DType t, Function<List<Tensor>, List<Tensor>> f, AtomicLong path, int n, boolean codegen) {
    boolean prev = FusedKernel.codegen;
    FusedKernel.codegen = codegen;
    List<double[]> got;
    long before = path.get();
    try {
      got = run(CpuBackend.NAME, t, f, n);
    } finally {
      FusedKernel.codegen = prev;
    }
    assertTrue(path.get() > before, "the expected cluster path ran (codegen " + codegen + ")");
    List<double[]> want = run("reference", t, f, n);
    double rtol = t == DType.F32 ? 1e-5 : 1e-12;
    assertEquals(want.size(), got.size());
    for (int k = 0; k < want.size(); k++) {
      double scale = 0;
      for (double v : want.get(k)) {
        scale += Math.abs(v);
      }
      scale = Math.max(1, scale / Math.max(1, want.get(k).length));
      for (int i = 0; i < want.get(k).length; i++) {
        double g = got.get(k)[i];
        double w = want.get(k)[i];
        double tol = rtol * (want.get(k).length == 1 ? n * scale : Math.max(Math.abs(w), 1));
        int kk = k;
        int ii = i;
        assertTrue(
            Math.abs(g - w) <= tol, () -> "output " + kk + "[" + ii + "]: " + g + " vs " + w);
      }
    }
  }

  /**
   * The block loop takes its scratch from the shared pool (blocks in sessions with no owner thread,
   * see {@code BufferPool.Native.OUT}) and gives it back: repeated runs inside a scope leave the
   * pool's footprint where the first left it.
   */
  @org.junit.jupiter.api.Test
  @SuppressWarnings("try") // the scopes are only closed
  void blockLoopGivesItsScratchBackToThePool() {
    Backend prevBackend = Backends.defaultBackend();
    boolean prev = FusedKernel.codegen;
    Backends.setDefault(CpuBackend.NAME);
    FusedKernel.codegen = false;
    try {
      Function<List<Tensor>, List<Tensor>> g =
          Arbor.jit(
              (List<Tensor> xs) -> {
                Tensor h = Ops.tanh(Ops.add(xs.get(0).mul(0.75), Ops.weak(0.25, xs.get(0))));
                return List.of(h, Ops.sum(h));
              });
      List<Tensor> in = List.of(Tensor.ones(7 * 30001));
      try (var s = Arbor.scope()) {
        g.apply(in);
      }
      long blockRuns = FusedKernel.BLOCK_RUNS.get();
      long after = BufferPool.SHARED.allocatedBytes();
      for (int i = 0; i < 20; i++) {
        try (var s = Arbor.scope()) {
          g.apply(in);
        }
      }
      assertEquals(blockRuns + 20, FusedKernel.BLOCK_RUNS.get(), "the block loop ran");
      assertEquals(after, BufferPool.SHARED.allocatedBytes(), "pool footprint");
    } finally {
      FusedKernel.codegen = prev;
      Backends.setDefault(prevBackend.name());
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void tanhAffineAndTotalSumIsOneLoop(DType t) {
    compareBoth(
        t,
        xs -> {
          Tensor x = xs.get(0);
          Tensor h = Ops.tanh(Ops.add(x.mul(0.75), Ops.weak(0.25, x)));
          return List.of(h, Ops.sum(h));
        },
        FusedKernel.BLOCK_RUNS,
        7 * 30001);
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void selectsComparisonsAndBroadcastRowsInOneLoop(DType t) {
    compareBoth(
        t,
        xs -> {
          Tensor x = xs.get(0);
          Tensor y = xs.get(1);
          Tensor row = Ops.sum(y, 0); // [7], broadcast back over rows inside the cluster
          Tensor z =
              Ops.where(
                  Elementwise.gt(x, y),
                  Ops.exp(x),
                  Ops.log(Ops.add(Ops.mul(y, y), Ops.weak(1.0, y))));
          return List.of(Ops.add(z, row), Ops.mul(z, x));
        },
        FusedKernel.BLOCK_RUNS,
        7 * 1001);
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void rowReductionIsGeneratedAndInterpretedEquationByEquation(DType t) {
    compareBoth(
        t,
        xs -> List.of(Ops.sum(Ops.sin(Ops.mul(xs.get(0), xs.get(1))), 1)),
        FusedKernel.INTERPRETED_RUNS,
        7 * 333);
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void leadingAxisReductionIsGeneratedAndInterpretedEquationByEquation(DType t) {
    compareBoth(
        t,
        xs -> List.of(Ops.sum(Ops.sin(Ops.mul(xs.get(0), xs.get(1))), 0)),
        FusedKernel.INTERPRETED_RUNS,
        7 * 3333); // 14 chunks of 256 rows
  }

  /** A plugin-style primitive with no cpu-simd kernel of its own: cubes its operand. */
  private static final Primitive CUBE =
      Primitive.single("fused_kernel_test_cube")
          .kind(Primitive.Kind.ELEMENTWISE)
          .shapeRule((in, params) -> List.of(in.get(0)))
          .reference(
              (in, params, out) -> {
                HostArray r = HostArray.zeros(out.get(0));
                double[] d = in.get(0).doubles();
                for (int k = 0; k < d.length; k++) {
                  r.setDouble(k, d[k] * d[k] * d[k]);
                }
                return List.of(r);
              });

  private static final AtomicLong CUBE_CALLS = new AtomicLong();

  static {
    // What a KernelProvider for cpu-simd contributes, through the public CpuBuffer API.
    Kernel cube =
        (in, inAvals, params, outAvals) -> {
          CUBE_CALLS.incrementAndGet();
          MemorySegment x = ((CpuBuffer) in.get(0)).segment();
          CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
          MemorySegment ys = y.segment();
          boolean f32 = inAvals.get(0).dtype() == DType.F32;
          for (long k = 0; k < y.size(); k++) {
            if (f32) {
              float v = x.getAtIndex(ValueLayout.JAVA_FLOAT, k);
              ys.setAtIndex(ValueLayout.JAVA_FLOAT, k, v * v * v);
            } else {
              double v = x.getAtIndex(ValueLayout.JAVA_DOUBLE, k);
              ys.setAtIndex(ValueLayout.JAVA_DOUBLE, k, v * v * v);
            }
          }
          return List.of(y);
        };
    Kernels.commit(List.of(new Kernels.Registration(CpuBackend.NAME, CUBE, cube, "test")));
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void aPluginPrimitiveInAClusterRunsItsRegisteredKernel(DType t) {
    long calls = CUBE_CALLS.get();
    compare(
        t,
        xs -> List.of(Ops.add(CUBE.bind1(xs.get(0)).mul(0.5), xs.get(1))),
        FusedKernel.INTERPRETED_RUNS,
        7 * 301,
        true);
    assertTrue(CUBE_CALLS.get() > calls, "the registered cpu-simd kernel ran inside the cluster");
  }
}
