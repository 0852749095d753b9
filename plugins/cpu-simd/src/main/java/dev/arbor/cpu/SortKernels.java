package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * sort[axis](keys, operands...) for every dtype: per line along the axis, the stable sorting
 * permutation of the keys is computed on heap arrays of that line only, then every operand's line
 * is permuted with it, off-heap to off-heap.
 *
 * <p>The order is the reference's exactly: floats in {@link Double#compare} order (-0.0 before 0.0,
 * every NaN equal and last), integers and bools numerically, ties in their original order. Each key
 * becomes a signed integer with that order: a float's bits (NaNs made canonical, as {@code
 * floatToIntBits} does), with the magnitude bits flipped when the sign is set. 32-bit keys (F32,
 * I32, BOOL) are packed above their position into one {@code long} and sorted with {@link
 * Arrays#sort(long[], int, int)}: the positions make every value distinct, so the result is stable.
 * 64-bit keys (F64, I64) are sorted by a merge sort of positions. Operands are moved as raw bits,
 * so NaN payloads travel with their elements.
 */
final class SortKernels {
  private SortKernels() {}

  /** Runs shorter than this are sorted by insertion. */
  private static final int INSERTION = 32;

  static List<Buffer> sort(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int axis = params.intValue("axis");
    AbstractValue keysAval = inAvals.get(0);
    DType kt = keysAval.dtype();
    int[] d = keysAval.shape().dims();
    int n = d[axis];
    long inner = 1;
    for (int k = axis + 1; k < d.length; k++) {
      inner *= d[k];
    }
    List<Buffer> outs = new ArrayList<>(outAvals.size());
    for (AbstractValue a : outAvals) {
      outs.add(CpuBuffer.allocate(a));
    }
    long size = keysAval.shape().size();
    if (size == 0) {
      return outs;
    }
    int m = in.size();
    MemorySegment[] src = new MemorySegment[m];
    MemorySegment[] dst = new MemorySegment[m];
    int[] es = new int[m];
    for (int o = 0; o < m; o++) {
      src[o] = CpuKernels.seg(in.get(o));
      dst[o] = CpuKernels.seg(outs.get(o));
      es[o] = inAvals.get(o).dtype().byteSize();
    }
    long lines = size / n;
    long stride = inner;
    boolean wide = kt == DType.F64 || kt == DType.I64;
    CpuThreads.parallelFor(
        lines,
        Math.max(1, CpuKernels.GRAIN / n),
        1,
        (from, to) -> {
          int[] order = new int[n];
          long[] keys = new long[n];
          int[] tmp = wide ? new int[n] : null;
          for (long l = from; l < to; l++) {
            long base = (l / stride) * n * stride + l % stride;
            if (wide) {
              wideKeys(kt, src[0], base, stride, keys);
              for (int j = 0; j < n; j++) {
                order[j] = j;
              }
              mergeSort(order, tmp, keys, 0, n);
            } else {
              packedKeys(kt, src[0], base, stride, keys);
              Arrays.sort(keys, 0, n);
              for (int j = 0; j < n; j++) {
                order[j] = (int) keys[j];
              }
            }
            for (int o = 0; o < m; o++) {
              permute(src[o], dst[o], es[o], base, stride, order);
            }
          }
        });
    return outs;
  }

  /** A float's bits as a signed int in {@link Float#compare} order (all NaNs equal, last). */
  static int orderedBits(float v) {
    int b = Float.floatToIntBits(v);
    return b ^ ((b >> 31) & Integer.MAX_VALUE);
  }

  /** A double's bits as a signed long in {@link Double#compare} order (all NaNs equal, last). */
  static long orderedBits(double v) {
    long b = Double.doubleToLongBits(v);
    return b ^ ((b >> 63) & Long.MAX_VALUE);
  }

  /** 32-bit keys of one line, each packed above its position: {@code key << 32 | j}. */
  private static void packedKeys(DType t, MemorySegment x, long base, long stride, long[] out) {
    int n = out.length;
    long k = base;
    for (int j = 0; j < n; j++, k += stride) {
      int key =
          switch (t) {
            case F32 -> orderedBits(x.getAtIndex(ValueLayout.JAVA_FLOAT, k));
            case I32 -> x.getAtIndex(ValueLayout.JAVA_INT, k);
            case BOOL -> x.get(ValueLayout.JAVA_BYTE, k);
            default -> throw new AssertionError(t);
          };
      out[j] = ((long) key << 32) | j;
    }
  }

  /** 64-bit keys of one line, in order. */
  private static void wideKeys(DType t, MemorySegment x, long base, long stride, long[] out) {
    int n = out.length;
    long k = base;
    if (t == DType.F64) {
      for (int j = 0; j < n; j++, k += stride) {
        out[j] = orderedBits(x.getAtIndex(ValueLayout.JAVA_DOUBLE, k));
      }
    } else {
      for (int j = 0; j < n; j++, k += stride) {
        out[j] = x.getAtIndex(ValueLayout.JAVA_LONG, k);
      }
    }
  }

  /** Sorts positions {@code a[lo, hi)} by {@code key}, stably (top-down merge sort). */
  static void mergeSort(int[] a, int[] tmp, long[] key, int lo, int hi) {
    if (hi - lo <= INSERTION) {
      for (int i = lo + 1; i < hi; i++) {
        int v = a[i];
        long kv = key[v];
        int j = i - 1;
        while (j >= lo && key[a[j]] > kv) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = v;
      }
      return;
    }
    int mid = (lo + hi) >>> 1;
    mergeSort(a, tmp, key, lo, mid);
    mergeSort(a, tmp, key, mid, hi);
    if (key[a[mid - 1]] <= key[a[mid]]) {
      return;
    }
    System.arraycopy(a, lo, tmp, lo, hi - lo);
    int i = lo;
    int j = mid;
    int k = lo;
    while (i < mid && j < hi) {
      a[k++] = key[tmp[j]] < key[tmp[i]] ? tmp[j++] : tmp[i++];
    }
    while (i < mid) {
      a[k++] = tmp[i++];
    }
    while (j < hi) {
      a[k++] = tmp[j++];
    }
  }

  /** {@code dst[base + j * stride] = src[base + order[j] * stride]} for one line. */
  private static void permute(
      MemorySegment src, MemorySegment dst, int es, long base, long stride, int[] order) {
    int n = order.length;
    switch (es) {
      case 1 -> {
        for (int j = 0; j < n; j++) {
          dst.set(
              ValueLayout.JAVA_BYTE,
              base + j * stride,
              src.get(ValueLayout.JAVA_BYTE, base + order[j] * stride));
        }
      }
      case 4 -> {
        for (int j = 0; j < n; j++) {
          dst.setAtIndex(
              ValueLayout.JAVA_INT,
              base + j * stride,
              src.getAtIndex(ValueLayout.JAVA_INT, base + order[j] * stride));
        }
      }
      case 8 -> {
        for (int j = 0; j < n; j++) {
          dst.setAtIndex(
              ValueLayout.JAVA_LONG,
              base + j * stride,
              src.getAtIndex(ValueLayout.JAVA_LONG, base + order[j] * stride));
        }
      }
      default -> throw new AssertionError("element size " + es);
    }
  }
}
