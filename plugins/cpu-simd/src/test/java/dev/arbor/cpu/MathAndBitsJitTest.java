package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Threefry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * rem, erf_inv, reduce_prod, the bitwise ops, argmax and threefry2x32 on cpu-simd, eagerly and
 * under {@code jit} (generated cluster loops, the block interpreter, and clusters of integer or
 * bool ops that both leave to the kernels one equation at a time), against the reference backend;
 * and threefry2x32 against Random123's known answers.
 */
class MathAndBitsJitTest {
  private static final int ROWS = 37;
  private static final int COLS = 45;

  /** rem and erf_inv in one cluster; products per row, in total and per column (leading axis). */
  private static List<Tensor> floats(List<Tensor> in) {
    Tensor x = in.get(0);
    Tensor y = in.get(1);
    Tensor r = Ops.rem(Ops.mul(x, Ops.weak(3.0, x)), y);
    // (0.9 tanh: erf_inv is ill-conditioned near ±1, where tanh's own ulps would dominate.)
    Tensor e = Ops.erfInv(Ops.mul(Ops.tanh(x), Ops.weak(0.9, x)));
    Tensor v = Ops.add(Ops.mul(Ops.tanh(y), Ops.weak(0.05, y)), Ops.weak(1.0, y));
    return List.of(
        Ops.add(r, e),
        Ops.prod(v, 1),
        Ops.prod(Ops.mul(v, v), 0, 1),
        Ops.prod(Ops.sub(Ops.weak(1.0, v), Ops.mul(v, Ops.weak(0.01, v))), 0));
  }

  /** A float cluster with bool and/or/not of comparisons (masks in a generated loop). */
  private static List<Tensor> masks(List<Tensor> in) {
    Tensor x = in.get(0);
    Tensor y = in.get(1);
    Tensor both = Ops.logicalAnd(Elementwise.gt(x, y), Ops.logicalNot(Elementwise.lt(y, x)));
    Tensor either = Ops.logicalOr(Ops.greater(x, Ops.weak(0.0, x)), both);
    return List.of(
        Ops.where(either, Ops.rem(x, y), Ops.erfInv(Ops.mul(y, Ops.weak(0.4, y)))),
        Ops.argmax(x, 1));
  }

  /** Integer bitwise ops and shifts in one cluster, and a threefry hash of them. */
  private static List<Tensor> ints(List<Tensor> in) {
    Tensor i = in.get(0);
    Tensor j = in.get(1);
    Tensor k = in.get(2);
    Tensor a = Ops.bitwiseAnd(i, Ops.bitwiseNot(j));
    Tensor b = Ops.bitwiseXor(Ops.bitwiseOr(a, j), i);
    Tensor s = Elementwise.shiftLeft(b, k);
    Tensor t = Elementwise.shiftRightLogical(a, k);
    List<Tensor> h = Threefry.threefry2x32(List.of(i, j, s, t));
    return List.of(s, t, h.get(0), h.get(1));
  }

  private static List<Tensor> inputs(DType t) {
    Random r = new Random(5);
    double[] x = new double[ROWS * COLS];
    double[] y = new double[ROWS * COLS];
    for (int n = 0; n < x.length; n++) {
      x[n] = r.nextGaussian() * 4;
      y[n] = (0.2 + r.nextDouble() * 2) * (r.nextBoolean() ? 1 : -1);
    }
    return List.of(
        Ops.astype(Tensor.fromArray(x, ROWS, COLS), t),
        Ops.astype(Tensor.fromArray(y, ROWS, COLS), t));
  }

  private static List<Tensor> intInputs() {
    Random r = new Random(6);
    int[][] v = new int[3][ROWS * COLS];
    for (int n = 0; n < v[0].length; n++) {
      v[0][n] = r.nextInt();
      v[1][n] = r.nextInt();
      v[2][n] = r.nextInt(40) - 4; // negative and >= 32 counts too
    }
    List<Tensor> in = new ArrayList<>();
    for (int[] a : v) {
      in.add(Ops.reshape(Tensor.of(a), ROWS, COLS));
    }
    return in;
  }

  private static List<double[]> run(
      String backend,
      boolean jit,
      boolean codegen,
      Function<List<Tensor>, List<Tensor>> f,
      java.util.function.Supplier<List<Tensor>> in) {
    Backend prev = Backends.defaultBackend();
    boolean prevCodegen = FusedKernel.codegen;
    Backends.setDefault(backend);
    FusedKernel.codegen = codegen;
    try {
      List<Tensor> out = jit ? Arbor.jit(f).apply(in.get()) : f.apply(in.get());
      List<double[]> r = new ArrayList<>();
      for (Tensor o : out) {
        r.add(o.toDoubleArray());
      }
      return r;
    } finally {
      FusedKernel.codegen = prevCodegen;
      Backends.setDefault(prev.name());
    }
  }

  private static void assertClose(
      String what, List<double[]> want, List<double[]> got, double rtol) {
    assertEquals(want.size(), got.size(), what);
    for (int k = 0; k < want.size(); k++) {
      double[] w = want.get(k);
      double[] g = got.get(k);
      assertEquals(w.length, g.length, what);
      for (int i = 0; i < w.length; i++) {
        int kk = k;
        int ii = i;
        assertTrue(
            g[i] == w[i]
                || Double.isNaN(g[i]) && Double.isNaN(w[i])
                || Math.abs(g[i] - w[i]) <= rtol * Math.abs(w[i]),
            () -> what + " output " + kk + "[" + ii + "]: " + g[ii] + " vs " + w[ii]);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void remErfInvAndProdMatchTheReferenceEagerAndUnderJit(DType t) {
    double rtol = t == DType.F32 ? 1e-5 : 1e-12; // erf_inv's few ulp; products' rounding
    List<double[]> ref = run("reference", false, true, MathAndBitsJitTest::floats, () -> inputs(t));
    assertClose(
        t + " eager",
        ref,
        run(CpuBackend.NAME, false, true, MathAndBitsJitTest::floats, () -> inputs(t)),
        rtol);
    long generated = FusedKernel.GENERATED_RUNS.get();
    assertClose(
        t + " jit, generated loops",
        ref,
        run(CpuBackend.NAME, true, true, MathAndBitsJitTest::floats, () -> inputs(t)),
        rtol);
    assertTrue(FusedKernel.GENERATED_RUNS.get() > generated, "rem/erf_inv cluster generated");
    long blocks = FusedKernel.BLOCK_RUNS.get();
    assertClose(
        t + " jit, block interpreter",
        ref,
        run(CpuBackend.NAME, true, false, MathAndBitsJitTest::floats, () -> inputs(t)),
        rtol);
    assertTrue(FusedKernel.BLOCK_RUNS.get() > blocks, "rem/erf_inv cluster in blocks");
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void boolOpsInFloatClustersMatchTheReference(DType t) {
    double rtol = t == DType.F32 ? 1e-5 : 1e-12;
    List<double[]> ref = run("reference", false, true, MathAndBitsJitTest::masks, () -> inputs(t));
    assertClose(
        t + " eager",
        ref,
        run(CpuBackend.NAME, false, true, MathAndBitsJitTest::masks, () -> inputs(t)),
        rtol);
    long generated = FusedKernel.GENERATED_RUNS.get();
    assertClose(
        t + " jit, generated loops",
        ref,
        run(CpuBackend.NAME, true, true, MathAndBitsJitTest::masks, () -> inputs(t)),
        rtol);
    assertTrue(
        FusedKernel.GENERATED_RUNS.get() > generated,
        "bool and/or/not of masks in a generated loop");
    long interpreted = FusedKernel.INTERPRETED_RUNS.get();
    assertClose(
        t + " jit, without codegen",
        ref,
        run(CpuBackend.NAME, true, false, MathAndBitsJitTest::masks, () -> inputs(t)),
        rtol);
    assertTrue(
        FusedKernel.INTERPRETED_RUNS.get() > interpreted,
        "the block interpreter leaves bool ops to the kernels, equation by equation");
  }

  @Test
  void bitwiseShiftsAndThreefryMatchTheReferenceEagerAndUnderJit() {
    List<double[]> ref =
        run("reference", false, true, MathAndBitsJitTest::ints, MathAndBitsJitTest::intInputs);
    assertClose(
        "eager",
        ref,
        run(CpuBackend.NAME, false, true, MathAndBitsJitTest::ints, MathAndBitsJitTest::intInputs),
        0);
    assertClose(
        "jit",
        ref,
        run(CpuBackend.NAME, true, true, MathAndBitsJitTest::ints, MathAndBitsJitTest::intInputs),
        0);
  }

  /** Random123's known answers for threefry2x32_20: key, counter, expected output. */
  private static final long[][] KATS = {
    {0, 0, 0, 0, 0x6b200159L, 0x99ba4efeL},
    {0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0x1cb996fcL, 0xbb002be7L},
    {0x13198a2eL, 0x03707344L, 0x243f6a88L, 0x85a308d3L, 0xc4923a9cL, 0x483df7a0L},
  };

  @Test
  void threefryGivesRandom123KnownAnswers() {
    // 37 elements: the known answers cycled through full vectors and a masked tail.
    int n = 37;
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(CpuBackend.NAME);
    try {
      List<Tensor> in = new ArrayList<>();
      for (int k = 0; k < 4; k++) {
        int[] col = new int[n];
        for (int e = 0; e < n; e++) {
          col[e] = (int) KATS[e % KATS.length][k];
        }
        in.add(Tensor.of(col));
      }
      List<Tensor> out = Threefry.threefry2x32(in);
      long[] y0 = out.get(0).toLongArray();
      long[] y1 = out.get(1).toLongArray();
      long[] want0 = new long[n];
      long[] want1 = new long[n];
      long[] got0 = new long[n];
      long[] got1 = new long[n];
      for (int e = 0; e < n; e++) {
        want0[e] = KATS[e % KATS.length][4];
        want1[e] = KATS[e % KATS.length][5];
        got0[e] = y0[e] & 0xFFFFFFFFL;
        got1[e] = y1[e] & 0xFFFFFFFFL;
      }
      assertArrayEquals(want0, got0);
      assertArrayEquals(want1, got1);
    } finally {
      Backends.setDefault(prev.name());
    }
  }
}
