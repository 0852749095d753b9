package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.primitives.Reductions;
import java.lang.foreign.MemorySegment;

/**
 * reduce_sum / max / min / prod of I32, I64 and BOOL operands, with the reference's semantics:
 * accumulation in 64 bits from the reference's initial value, stored wrapped to 32 bits for I32
 * (the same as wrapping at every step), a bool sum counted into I32, and bool max/min/prod stored
 * as "nonzero". The reduced axes are moved last by one strided copy when they are not already, then
 * each contiguous run is reduced in a scalar loop (integer reductions are rare in models; a 64-bit
 * lane multiply needs AVX-512DQ).
 */
final class IntReductions {
  private IntReductions() {}

  static CpuBuffer reduce(ReduceLoops.Op op, CpuBuffer x, int[] axes, AbstractValue out) {
    int[] xd = x.aval().shape().dims();
    DType t = x.dtype();
    boolean[] red = new boolean[xd.length];
    long reduced = 1;
    for (int a : axes) {
      red[a] = true;
      reduced *= xd[a];
    }
    CpuBuffer y = CpuBuffer.allocate(out);
    long rows = y.size();
    if (rows == 0) {
      return y;
    }
    // Already [kept..., reduced...] in memory order? Then no copy.
    int[] perm = new int[xd.length];
    int j = 0;
    for (int a = 0; a < xd.length; a++) {
      if (!red[a]) {
        perm[j++] = a;
      }
    }
    for (int a : axes) {
      perm[j++] = a;
    }
    // (Size-1 axes do not move anything.)
    boolean inOrder = true;
    int last = -1;
    for (int a : perm) {
      if (xd[a] > 1) {
        inOrder &= a > last;
        last = a;
      }
    }
    CpuBuffer t2 = null;
    MemorySegment src = x.segment();
    try {
      if (!inOrder && reduced > 1) {
        int[] td = new int[xd.length];
        long[] strides = new long[xd.length];
        long[] xs = Layout.strides(xd);
        for (int k = 0; k < perm.length; k++) {
          td[k] = xd[perm[k]];
          strides[k] = xs[perm[k]];
        }
        t2 = CpuBuffer.allocate(x.aval());
        Layout.copy(src, t2.segment(), t.byteSize(), td, strides);
        src = t2.segment();
      }
      MemorySegment s = src;
      MemorySegment ys = y.segment();
      DType outType = out.dtype();
      long start =
          Reductions.integerIdentity(
              switch (op) {
                case SUM -> 0;
                case MAX -> Long.MIN_VALUE;
                case MIN -> Long.MAX_VALUE;
                case PROD -> 1;
              },
              t);
      long r = reduced;
      CpuThreads.parallelFor(
          rows,
          Math.max(1, CpuKernels.GRAIN / Math.max(1, r)),
          1,
          (from, to) -> {
            for (long row = from; row < to; row++) {
              long acc = start;
              for (long q = row * r, end = q + r; q < end; q++) {
                long v = Converts.getLong(s, t, q);
                acc =
                    switch (op) {
                      case SUM -> acc + v;
                      case MAX -> Math.max(acc, v);
                      case MIN -> Math.min(acc, v);
                      case PROD -> acc * v;
                    };
              }
              Converts.putLong(ys, outType, row, acc);
            }
          });
    } finally {
      if (t2 != null) {
        t2.release();
      }
    }
    return y;
  }
}
