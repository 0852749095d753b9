package dev.arbor.cpu;

import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * broadcast_in_dim, transpose and reshape as strided copies ({@link Layout}). Reshape (and squeeze
 * and expand_dims, registered as reshape: the row-major data are the same) copies rather than
 * sharing memory: a {@link CpuBuffer} has one owner and no reference count, so a shared buffer
 * would be released by whichever tensor dies first.
 */
final class LayoutKernels {
  private LayoutKernels() {}

  static List<Buffer> broadcastInDim(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int[] dims = params.ints("dims");
    int[] xd = inAvals.get(0).shape().dims();
    int[] od = outAvals.get(0).shape().dims();
    long[] xs = Layout.strides(xd);
    long[] strides = new long[od.length];
    for (int k = 0; k < dims.length; k++) {
      strides[dims[k]] = xd[k] == 1 ? 0 : xs[k];
    }
    return copy(in.get(0), outAvals.get(0), od, strides);
  }

  static List<Buffer> transpose(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int[] perm = params.ints("perm");
    long[] xs = Layout.strides(inAvals.get(0).shape().dims());
    long[] strides = new long[perm.length];
    for (int k = 0; k < perm.length; k++) {
      strides[k] = xs[perm[k]];
    }
    return copy(in.get(0), outAvals.get(0), outAvals.get(0).shape().dims(), strides);
  }

  static List<Buffer> reshape(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
    MemorySegment.copy(CpuKernels.seg(in.get(0)), 0, y.segment(), 0, y.byteSize());
    return List.of(y);
  }

  /** slice: a strided copy starting at the first selected element. */
  static List<Buffer> slice(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int[] start = params.ints("start");
    int[] step = params.ints("strides");
    long[] xs = Layout.strides(inAvals.get(0).shape().dims());
    AbstractValue out = outAvals.get(0);
    long es = out.dtype().byteSize();
    long offset = 0;
    long[] strides = new long[xs.length];
    for (int k = 0; k < xs.length; k++) {
      offset += start[k] * xs[k];
      strides[k] = step[k] * xs[k];
    }
    CpuBuffer y = CpuBuffer.allocate(out);
    if (y.size() > 0) {
      MemorySegment x = CpuKernels.seg(in.get(0));
      Layout.copy(x.asSlice(offset * es), y.segment(), (int) es, out.shape().dims(), strides);
    }
    return List.of(y);
  }

  /**
   * concatenate: per position before the axis, each operand's run (its axis length times the axes
   * after it, contiguous in both) is copied in turn.
   */
  static List<Buffer> concatenate(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int axis = params.intValue("axis");
    AbstractValue out = outAvals.get(0);
    int[] od = out.shape().dims();
    long es = out.dtype().byteSize();
    long outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= od[k];
    }
    long inner = 1;
    for (int k = axis + 1; k < od.length; k++) {
      inner *= od[k];
    }
    CpuBuffer y = CpuBuffer.allocate(out);
    MemorySegment ys = y.segment();
    long rowOut = od[axis] * inner * es;
    long at = 0;
    for (int i = 0; i < in.size(); i++) {
      long run = inAvals.get(i).shape().dim(axis) * inner * es;
      if (run > 0) {
        MemorySegment xs = CpuKernels.seg(in.get(i));
        for (long q = 0; q < outer; q++) {
          MemorySegment.copy(xs, q * run, ys, q * rowOut + at, run);
        }
      }
      at += run;
    }
    return List.of(y);
  }

  private static List<Buffer> copy(Buffer x, AbstractValue out, int[] od, long[] strides) {
    CpuBuffer y = CpuBuffer.allocate(out);
    Layout.copy(CpuKernels.seg(x), y.segment(), out.dtype().byteSize(), od, strides);
    return List.of(y);
  }
}
