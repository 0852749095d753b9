package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.core.AbstractValue;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * reduce_sum / reduce_max / reduce_min / reduce_prod over any axes of an F32/F64 operand. Size-1
 * axes are dropped and adjacent axes of the same kind (kept or reduced) merged, which leaves one
 * of: {@code [R]} (a total: chunks reduced in parallel, partials combined in a fixed order, so
 * results do not depend on timing), {@code [K, R]} (contiguous runs, parallel over rows), {@code
 * [K1, R, K2]} (rows combined lanewise into the output, parallel over K1 and column chunks).
 * Anything else is first transposed so the reduced axes come last.
 */
final class ReduceKernel {
  private ReduceKernel() {}

  static CpuBuffer run(ReduceLoops.Op op, CpuBuffer x, int[] axes, AbstractValue out) {
    int[] xd = x.aval().shape().dims();
    boolean[] red = new boolean[xd.length];
    for (int a : axes) {
      red[a] = true;
    }
    boolean f32 = x.dtype() == DType.F32;
    CpuBuffer y = CpuBuffer.allocate(out);
    MemorySegment ys = y.segment();
    if (x.size() == 0) {
      for (long i = 0; i < y.size(); i++) {
        store(ys, f32, i, f32 ? ReduceLoops.initF32(op) : ReduceLoops.initF64(op));
      }
      return y;
    }
    // Groups after dropping size-1 axes and merging neighbours of the same kind.
    List<long[]> groups = new ArrayList<>(); // {kind (1 = reduced), size}
    for (int a = 0; a < xd.length; a++) {
      if (xd[a] == 1) {
        continue;
      }
      long kind = red[a] ? 1 : 0;
      if (!groups.isEmpty() && groups.getLast()[0] == kind) {
        groups.getLast()[1] *= xd[a];
      } else {
        groups.add(new long[] {kind, xd[a]});
      }
    }
    MemorySegment xs = x.segment();
    String pattern = pattern(groups);
    switch (pattern) {
      case "", "K" -> MemorySegment.copy(xs, 0, ys, 0, ys.byteSize());
      case "R" -> total(op, f32, xs, groups.get(0)[1], ys);
      case "KR" -> rows(op, f32, xs, groups.get(0)[1], groups.get(1)[1], ys);
      case "RK" -> columns(op, f32, xs, 1, groups.get(0)[1], groups.get(1)[1], ys);
      case "KRK" -> columns(op, f32, xs, groups.get(0)[1], groups.get(1)[1], groups.get(2)[1], ys);
      default -> {
        // Move reduced axes last, then reduce contiguous runs.
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
        int[] td = new int[xd.length];
        long[] strides = new long[xd.length];
        long[] xstr = Layout.strides(xd);
        long reduced = 1;
        for (int k = 0; k < perm.length; k++) {
          td[k] = xd[perm[k]];
          strides[k] = xstr[perm[k]];
        }
        for (int a : axes) {
          reduced *= xd[a];
        }
        CpuBuffer t = CpuBuffer.allocate(x.aval());
        try {
          Layout.copy(xs, t.segment(), x.dtype().byteSize(), td, strides);
          rows(op, f32, t.segment(), x.size() / reduced, reduced, ys);
        } finally {
          t.release();
        }
      }
    }
    return y;
  }

  private static String pattern(List<long[]> groups) {
    StringBuilder sb = new StringBuilder();
    for (long[] g : groups) {
      sb.append(g[0] == 1 ? 'R' : 'K');
    }
    return sb.toString();
  }

  private static void store(MemorySegment s, boolean f32, long i, double v) {
    if (f32) {
      s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
    } else {
      s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
    }
  }

  private static void total(
      ReduceLoops.Op op, boolean f32, MemorySegment x, long n, MemorySegment y) {
    int chunks = (int) Math.max(1, Math.min(CpuThreads.THREADS * 4L, n / CpuKernels.GRAIN));
    long step = (n + chunks - 1) / chunks;
    double[] partial = new double[chunks];
    CpuThreads.parallelFor(
        chunks,
        1,
        1,
        (from, to) -> {
          for (long c = from; c < to; c++) {
            long lo = c * step;
            long hi = Math.min(n, lo + step);
            partial[(int) c] =
                !f32
                    ? ReduceLoops.runF64(op, x, lo, hi)
                    : op == ReduceLoops.Op.PROD
                        ? ReduceLoops.prodF32(x, lo, hi)
                        : ReduceLoops.runF32(op, x, lo, hi);
          }
        });
    if (f32 && op == ReduceLoops.Op.PROD) {
      double r = 1; // float32 products stay in float64 until the end, as the reference's
      for (double p : partial) {
        r *= p;
      }
      y.setAtIndex(ValueLayout.JAVA_FLOAT, 0, (float) r);
    } else if (f32) {
      float r = ReduceLoops.initF32(op);
      for (double p : partial) {
        r = ReduceLoops.combineF32(op, r, (float) p);
      }
      y.setAtIndex(ValueLayout.JAVA_FLOAT, 0, r);
    } else {
      double r = ReduceLoops.initF64(op);
      for (double p : partial) {
        r = ReduceLoops.combineF64(op, r, p);
      }
      y.setAtIndex(ValueLayout.JAVA_DOUBLE, 0, r);
    }
  }

  private static void rows(
      ReduceLoops.Op op, boolean f32, MemorySegment x, long k, long r, MemorySegment y) {
    if (k < CpuThreads.THREADS && r >= CpuKernels.GRAIN) {
      // Few long rows: parallelize within each row instead.
      for (long row = 0; row < k; row++) {
        MemorySegment slice = x.asSlice(row * r * (f32 ? 4 : 8), r * (f32 ? 4 : 8));
        total(op, f32, slice, r, y.asSlice(row * (f32 ? 4 : 8), f32 ? 4 : 8));
      }
      return;
    }
    CpuThreads.parallelFor(
        k,
        Math.max(1, CpuKernels.GRAIN / r),
        1,
        (from, to) -> {
          for (long row = from; row < to; row++) {
            if (f32) {
              y.setAtIndex(
                  ValueLayout.JAVA_FLOAT, row, ReduceLoops.runF32(op, x, row * r, row * r + r));
            } else {
              y.setAtIndex(
                  ValueLayout.JAVA_DOUBLE, row, ReduceLoops.runF64(op, x, row * r, row * r + r));
            }
          }
        });
  }

  /** y[i, j] = op over q of x[i, q, j], for i < k1, q < r, j < k2. */
  private static void columns(
      ReduceLoops.Op op, boolean f32, MemorySegment x, long k1, long r, long k2, MemorySegment y) {
    long colChunk = Math.max(64, Math.min(k2, CpuKernels.GRAIN / Math.max(1, r)) / 64 * 64);
    long chunksPerRow = (k2 + colChunk - 1) / colChunk;
    CpuThreads.parallelFor(
        k1 * chunksPerRow,
        Math.max(1, CpuKernels.GRAIN / Math.max(1, r * colChunk)),
        1,
        (from, to) -> {
          for (long task = from; task < to; task++) {
            long i = task / chunksPerRow;
            long j0 = (task % chunksPerRow) * colChunk;
            long n = Math.min(colChunk, k2 - j0);
            for (long j = j0; j < j0 + n; j++) {
              store(y, f32, i * k2 + j, f32 ? ReduceLoops.initF32(op) : ReduceLoops.initF64(op));
            }
            for (long q = 0; q < r; q++) {
              long src = (i * r + q) * k2 + j0;
              if (f32) {
                ReduceLoops.accumulateF32(op, x, src, y, i * k2 + j0, n);
              } else {
                ReduceLoops.accumulateF64(op, x, src, y, i * k2 + j0, n);
              }
            }
          }
        });
  }
}
