package dev.arbor.gpu.ir;

import dev.arbor.array.DType;

/**
 * Pass 2 of a tree reduction (see {@link PartialReduceKernel}): work group {@code g} of {@link
 * PartialReduceKernel#GROUP} items reduces the {@code groups} partials {@code partial[g·groups …
 * g·groups + groups − 1]} — item {@code lid} folds {@code lid, lid + GROUP, …} in order, then the
 * group combines by the same fixed tree — and item 0 writes {@code out[g]}. It depends only on the
 * function and type (the partial count is an argument), so one program serves every shape.
 *
 * <p>Launch: buffers {@code partial}, {@code out}; then {@code int groups}. Grid: one work group
 * per kept point.
 *
 * @param name the entry point's name
 * @param fn the reduction
 * @param type the partials' and the result's element type
 */
public record CombineKernel(String name, Op.ReduceFn fn, DType type) implements GpuKernel {
  /** The combine kernel for {@code pass1}'s reduction, named after its function and type. */
  public static CombineKernel of(PartialReduceKernel pass1) {
    LoopKernel.Reduction r = pass1.loop().reduction();
    return new CombineKernel(
        "arbor_combine_"
            + r.fn().name().toLowerCase(java.util.Locale.ROOT)
            + "_"
            + r.type().shortName(),
        r.fn(),
        r.type());
  }
}
