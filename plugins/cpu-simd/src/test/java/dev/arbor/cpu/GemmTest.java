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
    // Blocking edges of the current sizes (F32: MR 8, NR 32, MC 128, KC 256, NC 512; F64: NR 16,
    // MC 96, KC 256, NC 256): one below, at and one above each, 1-row / 1-column / k = 1.
    "F32, 1, 127, 511, 255, false, false",
    "F32, 1, 128, 512, 256, false, false",
    "F32, 1, 129, 513, 257, false, false",
    "F32, 1, 130, 1025, 513, false, true",
    "F32, 1, 257, 1056, 40, true, false",
    "F32, 1, 1, 700, 300, false, false",
    "F32, 1, 1, 700, 300, true, true",
    "F32, 1, 300, 1, 300, false, false",
    "F32, 1, 300, 1, 300, true, true",
    "F32, 1, 45, 77, 1, false, false",
    "F32, 1, 10, 512, 128, true, false",
    "F32, 1, 128, 512, 10, false, true",
    "F32, 1, 128, 10, 512, false, false",
    "F32, 2, 9, 31, 258, false, false",
    "F64, 1, 95, 255, 255, false, false",
    "F64, 1, 96, 256, 256, false, false",
    "F64, 1, 97, 257, 257, true, false",
    "F64, 1, 193, 513, 300, false, true",
    "F64, 1, 1, 300, 17, false, false",
    "F64, 1, 300, 1, 17, true, true",
    "F64, 1, 33, 15, 1, false, false",
    // Large enough to run split over the pool's threads (column or row ranges), every layout.
    "F32, 1, 300, 1100, 300, true, false",
    "F32, 1, 129, 1025, 257, true, true",
    "F64, 1, 200, 600, 300, false, true",
    "F64, 1, 150, 530, 513, true, false",
  })
  void matchesTripleLoop(
      String type, int batch, int m, int n, int k, boolean transA, boolean transB) {
    DType t = DType.valueOf(type);
    CpuBuffer c = run(CpuThreads.THREADS, t, batch, m, n, k, transA, transB, false);
    c.release();
  }

  /**
   * One GEMM split into {@code threads} parts (whatever the pool's size: the partitioning is
   * exercised on any machine) against the triple loop, and bit for bit against the same GEMM on one
   * thread: every element is computed by the same kernel calls whatever the cut.
   */
  @ParameterizedTest(name = "{0}: threads={1} m={2} n={3} k={4} transA={5} transB={6}")
  @CsvSource({
    // n not a multiple of threads x NR (32 slivers, the last 8 wide, over 3 parts; 4 over 3)
    "F32, 3, 200, 1000, 300, false, false",
    "F32, 3, 300, 100, 300, false, false",
    "F32, 2, 300, 100, 300, true, true",
    // n below one tile: split over rows
    "F32, 2, 1000, 5, 300, false, false",
    "F32, 3, 1001, 31, 100, true, false",
    // m = 1 (one row sliver: columns) and k = 1
    "F32, 2, 1, 4096, 300, false, false",
    "F32, 3, 1, 4100, 300, true, true",
    "F32, 2, 1100, 1100, 1, false, false",
    "F32, 3, 1100, 1030, 1, true, true",
    // fewer slivers than threads on both sides, and parts crossing NC and KC
    "F32, 3, 9, 40, 3000, false, false",
    "F32, 7, 300, 100, 300, false, true",
    "F32, 2, 50, 2100, 600, false, false",
    "F32, 4, 130, 1500, 513, true, false",
    // F64 (NR 16, NC 256)
    "F64, 2, 150, 530, 300, true, false",
    "F64, 3, 700, 17, 200, false, true",
    "F64, 3, 1, 4000, 300, false, false",
    "F64, 2, 1100, 1100, 1, true, true",
    "F64, 4, 97, 1000, 257, true, true",
  })
  void partitionsMatchOneThread(
      String type, int threads, int m, int n, int k, boolean transA, boolean transB) {
    assertTrue(2L * m * n * k >= Gemm.PARALLEL_FLOPS, "case too small to take the split path");
    DType t = DType.valueOf(type);
    CpuBuffer split = run(threads, t, 1, m, n, k, transA, transB, false);
    CpuBuffer one = run(1, t, 1, m, n, k, transA, transB, true);
    try {
      for (long i = 0; i < (long) m * n; i++) {
        long ii = i;
        double x = get(split, t, i);
        double y = get(one, t, i);
        assertTrue(
            Double.compare(x, y) == 0, () -> "C[" + ii + "] = " + x + " split, " + y + " one");
      }
    } finally {
      split.release();
      one.release();
    }
  }

  /** Runs the GEMM and checks it against the triple loop (unless {@code skipCheck}); returns C. */
  private static CpuBuffer run(
      int threads,
      DType t,
      int batch,
      int m,
      int n,
      int k,
      boolean transA,
      boolean transB,
      boolean skipCheck) {
    Random r = new Random(m * 31L + n * 7L + k);
    CpuBuffer a = random(t, batch * m * k, r);
    CpuBuffer b = random(t, batch * k * n, r);
    CpuBuffer c = CpuBuffer.allocate(new AbstractValue(Shape.of(batch, m, n), t));
    // The GEMM writes C without zeroing it first: start from garbage so a missed element shows.
    for (long i = 0; i < (long) batch * m * n; i++) {
      if (t == DType.F32) {
        c.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.NaN);
      } else {
        c.segment().setAtIndex(ValueLayout.JAVA_DOUBLE, i, Double.NaN);
      }
    }
    try {
      long aR = transA ? 1 : k;
      long aC = transA ? m : 1;
      long bR = transB ? 1 : n;
      long bC = transB ? k : 1;
      if (t == DType.F32) {
        Gemm.gemmF32(
            threads,
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
            threads,
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
      if (skipCheck) {
        return c;
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
      return c;
    } catch (RuntimeException | Error e) {
      c.release();
      throw e;
    } finally {
      a.release();
      b.release();
    }
  }

  @ParameterizedTest(name = "{0}: k = 0 gives zeros")
  @CsvSource({"F32", "F64"})
  void emptyContractionGivesZeros(String type) {
    DType t = DType.valueOf(type);
    CpuBuffer a = CpuBuffer.allocate(new AbstractValue(Shape.of(1), t));
    CpuBuffer c = CpuBuffer.allocate(new AbstractValue(Shape.of(3, 5), t));
    try {
      for (int i = 0; i < 15; i++) {
        if (t == DType.F32) {
          c.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.NaN);
        } else {
          c.segment().setAtIndex(ValueLayout.JAVA_DOUBLE, i, Double.NaN);
        }
      }
      if (t == DType.F32) {
        Gemm.gemmF32(1, 3, 5, 0, a.segment(), 0, 0, 1, a.segment(), 0, 5, 1, c.segment());
      } else {
        Gemm.gemmF64(1, 3, 5, 0, a.segment(), 0, 0, 1, a.segment(), 0, 5, 1, c.segment());
      }
      for (int i = 0; i < 15; i++) {
        int ii = i;
        assertTrue(get(c, t, i) == 0.0, () -> "C[" + ii + "] = " + get(c, t, ii));
      }
    } finally {
      a.release();
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
