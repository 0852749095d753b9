package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.Indexing;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Sorting;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * squeeze, expand_dims, pad, dynamic_slice, dynamic_update_slice, cumsum and sort: cpu-simd has its
 * own kernels for them, and they agree with the reference backend bit for bit (signed zeros and NaN
 * included, which the testkit's tolerance check does not tell apart), eagerly and inside jit graphs
 * between fused clusters.
 */
class WindowScanSortTest {
  private static final List<Primitive> PRIMITIVES =
      List.of(
          Indexing.SQUEEZE,
          Indexing.EXPAND_DIMS,
          Indexing.PAD,
          Indexing.DYNAMIC_SLICE,
          Indexing.DYNAMIC_UPDATE_SLICE,
          Reductions.CUMSUM,
          Sorting.SORT);

  @Test
  void cpuSimdHasItsOwnKernels() {
    Backend b = Backends.get(CpuBackend.NAME);
    for (Primitive p : PRIMITIVES) {
      assertTrue(b.kernel(p).isPresent(), p.name());
    }
  }

  private static <T> T on(String backend, Supplier<T> body) {
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(backend);
    try {
      return body.get();
    } finally {
      Backends.setDefault(prev.name());
    }
  }

  /** Raw bits of every result (F32 widened to double, which keeps the sign of zero and NaN). */
  private static List<long[]> bits(List<Tensor> out) {
    List<long[]> r = new ArrayList<>();
    for (Tensor t : out) {
      double[] d = t.toDoubleArray();
      long[] b = new long[d.length];
      for (int i = 0; i < d.length; i++) {
        b[i] = Double.doubleToRawLongBits(d[i]);
      }
      r.add(b);
    }
    return r;
  }

  private static void assertSameBits(List<long[]> want, List<long[]> got, String what) {
    assertEquals(want.size(), got.size(), what);
    for (int k = 0; k < want.size(); k++) {
      assertEquals(want.get(k).length, got.get(k).length, what + " result " + k + " length");
      for (int i = 0; i < want.get(k).length; i++) {
        long w = want.get(k)[i];
        long g = got.get(k)[i];
        int kk = k;
        int ii = i;
        assertEquals(
            w,
            g,
            () ->
                what
                    + " result "
                    + kk
                    + "["
                    + ii
                    + "]: got "
                    + Double.longBitsToDouble(g)
                    + ", expected "
                    + Double.longBitsToDouble(w));
      }
    }
  }

  private static final double[] SPECIALS = {
    -0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5, -1.5, 0.5
  };

  private static double[] specials(Random r, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextInt(2) == 0 ? SPECIALS[r.nextInt(SPECIALS.length)] : (r.nextInt(5) - 2) * 0.5;
    }
    return v;
  }

  /** Signed zeros, NaN and infinities through sort, argsort, cumsum and pad, eagerly. */
  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void specialValuesMatchTheReferenceBitForBit(DType t) {
    for (int[] shape : new int[][] {{40}, {6, 33}, {33, 6}, {3, 70, 2}}) {
      double[] v = specials(new Random(shape.length * 31L + shape[0]), size(shape));
      Function<String, List<long[]>> f =
          backend ->
              on(
                  backend,
                  () -> {
                    Tensor x = Ops.astype(Tensor.fromArray(v, shape), t);
                    List<Tensor> out = new ArrayList<>();
                    for (int a = 0; a < shape.length; a++) {
                      out.add(Ops.sort(x, a));
                      out.add(Ops.argsort(x, a));
                      out.add(Ops.cumsum(x, a, false));
                      out.add(Ops.cumsum(x, a, true));
                    }
                    int[] w = new int[shape.length];
                    java.util.Arrays.fill(w, 2);
                    out.add(Ops.pad(x, w, w, new int[shape.length], Tensor.scalar(-0.0, t)));
                    return bits(out);
                  });
      assertSameBits(f.apply("reference"), f.apply(CpuBackend.NAME), t + " " + shapeStr(shape));
    }
  }

  /**
   * Operands large enough to split over the pool (several fill blocks, placement rows, cumsum
   * column blocks and sort lines per thread), every dtype, against the reference bit for bit.
   */
  @ParameterizedTest
  @EnumSource(DType.class)
  void largeOperandsMatchTheReferenceBitForBit(DType t) {
    int[] shape = {300, 2301};
    Random r = new Random(11);
    double[] v = new double[size(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextInt(7) - 3;
    }
    double[] u = new double[151 * 1000];
    for (int i = 0; i < u.length; i++) {
      u[i] = r.nextInt(7) - 3;
    }
    Function<String, List<long[]>> f =
        backend ->
            on(
                backend,
                () -> {
                  Tensor x = Ops.astype(Tensor.fromArray(v, shape), t);
                  Tensor up = Ops.astype(Tensor.fromArray(u, 151, 1000), t);
                  List<Tensor> s = List.of(Tensor.scalar(200, DType.I64), Tensor.scalar(1999));
                  List<Tensor> out = new ArrayList<>();
                  out.add(
                      Ops.pad(
                          x,
                          new int[] {5, 0},
                          new int[] {7, 9},
                          new int[] {1, 0},
                          Ops.astype(Tensor.scalar(1), t)));
                  out.add(
                      Ops.dynamicSlice(
                          x, List.of(s.get(0), Ops.astype(s.get(1), DType.I64)), 150, 1001));
                  out.add(
                      Ops.dynamicUpdateSlice(
                          x,
                          up,
                          List.of(
                              Ops.astype(s.get(0), DType.I32), Ops.astype(s.get(1), DType.I32))));
                  if (t != DType.BOOL) {
                    for (int a = 0; a < 2; a++) {
                      out.add(Ops.cumsum(x, a, false));
                      out.add(Ops.cumsum(x, a, true));
                    }
                  }
                  out.add(Ops.sort(x, 1));
                  out.add(Ops.sort(x, 0));
                  out.add(Ops.squeeze(Ops.expandDims(x, 1), 1));
                  return bits(out);
                });
    assertSameBits(f.apply("reference"), f.apply(CpuBackend.NAME), t + " large");
  }

  private static int size(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  private static String shapeStr(int[] s) {
    return java.util.Arrays.toString(s);
  }

  /**
   * A program mixing fused elementwise clusters with the seven primitives (traced start indices,
   * one of them negative, so clamped): on cpu-simd eagerly and under jit, with and without code
   * generation, it matches the reference bit for bit (the data are small halves, so every sum and
   * product is exact and sorting sees many ties).
   */
  static List<Tensor> program(List<Tensor> in) {
    Tensor x = in.get(0); // [m, 7]
    Tensor y = in.get(1); // [m, 7]
    Tensor s = in.get(2); // i32 scalar
    Tensor a = Ops.maximum(Ops.mul(x, y), Ops.neg(x));
    Tensor p =
        Ops.pad(
            a, new int[] {1, 0}, new int[] {2, 3}, new int[] {0, 1}, Tensor.scalar(-1, x.dtype()));
    Tensor q = Ops.squeeze(Ops.add(Ops.expandDims(p, 0, 3), Ops.weak(0.5, x)), 0, 3);
    Tensor ds = Ops.dynamicSlice(q, List.of(s, Ops.neg(s)), 4, 5);
    Tensor u =
        Ops.dynamicUpdateSlice(
            Ops.add(x, y), Ops.sub(ds, Ops.slice(Ops.slice(y, 0, 0, 4), 1, 0, 5)), List.of(s, s));
    Tensor c = Ops.cumsum(Ops.sub(u, x), 0, true);
    Tensor c1 = Ops.cumsum(Ops.mul(c, y), 1, false);
    Tensor so = Ops.sort(Ops.add(c1, y), 1);
    Tensor ag = Ops.argsort(Ops.sub(x, y), 0);
    return List.of(p, q, ds, u, c, c1, so, ag, Ops.sum(so));
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void jitGraphsMatchTheReferenceBitForBit(DType t) {
    int m = 11;
    Random r = new Random(5);
    double[] xv = new double[m * 7];
    double[] yv = new double[m * 7];
    for (int i = 0; i < xv.length; i++) {
      xv[i] = (r.nextInt(9) - 4) * 0.5;
      yv[i] = (r.nextInt(9) - 4) * 0.5;
    }
    for (int start : new int[] {-3, 2, 9}) {
      Function<Boolean, Function<String, List<long[]>>> run =
          jit ->
              backend ->
                  on(
                      backend,
                      () -> {
                        List<Tensor> in =
                            List.of(
                                Ops.astype(Tensor.fromArray(xv, m, 7), t),
                                Ops.astype(Tensor.fromArray(yv, m, 7), t),
                                Tensor.scalar(start, DType.I32));
                        return bits(
                            jit ? Arbor.jit(WindowScanSortTest::program).apply(in) : program(in));
                      });
      List<long[]> want = run.apply(false).apply("reference");
      String what = t + " start " + start;
      assertSameBits(want, run.apply(true).apply("reference"), what + " reference jit");
      assertSameBits(want, run.apply(false).apply(CpuBackend.NAME), what + " cpu-simd eager");
      boolean prev = FusedKernel.codegen;
      try {
        for (boolean codegen : new boolean[] {true, false}) {
          FusedKernel.codegen = codegen;
          assertSameBits(
              want,
              run.apply(true).apply(CpuBackend.NAME),
              what + " cpu-simd jit, codegen " + codegen);
        }
      } finally {
        FusedKernel.codegen = prev;
      }
    }
  }
}
