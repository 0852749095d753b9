package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * pad, dynamic_slice and dynamic_update_slice for every dtype, as fills, strided copies ({@link
 * Layout#copy}) and strided placements ({@link Layout#place}) over the off-heap buffers. Start
 * indices are clamped exactly as the reference kernels clamp them: into {@code [0, dim - size]}.
 */
final class WindowKernels {
  private WindowKernels() {}

  /**
   * pad[low, high, interior](x, value): the output is filled with the value, then {@code x} is
   * placed from {@code low} with steps of {@code interior + 1} (core allows no negative padding).
   */
  static List<Buffer> pad(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int[] low = params.ints("low");
    int[] interior = params.ints("interior");
    AbstractValue out = outAvals.get(0);
    int es = out.dtype().byteSize();
    int[] xd = inAvals.get(0).shape().dims();
    long[] os = Layout.strides(out.shape().dims());
    CpuBuffer y = CpuBuffer.allocate(out);
    MemorySegment ys = y.segment();
    if (y.size() == 0) {
      return List.of(y);
    }
    long off = 0;
    long[] steps = new long[xd.length];
    boolean padded = false;
    for (int a = 0; a < xd.length; a++) {
      off += low[a] * os[a];
      steps[a] = (interior[a] + 1L) * os[a];
      padded |= out.shape().dim(a) != xd[a];
    }
    if (padded) {
      Layout.fill(ys, CpuKernels.seg(in.get(1)), es);
    }
    if (inAvals.get(0).shape().size() > 0) {
      Layout.place(CpuKernels.seg(in.get(0)), ys, off, es, xd, steps);
    }
    return List.of(y);
  }

  /** dynamic_slice[sizes](x, s0, s1, ...): a strided copy from the clamped window start. */
  static List<Buffer> dynamicSlice(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int[] sizes = params.ints("sizes");
    int[] xd = inAvals.get(0).shape().dims();
    long[] xs = Layout.strides(xd);
    AbstractValue out = outAvals.get(0);
    int es = out.dtype().byteSize();
    CpuBuffer y = CpuBuffer.allocate(out);
    if (y.size() == 0) {
      return List.of(y);
    }
    long off = 0;
    for (int a = 0; a < xd.length; a++) {
      off += start(in.get(a + 1), inAvals.get(a + 1), xd[a] - sizes[a]) * xs[a];
    }
    MemorySegment x = CpuKernels.seg(in.get(0));
    Layout.copy(x.asSlice(off * es), y.segment(), es, sizes, xs);
    return List.of(y);
  }

  /**
   * dynamic_update_slice(x, update, s0, s1, ...): a bulk copy of {@code x}, then the update placed
   * at the clamped window start.
   */
  static List<Buffer> dynamicUpdateSlice(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int[] xd = inAvals.get(0).shape().dims();
    int[] ud = inAvals.get(1).shape().dims();
    long[] xs = Layout.strides(xd);
    AbstractValue out = outAvals.get(0);
    int es = out.dtype().byteSize();
    CpuBuffer y = CpuBuffer.allocate(out);
    MemorySegment ys = y.segment();
    if (y.size() == 0) {
      return List.of(y);
    }
    long usize = inAvals.get(1).shape().size();
    if (usize < y.size()) {
      Layout.copyBulk(CpuKernels.seg(in.get(0)), ys);
    }
    if (usize > 0) {
      long off = 0;
      for (int a = 0; a < xd.length; a++) {
        off += start(in.get(a + 2), inAvals.get(a + 2), xd[a] - ud[a]) * xs[a];
      }
      Layout.place(CpuKernels.seg(in.get(1)), ys, off, es, ud, xs);
    }
    return List.of(y);
  }

  /** A scalar start index (I32 or I64) clamped into {@code [0, hi]}, as the reference does. */
  private static long start(Buffer b, AbstractValue aval, int hi) {
    MemorySegment s = CpuKernels.seg(b);
    long v =
        aval.dtype() == DType.I64
            ? s.get(ValueLayout.JAVA_LONG, 0)
            : s.get(ValueLayout.JAVA_INT, 0);
    return Math.max(0, Math.min(hi, v));
  }
}
