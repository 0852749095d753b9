package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * cumsum[axis, reverse] for F32, F64, I32 and I64, in the reference kernel's order and precision,
 * so results are bit-identical: each line is summed sequentially from its first element (its last
 * when {@code reverse}) starting at {@code 0}, F32 and F64 in a {@code double} accumulator (F32
 * rounds each prefix to float, as the reference stores it), integers in wrapping integer
 * arithmetic.
 *
 * <p>When the scanned axis is not innermost ({@code inner >= MIN_ROW}), the lines are summed
 * together a row at a time: output row {@code j} is row {@code j - 1} plus input row {@code j}, a
 * vector loop across the contiguous inner axis (F64 with the Vector API; F32 widened lane for lane
 * to doubles, added into a row of double accumulators and narrowed back; integers as plain loops).
 * Otherwise each line is a scalar running sum, four lines interleaved for F32/F64 (a single chain
 * waits on its add's latency). Work is split over the pool by lines, or by outer index and column
 * blocks of the inner axis.
 */
final class ScanKernels {
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

  /** Floats with as many lanes as {@link #D}: an F32 row widens to doubles lane for lane. */
  private static final VectorSpecies<Float> FH =
      VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

  private static final ByteOrder O = ByteOrder.nativeOrder();

  /** Inner lengths from which lines are summed a row at a time. */
  static final int MIN_ROW = 16;

  /** Longest contiguous line summed through a heap array (four lines: 1 MiB of doubles). */
  private static final int HEAP_LINES = 1 << 15;

  /** Columns per work item when summing rows (keeps an F32 accumulator row in L1). */
  private static final int COLS = 2048;

  private ScanKernels() {}

  static List<Buffer> cumsum(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int axis = params.intValue("axis");
    boolean reverse = params.get("reverse", Boolean.class);
    AbstractValue out = outAvals.get(0);
    DType t = out.dtype();
    int[] d = out.shape().dims();
    long outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= d[k];
    }
    long inner = 1;
    for (int k = axis + 1; k < d.length; k++) {
      inner *= d[k];
    }
    int n = d[axis];
    CpuBuffer y = CpuBuffer.allocate(out);
    if (y.size() == 0) {
      return List.of(y);
    }
    MemorySegment xs = CpuKernels.seg(in.get(0));
    MemorySegment ys = y.segment();
    long in0 = inner;
    if (inner < MIN_ROW) {
      long lines = outer * inner;
      CpuThreads.parallelFor(
          lines,
          Math.max(1, CpuKernels.GRAIN / n),
          1,
          (from, to) -> {
            long step = reverse ? -in0 : in0;
            long l = from;
            if (in0 == 1 && n <= HEAP_LINES && (t == DType.F32 || t == DType.F64)) {
              // Contiguous lines: four at a time through a heap array (plain array loops beat
              // segment accesses here; the sums are the same).
              if (t == DType.F32) {
                float[] buf = new float[4 * n];
                for (; l + 4 <= to; l += 4) {
                  heapLines4F32(xs, ys, l * n, n, reverse, buf);
                }
              } else {
                double[] buf = new double[4 * n];
                for (; l + 4 <= to; l += 4) {
                  heapLines4F64(xs, ys, l * n, n, reverse, buf);
                }
              }
            } else if (t == DType.F32 || t == DType.F64) {
              // Four independent running sums at once: one alone waits on its add's latency.
              long[] first = new long[4];
              for (; l + 4 <= to; l += 4) {
                for (int q = 0; q < 4; q++) {
                  long base = ((l + q) / in0) * n * in0 + (l + q) % in0;
                  first[q] = reverse ? base + (n - 1) * in0 : base;
                }
                if (t == DType.F32) {
                  lines4F32(xs, ys, first, step, n);
                } else {
                  lines4F64(xs, ys, first, step, n);
                }
              }
            }
            for (; l < to; l++) {
              long base = (l / in0) * n * in0 + l % in0;
              line(t, xs, ys, reverse ? base + (n - 1) * in0 : base, step, n);
            }
          });
    } else {
      long blocks = (inner + COLS - 1) / COLS;
      CpuThreads.parallelFor(
          outer * blocks,
          Math.max(1, CpuKernels.GRAIN / ((long) n * Math.min(inner, COLS))),
          1,
          (from, to) -> {
            double[] acc = t == DType.F32 ? new double[COLS] : null;
            for (long w = from; w < to; w++) {
              long o = w / blocks;
              long c0 = (w % blocks) * COLS;
              int len = (int) Math.min(COLS, in0 - c0);
              long base = o * n * in0 + c0;
              long first = reverse ? base + (n - 1) * in0 : base;
              long step = reverse ? -in0 : in0;
              rows(t, xs, ys, first, step, n, len, acc);
            }
          });
    }
    return List.of(y);
  }

  /** Four F32 lines at once (each summed in its own double, in the reference's order). */
  private static void lines4F32(MemorySegment x, MemorySegment y, long[] first, long step, int n) {
    long k0 = first[0];
    long k1 = first[1];
    long k2 = first[2];
    long k3 = first[3];
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    for (int j = 0; j < n; j++, k0 += step, k1 += step, k2 += step, k3 += step) {
      a0 += x.getAtIndex(ValueLayout.JAVA_FLOAT, k0);
      a1 += x.getAtIndex(ValueLayout.JAVA_FLOAT, k1);
      a2 += x.getAtIndex(ValueLayout.JAVA_FLOAT, k2);
      a3 += x.getAtIndex(ValueLayout.JAVA_FLOAT, k3);
      y.setAtIndex(ValueLayout.JAVA_FLOAT, k0, (float) a0);
      y.setAtIndex(ValueLayout.JAVA_FLOAT, k1, (float) a1);
      y.setAtIndex(ValueLayout.JAVA_FLOAT, k2, (float) a2);
      y.setAtIndex(ValueLayout.JAVA_FLOAT, k3, (float) a3);
    }
  }

  /** Four F64 lines at once. */
  private static void lines4F64(MemorySegment x, MemorySegment y, long[] first, long step, int n) {
    long k0 = first[0];
    long k1 = first[1];
    long k2 = first[2];
    long k3 = first[3];
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    for (int j = 0; j < n; j++, k0 += step, k1 += step, k2 += step, k3 += step) {
      a0 += x.getAtIndex(ValueLayout.JAVA_DOUBLE, k0);
      a1 += x.getAtIndex(ValueLayout.JAVA_DOUBLE, k1);
      a2 += x.getAtIndex(ValueLayout.JAVA_DOUBLE, k2);
      a3 += x.getAtIndex(ValueLayout.JAVA_DOUBLE, k3);
      y.setAtIndex(ValueLayout.JAVA_DOUBLE, k0, a0);
      y.setAtIndex(ValueLayout.JAVA_DOUBLE, k1, a1);
      y.setAtIndex(ValueLayout.JAVA_DOUBLE, k2, a2);
      y.setAtIndex(ValueLayout.JAVA_DOUBLE, k3, a3);
    }
  }

  /** Four contiguous F32 lines from element {@code base}, through {@code buf} (4n floats). */
  private static void heapLines4F32(
      MemorySegment x, MemorySegment y, long base, int n, boolean reverse, float[] buf) {
    MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, base * 4, buf, 0, 4 * n);
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    int s = reverse ? -1 : 1;
    for (int j = 0, k = reverse ? n - 1 : 0; j < n; j++, k += s) {
      a0 += buf[k];
      a1 += buf[n + k];
      a2 += buf[2 * n + k];
      a3 += buf[3 * n + k];
      buf[k] = (float) a0;
      buf[n + k] = (float) a1;
      buf[2 * n + k] = (float) a2;
      buf[3 * n + k] = (float) a3;
    }
    MemorySegment.copy(buf, 0, y, ValueLayout.JAVA_FLOAT, base * 4, 4 * n);
  }

  /** Four contiguous F64 lines from element {@code base}, through {@code buf} (4n doubles). */
  private static void heapLines4F64(
      MemorySegment x, MemorySegment y, long base, int n, boolean reverse, double[] buf) {
    MemorySegment.copy(x, ValueLayout.JAVA_DOUBLE, base * 8, buf, 0, 4 * n);
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    int s = reverse ? -1 : 1;
    for (int j = 0, k = reverse ? n - 1 : 0; j < n; j++, k += s) {
      a0 += buf[k];
      a1 += buf[n + k];
      a2 += buf[2 * n + k];
      a3 += buf[3 * n + k];
      buf[k] = a0;
      buf[n + k] = a1;
      buf[2 * n + k] = a2;
      buf[3 * n + k] = a3;
    }
    MemorySegment.copy(buf, 0, y, ValueLayout.JAVA_DOUBLE, base * 8, 4 * n);
  }

  /** One line of {@code n} elements from {@code first}, {@code step} apart (elements). */
  private static void line(
      DType t, MemorySegment x, MemorySegment y, long first, long step, int n) {
    long k = first;
    switch (t) {
      case F32 -> {
        double acc = 0;
        for (int j = 0; j < n; j++, k += step) {
          acc += x.getAtIndex(ValueLayout.JAVA_FLOAT, k);
          y.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) acc);
        }
      }
      case F64 -> {
        double acc = 0;
        for (int j = 0; j < n; j++, k += step) {
          acc += x.getAtIndex(ValueLayout.JAVA_DOUBLE, k);
          y.setAtIndex(ValueLayout.JAVA_DOUBLE, k, acc);
        }
      }
      case I32 -> {
        int acc = 0;
        for (int j = 0; j < n; j++, k += step) {
          acc += x.getAtIndex(ValueLayout.JAVA_INT, k);
          y.setAtIndex(ValueLayout.JAVA_INT, k, acc);
        }
      }
      case I64 -> {
        long acc = 0;
        for (int j = 0; j < n; j++, k += step) {
          acc += x.getAtIndex(ValueLayout.JAVA_LONG, k);
          y.setAtIndex(ValueLayout.JAVA_LONG, k, acc);
        }
      }
      default -> throw new AssertionError(t);
    }
  }

  /**
   * {@code len} lines side by side: rows of {@code len} contiguous elements from {@code first},
   * {@code step} elements apart; output row {@code j} = output row {@code j - 1} + input row {@code
   * j}, the first row {@code 0 + x}.
   */
  private static void rows(
      DType t,
      MemorySegment x,
      MemorySegment y,
      long first,
      long step,
      int n,
      int len,
      double[] acc) {
    switch (t) {
      case F32 -> {
        java.util.Arrays.fill(acc, 0, len, 0.0);
        long k = first;
        int bound = D.loopBound(len);
        for (int j = 0; j < n; j++, k += step) {
          int c = 0;
          for (; c < bound; c += D.length()) {
            FloatVector f = FloatVector.fromMemorySegment(FH, x, (k + c) * 4, O);
            DoubleVector a =
                DoubleVector.fromArray(D, acc, c)
                    .add((DoubleVector) f.convertShape(VectorOperators.F2D, D, 0));
            a.intoArray(acc, c);
            ((FloatVector) a.convertShape(VectorOperators.D2F, FH, 0))
                .intoMemorySegment(y, (k + c) * 4, O);
          }
          for (; c < len; c++) {
            double a = acc[c] + x.getAtIndex(ValueLayout.JAVA_FLOAT, k + c);
            acc[c] = a;
            y.setAtIndex(ValueLayout.JAVA_FLOAT, k + c, (float) a);
          }
        }
      }
      case F64 -> {
        DoubleVector zero = DoubleVector.zero(D);
        long b = first * 8;
        for (long c = 0; c < len; c += D.length()) {
          var m = D.indexInRange(c, len);
          zero.add(DoubleVector.fromMemorySegment(D, x, b + c * 8, O, m))
              .intoMemorySegment(y, b + c * 8, O, m);
        }
        long p = first;
        long k = first + step;
        for (int j = 1; j < n; j++, p = k, k += step) {
          addRowF64(x, y, p * 8, k * 8, len);
        }
      }
      case I32 -> {
        MemorySegment.copy(x, first * 4, y, first * 4, len * 4L);
        long p = first;
        long k = first + step;
        for (int j = 1; j < n; j++, p = k, k += step) {
          for (int c = 0; c < len; c++) {
            y.setAtIndex(
                ValueLayout.JAVA_INT,
                k + c,
                y.getAtIndex(ValueLayout.JAVA_INT, p + c)
                    + x.getAtIndex(ValueLayout.JAVA_INT, k + c));
          }
        }
      }
      case I64 -> {
        MemorySegment.copy(x, first * 8, y, first * 8, len * 8L);
        long p = first;
        long k = first + step;
        for (int j = 1; j < n; j++, p = k, k += step) {
          for (int c = 0; c < len; c++) {
            y.setAtIndex(
                ValueLayout.JAVA_LONG,
                k + c,
                y.getAtIndex(ValueLayout.JAVA_LONG, p + c)
                    + x.getAtIndex(ValueLayout.JAVA_LONG, k + c));
          }
        }
      }
      default -> throw new AssertionError(t);
    }
  }

  /** {@code y[k + c] = y[p + c] + x[k + c]} for {@code c < len} (byte offsets p, k). */
  private static void addRowF64(MemorySegment x, MemorySegment y, long p, long k, int len) {
    int c = 0;
    for (int bound = D.loopBound(len); c < bound; c += D.length()) {
      DoubleVector a = DoubleVector.fromMemorySegment(D, y, p + c * 8L, O);
      a.add(DoubleVector.fromMemorySegment(D, x, k + c * 8L, O))
          .intoMemorySegment(y, k + c * 8L, O);
    }
    if (c < len) {
      var m = D.indexInRange(c, len);
      DoubleVector a = DoubleVector.fromMemorySegment(D, y, p + c * 8L, O, m);
      a.add(DoubleVector.fromMemorySegment(D, x, k + c * 8L, O, m))
          .intoMemorySegment(y, k + c * 8L, O, m);
    }
  }
}
