package dev.arbor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Strided copies: the one kernel behind broadcast_in_dim, transpose and reshape. The output is
 * row-major in {@code outDims}; output axis {@code a} advances the source by {@code srcStrides[a]}
 * elements (0 for a broadcast axis). Adjacent axes that step through the source contiguously are
 * merged first, so most calls end in bulk row copies ({@link MemorySegment#copy}) or row fills.
 */
final class Layout {
  private static final long GRAIN = 1 << 15;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
  private static final ByteOrder O = ByteOrder.nativeOrder();

  private Layout() {}

  /** A copy plan: merged output dims and source strides (elements). */
  record Plan(long[] dims, long[] strides) {
    long outer() {
      long n = 1;
      for (int a = 0; a < dims.length - 1; a++) {
        n *= dims[a];
      }
      return n;
    }
  }

  /** Merges axes where possible and drops size-1 axes. */
  static Plan plan(int[] outDims, long[] srcStrides) {
    long[] d = new long[outDims.length];
    long[] s = new long[outDims.length];
    int n = 0;
    for (int a = 0; a < outDims.length; a++) {
      if (outDims[a] == 1) {
        continue;
      }
      if (n > 0 && s[n - 1] == srcStrides[a] * outDims[a]) {
        d[n - 1] *= outDims[a];
        s[n - 1] = srcStrides[a];
      } else {
        d[n] = outDims[a];
        s[n] = srcStrides[a];
        n++;
      }
    }
    if (n == 0) {
      return new Plan(new long[] {1}, new long[] {0});
    }
    return new Plan(java.util.Arrays.copyOf(d, n), java.util.Arrays.copyOf(s, n));
  }

  /** Copies {@code src} into {@code dst} (elements of {@code esize} bytes) following the plan. */
  static void copy(MemorySegment src, MemorySegment dst, int esize, int[] outDims, long[] strides) {
    long total = 1;
    for (int d : outDims) {
      total *= d;
    }
    if (total == 0) {
      return;
    }
    Plan plan = plan(outDims, strides);
    int r = plan.dims().length;
    long inner = plan.dims()[r - 1];
    long innerStride = plan.strides()[r - 1];
    long rows = plan.outer();
    long grainRows = Math.max(1, GRAIN / inner);
    CpuThreads.parallelFor(
        rows,
        grainRows,
        1,
        (from, to) -> {
          long[] idx = new long[r];
          // Source offset of row `from`.
          long rem = from;
          long off = 0;
          for (int a = r - 2; a >= 0; a--) {
            idx[a] = rem % plan.dims()[a];
            rem /= plan.dims()[a];
            off += idx[a] * plan.strides()[a];
          }
          for (long row = from; row < to; row++) {
            copyRow(src, off, innerStride, dst, row * inner, inner, esize);
            for (int a = r - 2; a >= 0; a--) {
              off += plan.strides()[a];
              if (++idx[a] < plan.dims()[a]) {
                break;
              }
              off -= plan.strides()[a] * plan.dims()[a];
              idx[a] = 0;
            }
          }
        });
  }

  static void copyRow(
      MemorySegment src, long s, long stride, MemorySegment dst, long d, long n, int esize) {
    if (stride == 1) {
      MemorySegment.copy(src, s * esize, dst, d * esize, n * esize);
      return;
    }
    switch (esize) {
      case 1 -> {
        byte v0 = src.get(ValueLayout.JAVA_BYTE, s);
        for (long k = 0; k < n; k++) {
          dst.set(
              ValueLayout.JAVA_BYTE,
              d + k,
              stride == 0 ? v0 : src.get(ValueLayout.JAVA_BYTE, s + k * stride));
        }
      }
      case 4 -> {
        if (stride == 0) {
          fill4(dst, d, n, src.getAtIndex(ValueLayout.JAVA_INT, s));
        } else {
          for (long k = 0; k < n; k++) {
            dst.setAtIndex(
                ValueLayout.JAVA_INT, d + k, src.getAtIndex(ValueLayout.JAVA_INT, s + k * stride));
          }
        }
      }
      case 8 -> {
        if (stride == 0) {
          fill8(dst, d, n, src.getAtIndex(ValueLayout.JAVA_LONG, s));
        } else {
          for (long k = 0; k < n; k++) {
            dst.setAtIndex(
                ValueLayout.JAVA_LONG,
                d + k,
                src.getAtIndex(ValueLayout.JAVA_LONG, s + k * stride));
          }
        }
      }
      default -> throw new AssertionError("element size " + esize);
    }
  }

  /**
   * Writes output elements {@code [from, from + n)} of the copy described by {@code plan} to {@code
   * dst[0, n)}: the block form used inside fused loops.
   */
  static void copyRange(
      MemorySegment src, int esize, Plan plan, long from, long n, MemorySegment dst) {
    long[] dims = plan.dims();
    long[] str = plan.strides();
    int r = dims.length;
    long[] idx = new long[r];
    long rem = from;
    long off = 0;
    for (int a = r - 1; a >= 0; a--) {
      idx[a] = rem % dims[a];
      rem /= dims[a];
      off += idx[a] * str[a];
    }
    long done = 0;
    while (done < n) {
      long run = Math.min(dims[r - 1] - idx[r - 1], n - done);
      copyRow(src, off, str[r - 1], dst, done, run, esize);
      done += run;
      off += run * str[r - 1];
      idx[r - 1] += run;
      for (int a = r - 1; a > 0 && idx[a] == dims[a]; a--) {
        off -= str[a] * dims[a];
        idx[a] = 0;
        idx[a - 1]++;
        off += str[a - 1];
      }
    }
  }

  /**
   * Fills {@code n} 4-byte elements from {@code d} with the bits {@code v} (vector stores; integer
   * lanes, so every bit pattern of every 4-byte dtype, NaN payloads included, is kept).
   */
  private static void fill4(MemorySegment dst, long d, long n, int v) {
    IntVector b = IntVector.broadcast(I, v);
    long k = 0;
    for (long bound = I.loopBound(n); k < bound; k += I.length()) {
      b.intoMemorySegment(dst, (d + k) * 4, O);
    }
    if (k < n) {
      b.intoMemorySegment(dst, (d + k) * 4, O, I.indexInRange(k, n));
    }
  }

  /** Fills {@code n} 8-byte elements from {@code d} with the bits {@code v} (as {@link #fill4}). */
  private static void fill8(MemorySegment dst, long d, long n, long v) {
    LongVector b = LongVector.broadcast(L, v);
    long k = 0;
    for (long bound = L.loopBound(n); k < bound; k += L.length()) {
      b.intoMemorySegment(dst, (d + k) * 8, O);
    }
    if (k < n) {
      b.intoMemorySegment(dst, (d + k) * 8, O, L.indexInRange(k, n));
    }
  }

  /**
   * The mirror of {@link #copy}: copies {@code src}, contiguous and row-major in {@code dims}, into
   * {@code dst} where axis {@code a} advances by {@code dstStrides[a]} elements from element {@code
   * dstOff} (pad's and dynamic_update_slice's placement). The destination positions must be
   * distinct.
   */
  static void place(
      MemorySegment src, MemorySegment dst, long dstOff, int esize, int[] dims, long[] dstStrides) {
    long total = 1;
    for (int d : dims) {
      total *= d;
    }
    if (total == 0) {
      return;
    }
    Plan plan = plan(dims, dstStrides);
    int r = plan.dims().length;
    long inner = plan.dims()[r - 1];
    long innerStride = plan.strides()[r - 1];
    long rows = plan.outer();
    CpuThreads.parallelFor(
        rows,
        Math.max(1, GRAIN / inner),
        1,
        (from, to) -> {
          long[] idx = new long[r];
          long rem = from;
          long off = dstOff;
          for (int a = r - 2; a >= 0; a--) {
            idx[a] = rem % plan.dims()[a];
            rem /= plan.dims()[a];
            off += idx[a] * plan.strides()[a];
          }
          for (long row = from; row < to; row++) {
            placeRow(src, row * inner, dst, off, innerStride, inner, esize);
            for (int a = r - 2; a >= 0; a--) {
              off += plan.strides()[a];
              if (++idx[a] < plan.dims()[a]) {
                break;
              }
              off -= plan.strides()[a] * plan.dims()[a];
              idx[a] = 0;
            }
          }
        });
  }

  /** Copies {@code n} contiguous elements from {@code s} to {@code d, d + stride, ...}. */
  private static void placeRow(
      MemorySegment src, long s, MemorySegment dst, long d, long stride, long n, int esize) {
    if (stride == 1) {
      MemorySegment.copy(src, s * esize, dst, d * esize, n * esize);
      return;
    }
    switch (esize) {
      case 1 -> {
        for (long k = 0; k < n; k++) {
          dst.set(ValueLayout.JAVA_BYTE, d + k * stride, src.get(ValueLayout.JAVA_BYTE, s + k));
        }
      }
      case 4 -> {
        for (long k = 0; k < n; k++) {
          dst.setAtIndex(
              ValueLayout.JAVA_INT, d + k * stride, src.getAtIndex(ValueLayout.JAVA_INT, s + k));
        }
      }
      case 8 -> {
        for (long k = 0; k < n; k++) {
          dst.setAtIndex(
              ValueLayout.JAVA_LONG, d + k * stride, src.getAtIndex(ValueLayout.JAVA_LONG, s + k));
        }
      }
      default -> throw new AssertionError("element size " + esize);
    }
  }

  /**
   * Fills {@code dst} (elements of {@code esize} bytes) with copies of element 0 of {@code value},
   * bit for bit: one block is built by doubling copies, then copied along the segment.
   */
  static void fill(MemorySegment dst, MemorySegment value, int esize) {
    long bytes = dst.byteSize();
    if (bytes == 0) {
      return;
    }
    MemorySegment.copy(value, 0, dst, 0, esize);
    long block = Math.min(bytes, FILL_BLOCK);
    for (long have = esize; have < block; have *= 2) {
      MemorySegment.copy(dst, 0, dst, have, Math.min(have, block - have));
    }
    CpuThreads.parallelFor(
        (bytes + block - 1) / block,
        Math.max(1, (GRAIN * 8) / block),
        1,
        (from, to) -> {
          for (long b = Math.max(from, 1); b < to; b++) {
            MemorySegment.copy(dst, 0, dst, b * block, Math.min(block, bytes - b * block));
          }
        });
  }

  /** Copies all of {@code src} to {@code dst} (equal sizes), in chunks over the pool. */
  static void copyBulk(MemorySegment src, MemorySegment dst) {
    long bytes = src.byteSize();
    long chunk = GRAIN * 8;
    CpuThreads.parallelFor(
        (bytes + chunk - 1) / chunk,
        1,
        1,
        (from, to) -> {
          long start = from * chunk;
          MemorySegment.copy(src, start, dst, start, Math.min(bytes, to * chunk) - start);
        });
  }

  /** Bytes per fill block: a multiple of every element size, small enough for L1. */
  private static final long FILL_BLOCK = 4096;

  /** Row-major strides (elements) of {@code dims}. */
  static long[] strides(int[] dims) {
    long[] s = new long[dims.length];
    long acc = 1;
    for (int a = dims.length - 1; a >= 0; a--) {
      s[a] = acc;
      acc *= dims[a];
    }
    return s;
  }
}
