package dev.arbor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reduction loops on off-heap F32/F64 data. Contiguous runs ({@code rowsF32} etc.) use four vector
 * accumulators (a single accumulator is latency-bound: TECH-NOTES measured 4 vs 26 GB/s) and a
 * masked tail; strided reductions ({@code columns*}) combine whole rows lanewise into the output.
 * Float32 sums accumulate in float32, so they differ from the reference (which sums in float64) by
 * rounding that grows with the run length; the testkit's tolerance accounts for it. Float32
 * products of a contiguous run ({@code runF32(PROD)}) accumulate in float64 lanes, as the reference
 * does, so long runs neither overflow nor underflow early; products combined across rows ({@code
 * accumulateF32}) multiply in float32 (one rounding per row).
 */
final class ReduceLoops {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  static final ByteOrder O = ByteOrder.nativeOrder();

  enum Op {
    SUM,
    MAX,
    MIN,
    PROD
  }

  private ReduceLoops() {}

  static float initF32(Op op) {
    return switch (op) {
      case SUM -> 0f;
      case MAX -> Float.NEGATIVE_INFINITY;
      case MIN -> Float.POSITIVE_INFINITY;
      case PROD -> 1f;
    };
  }

  static double initF64(Op op) {
    return switch (op) {
      case SUM -> 0d;
      case MAX -> Double.NEGATIVE_INFINITY;
      case MIN -> Double.POSITIVE_INFINITY;
      case PROD -> 1d;
    };
  }

  static float combineF32(Op op, float a, float b) {
    return switch (op) {
      case SUM -> a + b;
      case MAX -> Math.max(a, b);
      case MIN -> Math.min(a, b);
      case PROD -> a * b;
    };
  }

  static double combineF64(Op op, double a, double b) {
    return switch (op) {
      case SUM -> a + b;
      case MAX -> Math.max(a, b);
      case MIN -> Math.min(a, b);
      case PROD -> a * b;
    };
  }

  /** Reduces the contiguous run {@code x[from, to)} (element indices). */
  static float runF32(Op op, MemorySegment x, long from, long to) {
    return switch (op) {
      case SUM -> sumF32(x, from, to);
      case MAX -> maxF32(x, from, to);
      case MIN -> minF32(x, from, to);
      case PROD -> (float) prodF32(x, from, to);
    };
  }

  static double runF64(Op op, MemorySegment x, long from, long to) {
    return switch (op) {
      case SUM -> sumF64(x, from, to);
      case MAX -> maxF64(x, from, to);
      case MIN -> minF64(x, from, to);
      case PROD -> prodF64(x, from, to);
    };
  }

  private static float sumF32(MemorySegment x, long from, long to) {
    int l = F.length();
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    long i = from;
    for (long b = from + (to - from) / (4L * l) * (4L * l); i < b; i += 4L * l) {
      a0 = a0.add(FloatVector.fromMemorySegment(F, x, i * 4, O));
      a1 = a1.add(FloatVector.fromMemorySegment(F, x, (i + l) * 4, O));
      a2 = a2.add(FloatVector.fromMemorySegment(F, x, (i + 2L * l) * 4, O));
      a3 = a3.add(FloatVector.fromMemorySegment(F, x, (i + 3L * l) * 4, O));
    }
    for (; i < to; i += l) {
      a0 = a0.add(FloatVector.fromMemorySegment(F, x, i * 4, O, F.indexInRange(i, to)));
    }
    return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
  }

  /**
   * The product of the float32 run {@code x[from, to)} in float64: each float vector is widened
   * into two double vectors (lanes {@code [0, l/2)} and {@code [l/2, l)}), each its own
   * accumulator.
   */
  static double prodF32(MemorySegment x, long from, long to) {
    int l = F.length();
    DoubleVector a0 = DoubleVector.broadcast(D, 1d);
    DoubleVector a1 = a0;
    DoubleVector a2 = a0;
    DoubleVector a3 = a0;
    long i = from;
    for (long b = from + (to - from) / (2L * l) * (2L * l); i < b; i += 2L * l) {
      FloatVector v = FloatVector.fromMemorySegment(F, x, i * 4, O);
      FloatVector u = FloatVector.fromMemorySegment(F, x, (i + l) * 4, O);
      a0 = a0.mul((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0));
      a1 = a1.mul((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1));
      a2 = a2.mul((DoubleVector) u.convertShape(VectorOperators.F2D, D, 0));
      a3 = a3.mul((DoubleVector) u.convertShape(VectorOperators.F2D, D, 1));
    }
    for (; i < to; i += l) {
      var m = F.indexInRange(i, to);
      FloatVector v =
          FloatVector.broadcast(F, 1f).blend(FloatVector.fromMemorySegment(F, x, i * 4, O, m), m);
      a0 = a0.mul((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0));
      a1 = a1.mul((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1));
    }
    return a0.mul(a1).mul(a2.mul(a3)).reduceLanes(VectorOperators.MUL);
  }

  private static double prodF64(MemorySegment x, long from, long to) {
    int l = D.length();
    DoubleVector a0 = DoubleVector.broadcast(D, 1d);
    DoubleVector a1 = a0;
    DoubleVector a2 = a0;
    DoubleVector a3 = a0;
    long i = from;
    for (long b = from + (to - from) / (4L * l) * (4L * l); i < b; i += 4L * l) {
      a0 = a0.mul(DoubleVector.fromMemorySegment(D, x, i * 8, O));
      a1 = a1.mul(DoubleVector.fromMemorySegment(D, x, (i + l) * 8, O));
      a2 = a2.mul(DoubleVector.fromMemorySegment(D, x, (i + 2L * l) * 8, O));
      a3 = a3.mul(DoubleVector.fromMemorySegment(D, x, (i + 3L * l) * 8, O));
    }
    for (; i < to; i += l) {
      var m = D.indexInRange(i, to);
      a0 =
          a0.mul(
              DoubleVector.broadcast(D, 1d)
                  .blend(DoubleVector.fromMemorySegment(D, x, i * 8, O, m), m));
    }
    return a0.mul(a1).mul(a2.mul(a3)).reduceLanes(VectorOperators.MUL);
  }

  private static float maxF32(MemorySegment x, long from, long to) {
    int l = F.length();
    FloatVector a0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    long i = from;
    for (long b = from + (to - from) / (4L * l) * (4L * l); i < b; i += 4L * l) {
      a0 = a0.max(FloatVector.fromMemorySegment(F, x, i * 4, O));
      a1 = a1.max(FloatVector.fromMemorySegment(F, x, (i + l) * 4, O));
      a2 = a2.max(FloatVector.fromMemorySegment(F, x, (i + 2L * l) * 4, O));
      a3 = a3.max(FloatVector.fromMemorySegment(F, x, (i + 3L * l) * 4, O));
    }
    for (; i < to; i += l) {
      var m = F.indexInRange(i, to);
      a0 = a0.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(F, x, i * 4, O, m), m);
    }
    return a0.max(a1).max(a2.max(a3)).reduceLanes(VectorOperators.MAX);
  }

  private static float minF32(MemorySegment x, long from, long to) {
    int l = F.length();
    FloatVector a0 = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    long i = from;
    for (long b = from + (to - from) / (4L * l) * (4L * l); i < b; i += 4L * l) {
      a0 = a0.min(FloatVector.fromMemorySegment(F, x, i * 4, O));
      a1 = a1.min(FloatVector.fromMemorySegment(F, x, (i + l) * 4, O));
      a2 = a2.min(FloatVector.fromMemorySegment(F, x, (i + 2L * l) * 4, O));
      a3 = a3.min(FloatVector.fromMemorySegment(F, x, (i + 3L * l) * 4, O));
    }
    for (; i < to; i += l) {
      var m = F.indexInRange(i, to);
      a0 = a0.lanewise(VectorOperators.MIN, FloatVector.fromMemorySegment(F, x, i * 4, O, m), m);
    }
    return a0.min(a1).min(a2.min(a3)).reduceLanes(VectorOperators.MIN);
  }

  private static double sumF64(MemorySegment x, long from, long to) {
    int l = D.length();
    DoubleVector a0 = DoubleVector.zero(D);
    DoubleVector a1 = a0;
    DoubleVector a2 = a0;
    DoubleVector a3 = a0;
    long i = from;
    for (long b = from + (to - from) / (4L * l) * (4L * l); i < b; i += 4L * l) {
      a0 = a0.add(DoubleVector.fromMemorySegment(D, x, i * 8, O));
      a1 = a1.add(DoubleVector.fromMemorySegment(D, x, (i + l) * 8, O));
      a2 = a2.add(DoubleVector.fromMemorySegment(D, x, (i + 2L * l) * 8, O));
      a3 = a3.add(DoubleVector.fromMemorySegment(D, x, (i + 3L * l) * 8, O));
    }
    for (; i < to; i += l) {
      a0 = a0.add(DoubleVector.fromMemorySegment(D, x, i * 8, O, D.indexInRange(i, to)));
    }
    return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
  }

  private static double maxF64(MemorySegment x, long from, long to) {
    int l = D.length();
    DoubleVector a0 = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
    DoubleVector a1 = a0;
    DoubleVector a2 = a0;
    DoubleVector a3 = a0;
    long i = from;
    for (long b = from + (to - from) / (4L * l) * (4L * l); i < b; i += 4L * l) {
      a0 = a0.max(DoubleVector.fromMemorySegment(D, x, i * 8, O));
      a1 = a1.max(DoubleVector.fromMemorySegment(D, x, (i + l) * 8, O));
      a2 = a2.max(DoubleVector.fromMemorySegment(D, x, (i + 2L * l) * 8, O));
      a3 = a3.max(DoubleVector.fromMemorySegment(D, x, (i + 3L * l) * 8, O));
    }
    for (; i < to; i += l) {
      var m = D.indexInRange(i, to);
      a0 = a0.lanewise(VectorOperators.MAX, DoubleVector.fromMemorySegment(D, x, i * 8, O, m), m);
    }
    return a0.max(a1).max(a2.max(a3)).reduceLanes(VectorOperators.MAX);
  }

  private static double minF64(MemorySegment x, long from, long to) {
    int l = D.length();
    DoubleVector a0 = DoubleVector.broadcast(D, Double.POSITIVE_INFINITY);
    DoubleVector a1 = a0;
    DoubleVector a2 = a0;
    DoubleVector a3 = a0;
    long i = from;
    for (long b = from + (to - from) / (4L * l) * (4L * l); i < b; i += 4L * l) {
      a0 = a0.min(DoubleVector.fromMemorySegment(D, x, i * 8, O));
      a1 = a1.min(DoubleVector.fromMemorySegment(D, x, (i + l) * 8, O));
      a2 = a2.min(DoubleVector.fromMemorySegment(D, x, (i + 2L * l) * 8, O));
      a3 = a3.min(DoubleVector.fromMemorySegment(D, x, (i + 3L * l) * 8, O));
    }
    for (; i < to; i += l) {
      var m = D.indexInRange(i, to);
      a0 = a0.lanewise(VectorOperators.MIN, DoubleVector.fromMemorySegment(D, x, i * 8, O, m), m);
    }
    return a0.min(a1).min(a2.min(a3)).reduceLanes(VectorOperators.MIN);
  }

  /**
   * Combines row {@code x[src, src + n)} lanewise into {@code y[dst, dst + n)} (the strided case:
   * reducing the outer of two axes).
   */
  static void accumulateF32(Op op, MemorySegment x, long src, MemorySegment y, long dst, long n) {
    int l = F.length();
    for (long k = 0; k < n; k += l) {
      var m = F.indexInRange(k, n);
      FloatVector a = FloatVector.fromMemorySegment(F, y, (dst + k) * 4, O, m);
      FloatVector b = FloatVector.fromMemorySegment(F, x, (src + k) * 4, O, m);
      FloatVector r =
          switch (op) {
            case SUM -> a.add(b);
            case MAX -> a.max(b);
            case MIN -> a.min(b);
            case PROD -> a.mul(b);
          };
      r.intoMemorySegment(y, (dst + k) * 4, O, m);
    }
  }

  static void accumulateF64(Op op, MemorySegment x, long src, MemorySegment y, long dst, long n) {
    int l = D.length();
    for (long k = 0; k < n; k += l) {
      var m = D.indexInRange(k, n);
      DoubleVector a = DoubleVector.fromMemorySegment(D, y, (dst + k) * 8, O, m);
      DoubleVector b = DoubleVector.fromMemorySegment(D, x, (src + k) * 8, O, m);
      DoubleVector r =
          switch (op) {
            case SUM -> a.add(b);
            case MAX -> a.max(b);
            case MIN -> a.min(b);
            case PROD -> a.mul(b);
          };
      r.intoMemorySegment(y, (dst + k) * 8, O, m);
    }
  }
}
