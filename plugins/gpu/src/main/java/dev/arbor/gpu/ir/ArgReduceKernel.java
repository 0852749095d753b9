package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;

/**
 * {@code argmax} / {@code argmin} along one axis: the reduction carries the index with the value,
 * which {@link LoopKernel}'s accumulator (one value of the reduced type) cannot. One work item per
 * output point {@code o} (the input viewed as {@code [outer, length, inner]}, {@code o =
 * outer·inner + inner point}) reads the {@code length} values at {@code base + j·inner} in order
 * and keeps the first extremum exactly as the reference kernel does: a candidate replaces the best
 * so far when the best is not NaN and the candidate is NaN or strictly better, so ties and {@code
 * -0.0}/{@code 0.0} keep the first index and the first NaN wins.
 *
 * <p>The shape is a launch argument, so one program serves every shape of one type and direction.
 * Launch: buffers {@code in}, {@code out}; then {@code int n} (outputs), {@code int length}, {@code
 * int inner}; one work item per output.
 *
 * @param name the entry point's name
 * @param type the input's element type
 * @param index the output's element type (I32 or I64)
 * @param max argmax (else argmin)
 */
public record ArgReduceKernel(String name, DType type, DType index, boolean max)
    implements GpuKernel {
  public ArgReduceKernel {
    if (index != DType.I32 && index != DType.I64) {
      throw new UnsupportedKernelException("index type " + index);
    }
  }

  /** The kernel and its launch sizes for {@code argmax}/{@code argmin} with these parameters. */
  public static ArgReduceKernel of(String primitive, Params p, AbstractValue x) {
    DType index = p.get("index_dtype", DType.class);
    return new ArgReduceKernel(
        "arbor_" + primitive + "_" + x.dtype().shortName() + "_" + index.shortName(),
        x.dtype(),
        index,
        primitive.equals("argmax"));
  }

  /** The launch sizes for {@code x} reduced along {@code axis}: one work item per line. */
  public static LineSizes shape(AbstractValue x, int axis) {
    return LineSizes.of(x, axis);
  }
}
