package dev.arbor.cpu;

import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * broadcast_in_dim, transpose and reshape as strided copies ({@link Layout}). Reshape copies rather
 * than sharing memory: a shared buffer would be released by whichever tensor dies first.
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

  private static List<Buffer> copy(Buffer x, AbstractValue out, int[] od, long[] strides) {
    CpuBuffer y = CpuBuffer.allocate(out);
    Layout.copy(CpuKernels.seg(x), y.segment(), out.dtype().byteSize(), od, strides);
    return List.of(y);
  }
}
