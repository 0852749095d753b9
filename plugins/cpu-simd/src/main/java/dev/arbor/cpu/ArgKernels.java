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
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code argmax} / {@code argmin} along one axis, with the reference's answer exactly: the index of
 * the first extremum, where a NaN counts as the extremum (the first NaN wins) and ties (including
 * -0.0 against 0.0, which compare equal) keep the earliest index. The operand is viewed as {@code
 * [outer, n, inner]}:
 *
 * <ul>
 *   <li>{@code inner == 1} (the axis is the last one): per row, one vector pass finds the extremum
 *       (NaN-propagating max/min) and a second finds the first index equal to it (or the first
 *       NaN);
 *   <li>otherwise each vector of {@code inner} columns walks the axis keeping the best value and
 *       index per lane, replacing them by the reference's own rule ({@code !isNaN(best) &&
 *       (isNaN(c) || c > best)}).
 * </ul>
 *
 * F32 and F64 are vectorized; I32, I64 and BOOL operands run the same rule in scalar loops.
 */
final class ArgKernels {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

  /** Int lanes as many as {@link #F}'s / {@link #D}'s (the running indices). */
  static final VectorSpecies<Integer> IF =
      VectorSpecies.of(int.class, VectorShape.forBitSize(F.length() * 32));

  static final VectorSpecies<Integer> ID =
      VectorSpecies.of(int.class, VectorShape.forBitSize(Math.max(64, D.length() * 32)));

  static final ByteOrder O = ByteOrder.nativeOrder();

  private ArgKernels() {}

  static List<Buffer> run(
      boolean max,
      List<Buffer> in,
      List<AbstractValue> inAvals,
      Params params,
      List<AbstractValue> outAvals) {
    int axis = params.intValue("axis");
    int[] xd = inAvals.get(0).shape().dims();
    DType t = inAvals.get(0).dtype();
    long outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= xd[k];
    }
    long inner = 1;
    for (int k = axis + 1; k < xd.length; k++) {
      inner *= xd[k];
    }
    long n = xd[axis];
    return run(max, t, CpuKernels.seg(in.get(0)), outer, n, inner, outAvals.get(0));
  }

  private static List<Buffer> run(
      boolean max, DType t, MemorySegment x, long outer, long n, long inner, AbstractValue out) {
    CpuBuffer y = CpuBuffer.allocate(out);
    MemorySegment ys = y.segment();
    boolean i64 = y.dtype() == DType.I64;
    if (y.size() == 0) {
      return List.of(y);
    }
    if (inner == 1) {
      CpuThreads.parallelFor(
          outer,
          Math.max(1, CpuKernels.GRAIN / n),
          1,
          (from, to) -> {
            for (long o = from; o < to; o++) {
              long best =
                  switch (t) {
                    case F32 -> rowF32(max, x, o * n, n);
                    case F64 -> rowF64(max, x, o * n, n);
                    default -> scalar(max, x, t, o * n, n, 1);
                  };
              store(ys, i64, o, best);
            }
          });
      return List.of(y);
    }
    long lanes = t == DType.F64 ? D.length() : F.length();
    long chunk = Math.max(lanes, Math.min(inner, CpuKernels.GRAIN / n) / lanes * lanes);
    long chunksPerRow = (inner + chunk - 1) / chunk;
    CpuThreads.parallelFor(
        outer * chunksPerRow,
        1,
        1,
        (from, to) -> {
          for (long task = from; task < to; task++) {
            long o = task / chunksPerRow;
            long j0 = (task % chunksPerRow) * chunk;
            long j1 = Math.min(inner, j0 + chunk);
            switch (t) {
              case F32 -> columnsF32(max, x, ys, i64, o, n, inner, j0, j1);
              case F64 -> columnsF64(max, x, ys, i64, o, n, inner, j0, j1);
              default -> {
                for (long j = j0; j < j1; j++) {
                  store(ys, i64, o * inner + j, scalar(max, x, t, o * n * inner + j, n, inner));
                }
              }
            }
          }
        });
    return List.of(y);
  }

  private static void store(MemorySegment ys, boolean i64, long at, long v) {
    if (i64) {
      ys.setAtIndex(ValueLayout.JAVA_LONG, at, v);
    } else {
      ys.setAtIndex(ValueLayout.JAVA_INT, at, (int) v);
    }
  }

  /** The reference's loop on integer or bool elements {@code base + j * stride}, j < n. */
  private static long scalar(
      boolean max, MemorySegment x, DType t, long base, long n, long stride) {
    long best = 0;
    long b = Converts.getLong(x, t, base);
    for (long j = 1; j < n; j++) {
      long c = Converts.getLong(x, t, base + j * stride);
      if (max ? c > b : c < b) {
        best = j;
        b = c;
      }
    }
    return best;
  }

  /** The first index of the extremum of the contiguous row {@code x[base, base + n)}. */
  private static long rowF32(boolean max, MemorySegment x, long base, long n) {
    int l = F.length();
    FloatVector acc =
        FloatVector.broadcast(F, max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
    long i = 0;
    for (long b = F.loopBound(n); i < b; i += l) {
      FloatVector v = FloatVector.fromMemorySegment(F, x, (base + i) * 4, O);
      acc = max ? acc.max(v) : acc.min(v); // NaN propagates
    }
    if (i < n) {
      var m = F.indexInRange(i, n);
      FloatVector v = FloatVector.fromMemorySegment(F, x, (base + i) * 4, O, m);
      acc = max ? acc.lanewise(VectorOperators.MAX, v, m) : acc.lanewise(VectorOperators.MIN, v, m);
    }
    boolean nan = acc.test(VectorOperators.IS_NAN).anyTrue();
    float target =
        nan ? Float.NaN : acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
    for (i = 0; i < n; i += l) {
      var m = F.indexInRange(i, n);
      FloatVector v = FloatVector.fromMemorySegment(F, x, (base + i) * 4, O, m);
      VectorMask<Float> hit =
          (nan ? v.test(VectorOperators.IS_NAN) : v.compare(VectorOperators.EQ, target)).and(m);
      if (hit.anyTrue()) {
        return i + hit.firstTrue();
      }
    }
    throw new AssertionError("no extremum found");
  }

  private static long rowF64(boolean max, MemorySegment x, long base, long n) {
    int l = D.length();
    DoubleVector acc =
        DoubleVector.broadcast(D, max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
    long i = 0;
    for (long b = D.loopBound(n); i < b; i += l) {
      DoubleVector v = DoubleVector.fromMemorySegment(D, x, (base + i) * 8, O);
      acc = max ? acc.max(v) : acc.min(v);
    }
    if (i < n) {
      var m = D.indexInRange(i, n);
      DoubleVector v = DoubleVector.fromMemorySegment(D, x, (base + i) * 8, O, m);
      acc = max ? acc.lanewise(VectorOperators.MAX, v, m) : acc.lanewise(VectorOperators.MIN, v, m);
    }
    boolean nan = acc.test(VectorOperators.IS_NAN).anyTrue();
    double target =
        nan ? Double.NaN : acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
    for (i = 0; i < n; i += l) {
      var m = D.indexInRange(i, n);
      DoubleVector v = DoubleVector.fromMemorySegment(D, x, (base + i) * 8, O, m);
      VectorMask<Double> hit =
          (nan ? v.test(VectorOperators.IS_NAN) : v.compare(VectorOperators.EQ, target)).and(m);
      if (hit.anyTrue()) {
        return i + hit.firstTrue();
      }
    }
    throw new AssertionError("no extremum found");
  }

  /**
   * Columns {@code [j0, j1)} of slab {@code o}: each lane walks the axis by the reference's rule.
   */
  private static void columnsF32(
      boolean max,
      MemorySegment x,
      MemorySegment ys,
      boolean i64,
      long o,
      long n,
      long inner,
      long j0,
      long j1) {
    int l = F.length();
    long slab = o * n * inner;
    for (long j = j0; j < j1; j += l) {
      var m = F.indexInRange(j, j1);
      FloatVector best = FloatVector.fromMemorySegment(F, x, (slab + j) * 4, O, m);
      IntVector index = IntVector.zero(IF);
      for (int q = 1; q < n; q++) {
        FloatVector c = FloatVector.fromMemorySegment(F, x, (slab + q * inner + j) * 4, O, m);
        VectorMask<Float> better =
            c.test(VectorOperators.IS_NAN)
                .or(c.compare(max ? VectorOperators.GT : VectorOperators.LT, best))
                .andNot(best.test(VectorOperators.IS_NAN));
        best = best.blend(c, better);
        index = index.blend(q, better.cast(IF));
      }
      storeLanes(ys, i64, o * inner + j, index, (int) Math.min(l, j1 - j));
    }
  }

  private static void columnsF64(
      boolean max,
      MemorySegment x,
      MemorySegment ys,
      boolean i64,
      long o,
      long n,
      long inner,
      long j0,
      long j1) {
    int l = D.length();
    long slab = o * n * inner;
    for (long j = j0; j < j1; j += l) {
      var m = D.indexInRange(j, j1);
      DoubleVector best = DoubleVector.fromMemorySegment(D, x, (slab + j) * 8, O, m);
      IntVector index = IntVector.zero(ID);
      for (int q = 1; q < n; q++) {
        DoubleVector c = DoubleVector.fromMemorySegment(D, x, (slab + q * inner + j) * 8, O, m);
        VectorMask<Double> better =
            c.test(VectorOperators.IS_NAN)
                .or(c.compare(max ? VectorOperators.GT : VectorOperators.LT, best))
                .andNot(best.test(VectorOperators.IS_NAN));
        best = best.blend(c, better);
        index = index.blend(q, better.cast(ID));
      }
      storeLanes(ys, i64, o * inner + j, index, (int) Math.min(l, j1 - j));
    }
  }

  private static void storeLanes(MemorySegment ys, boolean i64, long at, IntVector index, int k) {
    for (int lane = 0; lane < k; lane++) {
      store(ys, i64, at + lane, index.lane(lane));
    }
  }
}
