package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * {@code gather} and {@code scatter_add} (see {@code Indexing} for their semantics) as row copies:
 * the operand's axes after the gathered one are contiguous in the operand, the output and the
 * updates alike, so each index moves one run of {@code inner} elements ({@code MemorySegment.copy}
 * for gather, a vectorized add for scatter_add). With {@code P} the operand's positions before the
 * axis (the first {@code batch_dims} shared with the indices), {@code N} the non-batch index
 * positions and {@code A} the axis length, output row {@code p·N + j} is operand row {@code p·A +
 * clamp(idx[b·N + j])}, {@code b} the batch part of {@code p}. Scatter_add adds the update rows in
 * order, so repeated indices accumulate in the same order as the reference kernel.
 */
final class GatherKernels {
  private GatherKernels() {}

  /** The loop bounds shared by gather and scatter_add. */
  private record Geometry(long p, long mid, long n, int a, long inner) {
    static Geometry of(int[] xd, int[] id, Params params) {
      int axis = params.intValue("axis");
      int nb = params.intValue("batch_dims");
      long p = 1;
      long batch = 1;
      for (int k = 0; k < axis; k++) {
        p *= xd[k];
        if (k < nb) {
          batch *= xd[k];
        }
      }
      long n = 1;
      for (int k = nb; k < id.length; k++) {
        n *= id[k];
      }
      long inner = 1;
      for (int k = axis + 1; k < xd.length; k++) {
        inner *= xd[k];
      }
      return new Geometry(p, batch == 0 ? 1 : p / batch, n, xd[axis], inner);
    }

    /** The clamped operand row of index position {@code j} for operand position {@code q}. */
    long row(MemorySegment idx, boolean wide, long q, long j) {
      long at = q / mid * n + j;
      long i =
          wide
              ? idx.getAtIndex(ValueLayout.JAVA_LONG, at)
              : idx.getAtIndex(ValueLayout.JAVA_INT, at);
      return q * a + Math.max(0, Math.min(a - 1, i));
    }
  }

  static List<Buffer> gather(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    AbstractValue x = inAvals.get(0);
    Geometry g = Geometry.of(x.shape().dims(), inAvals.get(1).shape().dims(), params);
    boolean wide = inAvals.get(1).dtype() == DType.I64;
    long es = x.dtype().byteSize();
    MemorySegment xs = CpuKernels.seg(in.get(0));
    MemorySegment idx = CpuKernels.seg(in.get(1));
    CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
    MemorySegment ys = y.segment();
    long rowBytes = g.inner() * es;
    if (rowBytes > 0 && g.a() > 0) {
      CpuThreads.parallelFor(
          g.p() * g.n(),
          Math.max(1, CpuKernels.GRAIN / Math.max(1, g.inner())),
          1,
          (from, to) -> {
            for (long r = from; r < to; r++) {
              long src = g.row(idx, wide, r / g.n(), r % g.n());
              MemorySegment.copy(xs, src * rowBytes, ys, r * rowBytes, rowBytes);
            }
          });
    }
    return List.of(y);
  }

  static List<Buffer> scatterAdd(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    AbstractValue x = inAvals.get(0);
    Geometry g = Geometry.of(x.shape().dims(), inAvals.get(1).shape().dims(), params);
    boolean wide = inAvals.get(1).dtype() == DType.I64;
    boolean f32 = x.dtype() == DType.F32;
    long es = x.dtype().byteSize();
    MemorySegment idx = CpuKernels.seg(in.get(1));
    MemorySegment us = CpuKernels.seg(in.get(2));
    CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
    MemorySegment ys = y.segment();
    MemorySegment.copy(CpuKernels.seg(in.get(0)), 0, ys, 0, y.byteSize());
    long inner = g.inner();
    if (inner == 0 || g.a() == 0) {
      return List.of(y);
    }
    // Operand positions q own disjoint output rows (q·A .. q·A + A), so they split over threads;
    // within one q the update rows are added in order.
    CpuThreads.parallelFor(
        g.p(),
        Math.max(1, CpuKernels.GRAIN / Math.max(1, g.n() * inner)),
        1,
        (from, to) -> {
          for (long q = from; q < to; q++) {
            for (long j = 0; j < g.n(); j++) {
              long dst = g.row(idx, wide, q, j) * inner;
              long src = (q * g.n() + j) * inner;
              MemorySegment row = ys.asSlice(dst * es, inner * es);
              MemorySegment upd = us.asSlice(src * es, inner * es);
              if (f32) {
                ElementwiseLoops.binaryF32(ElementwiseLoops.Binary.ADD, row, upd, row, 0, inner);
              } else {
                ElementwiseLoops.binaryF64(ElementwiseLoops.Binary.ADD, row, upd, row, 0, inner);
              }
            }
          }
        });
    return List.of(y);
  }
}
