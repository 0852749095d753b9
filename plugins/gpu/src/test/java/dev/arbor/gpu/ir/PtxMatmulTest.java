package dev.arbor.gpu.ir;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.arbor.array.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The PTX of {@link MatmulKernel} executed by {@link PtxInterpreter} (no GPU needed): the emitted
 * text, with its launch geometry from {@link MatmulKernel#global}, on shapes that take both load
 * maps (vector and scalar), partial tiles in M, N and K, batches, transposed operands and a batch
 * stride that misaligns the second batch entry for vector loads. Every element of C (filled with
 * NaN first) must be written and agree with a double-precision product within {@code 2·K·u·Σ|a·b|};
 * the interpreter also fails any out-of-bounds or misaligned access, predicated-off ones excepted.
 */
class PtxMatmulTest {
  /** Sizes and element strides: batch, M, N, K, aBatch, aRow, aK, bBatch, bK, bCol. */
  record Case(String what, int batch, int m, int n, int k, int[] strides) {
    @Override
    public String toString() {
      return what + " batch " + batch + " M" + m + " N" + n + " K" + k;
    }
  }

  static Case plain(String what, int batch, int m, int n, int k) {
    return new Case(what, batch, m, n, k, new int[] {m * k, k, 1, k * n, n, 1});
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    c.add(plain("vector loads", 1, 130, 132, 20));
    c.add(plain("scalar loads, partial tiles", 1, 129, 131, 19));
    c.add(plain("one element", 1, 1, 1, 1));
    c.add(plain("K = 0 (zeros)", 1, 3, 5, 0));
    c.add(plain("vector loads, batched", 2, 7, 8, 12));
    // A [K, M] and B [N, K] per batch entry: aRow = 1, aK = M; bK = 1, bCol = K.
    c.add(new Case("transposed, batched", 2, 33, 9, 17, new int[] {33 * 17, 1, 33, 9 * 17, 1, 17}));
    // Batch stride 90: entry 1 of A starts 8 bytes past a 16-byte boundary (F32: scalar loads).
    c.add(new Case("misaligned batch entry", 2, 5, 12, 12, new int[] {90, 12, 1, 144, 12, 1}));
    return c;
  }

  @TestFactory
  Stream<DynamicTest> ptxComputesTheProduct() {
    List<DynamicTest> tests = new ArrayList<>();
    for (DType t : List.of(DType.F32, DType.F64)) {
      MatmulKernel k = new MatmulKernel("arbor_matmul_" + t.shortName(), t);
      PtxInterpreter ptx = new PtxInterpreter(PtxEmitter.emit(k));
      for (Case c : cases()) {
        tests.add(DynamicTest.dynamicTest(t + " " + c, () -> check(k, ptx, c)));
      }
    }
    return tests.stream();
  }

  @Test
  void aWrongKernelFails() {
    // The check itself can fail: the F32 kernel text with B's column halves swapped.
    MatmulKernel k = new MatmulKernel("arbor_matmul_f32", DType.F32);
    String text = PtxEmitter.emit(k).replace("[%r36+0]", "[%r36+X]");
    text = text.replace("[%r36+256]", "[%r36+0]").replace("[%r36+X]", "[%r36+256]");
    PtxInterpreter wrong = new PtxInterpreter(text);
    AssertionError e = null;
    try {
      check(k, wrong, plain("vector loads", 1, 130, 132, 20));
    } catch (AssertionError x) {
      e = x;
    }
    assertTrue(e != null, "a kernel with swapped columns passed");
  }

  @Test
  void vectorLoadsNeedTheAlignmentTest() {
    // Without the 16-byte alignment test, batch entry 1 of the misaligned case takes vector loads
    // from an address 8 bytes past a boundary, which the interpreter (like the GPU) refuses.
    MatmulKernel k = new MatmulKernel("arbor_matmul_f32", DType.F32);
    String text = PtxEmitter.emit(k);
    String test = "setp.eq.and.s32 %pv0, %r24, 0, %pv0;";
    assertTrue(text.contains(test), "the alignment test is where this test expects it");
    PtxInterpreter noTest =
        new PtxInterpreter(text.replace(test, "setp.eq.and.s32 %pv0, 0, 0, %pv0;"));
    Case misaligned =
        cases().stream().filter(c -> c.what().startsWith("misaligned")).findFirst().orElseThrow();
    IllegalStateException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalStateException.class, () -> check(k, noTest, misaligned));
    assertTrue(e.getMessage().startsWith("misaligned access"), e.getMessage());
  }

  private static void check(MatmulKernel kernel, PtxInterpreter ptx, Case c) {
    DType t = kernel.type();
    int size = t.byteSize();
    int[] s = c.strides();
    int aLen = s[0] * (c.batch() - 1) + s[1] * (c.m() - 1) + s[2] * (c.k() - 1) + 1;
    int bLen = s[3] * (c.batch() - 1) + s[4] * (c.k() - 1) + s[5] * (c.n() - 1) + 1;
    int cLen = c.batch() * c.m() * c.n();
    Random r = new Random(c.hashCode());
    double[] a = new double[aLen];
    double[] b = new double[bLen];
    for (int i = 0; i < aLen; i++) {
      a[i] = t == DType.F32 ? (float) r.nextGaussian() : r.nextGaussian();
    }
    for (int i = 0; i < bLen; i++) {
      b[i] = t == DType.F32 ? (float) r.nextGaussian() : r.nextGaussian();
    }
    ByteBuffer ga = buffer(a, t);
    ByteBuffer gb = buffer(b, t);
    double[] nan = new double[cLen];
    java.util.Arrays.fill(nan, Double.NaN);
    ByteBuffer gc = buffer(nan, t);
    long aAt = 1L << 32;
    long bAt = 2L << 32;
    long cAt = 3L << 32;
    long[] args = {
      aAt, bAt, cAt, c.batch(), c.m(), c.n(), c.k(), s[0], s[1], s[2], s[3], s[4], s[5]
    };
    long[] global = kernel.global(c.batch(), c.m(), c.n());
    long[] local = kernel.local();
    int[] grid = {
      (int) (global[0] / local[0]), (int) (global[1] / local[1]), (int) (global[2] / local[2])
    };
    ptx.launch(
        grid,
        (int) local[0],
        args,
        List.of(
            new PtxInterpreter.Global(aAt, ga),
            new PtxInterpreter.Global(bAt, gb),
            new PtxInterpreter.Global(cAt, gc)));
    double u = t == DType.F32 ? 0x1p-24 : 0x1p-53;
    for (int q = 0; q < c.batch(); q++) {
      for (int i = 0; i < c.m(); i++) {
        for (int j = 0; j < c.n(); j++) {
          double want = 0;
          double mag = 0;
          for (int l = 0; l < c.k(); l++) {
            double p = a[q * s[0] + i * s[1] + l * s[2]] * b[q * s[3] + l * s[4] + j * s[5]];
            want += p;
            mag += Math.abs(p);
          }
          int o = (q * c.m() + i) * c.n() + j;
          double got = size == 4 ? gc.getFloat(o * 4) : gc.getDouble(o * 8);
          double bound = 2 * c.k() * u * mag + Double.MIN_NORMAL;
          if (!(Math.abs(got - want) <= bound)) {
            fail(c + ": C[" + q + ", " + i + ", " + j + "] = " + got + ", want " + want);
          }
        }
      }
    }
  }

  private static ByteBuffer buffer(double[] v, DType t) {
    ByteBuffer b = ByteBuffer.allocate(v.length * t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < v.length; i++) {
      if (t == DType.F32) {
        b.putFloat(i * 4, (float) v[i]);
      } else {
        b.putDouble(i * 8, v[i]);
      }
    }
    return b;
  }
}
