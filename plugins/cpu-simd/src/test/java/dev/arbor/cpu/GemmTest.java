package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.core.AbstractValue;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * GEMM against a float64 triple loop on sizes that cross every block boundary (MR, NR, MC, KC, NC),
 * with transposed operands (strides swapped) and batches, single- and multi-threaded paths.
 */
class GemmTest {
  @ParameterizedTest(name = "{0}: batch={1} m={2} n={3} k={4} transA={5} transB={6}")
  @CsvSource({
    "F32, 1, 1, 1, 1, false, false",
    "F32, 1, 129, 1025, 257, false, false",
    "F32, 1, 300, 70, 513, true, false",
    "F32, 1, 37, 2100, 9, false, true",
    "F32, 1, 200, 260, 300, true, true",
    "F32, 5, 17, 33, 65, false, false",
    "F32, 3, 140, 40, 270, true, true",
    "F64, 1, 97, 530, 257, false, false",
    "F64, 1, 200, 17, 300, true, true",
    "F64, 4, 9, 17, 33, false, true",
  })
  void matchesTripleLoop(
      String type, int batch, int m, int n, int k, boolean transA, boolean transB) {
    DType t = DType.valueOf(type);
    Random r = new Random(m * 31L + n * 7L + k);
    CpuBuffer a = random(t, batch * m * k, r);
    CpuBuffer b = random(t, batch * k * n, r);
    CpuBuffer c = CpuBuffer.allocate(new AbstractValue(Shape.of(batch, m, n), t));
    try {
      long aR = transA ? 1 : k;
      long aC = transA ? m : 1;
      long bR = transB ? 1 : n;
      long bC = transB ? k : 1;
      if (t == DType.F32) {
        Gemm.gemmF32(
            batch,
            m,
            n,
            k,
            a.segment(),
            (long) m * k,
            aR,
            aC,
            b.segment(),
            (long) k * n,
            bR,
            bC,
            c.segment());
      } else {
        Gemm.gemmF64(
            batch,
            m,
            n,
            k,
            a.segment(),
            (long) m * k,
            aR,
            aC,
            b.segment(),
            (long) k * n,
            bR,
            bC,
            c.segment());
      }
      double tol = t == DType.F32 ? 1e-5 : 1e-12;
      for (int q = 0; q < batch; q++) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double want = 0;
            double mag = 0;
            for (int p = 0; p < k; p++) {
              double x = get(a, t, (long) q * m * k + i * aR + p * aC);
              double y = get(b, t, (long) q * k * n + p * bR + j * bC);
              want += x * y;
              mag += Math.abs(x * y);
            }
            double got = get(c, t, ((long) q * m + i) * n + j);
            int qq = q;
            int ii = i;
            int jj = j;
            double w = want;
            assertTrue(
                Math.abs(got - want) <= tol * mag + 1e-30,
                () -> "C[" + qq + "," + ii + "," + jj + "] = " + got + ", expected " + w);
          }
        }
      }
    } finally {
      a.release();
      b.release();
      c.release();
    }
  }

  private static CpuBuffer random(DType t, int n, Random r) {
    CpuBuffer b = CpuBuffer.allocate(new AbstractValue(Shape.of(n), t));
    MemorySegment s = b.segment();
    for (int i = 0; i < n; i++) {
      double v = r.nextDouble() * 2 - 1;
      if (t == DType.F32) {
        s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
      } else {
        s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
      }
    }
    return b;
  }

  private static double get(CpuBuffer b, DType t, long i) {
    return t == DType.F32
        ? b.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i)
        : b.segment().getAtIndex(ValueLayout.JAVA_DOUBLE, i);
  }
}
