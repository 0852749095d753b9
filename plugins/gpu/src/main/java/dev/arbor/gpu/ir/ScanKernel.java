package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import dev.arbor.core.AbstractValue;

/**
 * {@code cumsum} along one axis (core's {@code Reductions.CUMSUM}, parameters {@code axis}, {@code
 * reverse}): one work item per line (the input viewed as {@code [outer, n, inner]}, line {@code l}
 * starting at {@code (l / inner)·n·inner + l % inner}, stride {@code inner}) walks its {@code n}
 * points in order (from the end when {@code reverse}) and stores each running sum. The sums are the
 * reference's exactly: floats accumulate in F64 from {@code +0.0} (so F32 sums are rounded to F32
 * only when stored, as the reference's {@code double} accumulator is), integers wrap in their
 * width. A first version: a parallel scan (work-efficient, per-line tiles) would use more than one
 * item per line, at the price of a different (shape-dependent) rounding order.
 *
 * <p>Sizes are launch arguments (one program per type and direction). Launch: buffers {@code in},
 * {@code out}; then {@code int lines}, {@code int n}, {@code int inner}; one work item per line.
 *
 * @param name the entry point's name
 * @param type the element type (F32, F64, I32, I64)
 * @param reverse sum from the end of each line
 */
public record ScanKernel(String name, DType type, boolean reverse) implements GpuKernel {
  public ScanKernel {
    if (type == DType.BOOL) {
      throw new UnsupportedKernelException("cumsum on BOOL");
    }
  }

  /** The kernel for {@code cumsum} of {@code x}. */
  public static ScanKernel of(AbstractValue x, boolean reverse) {
    return new ScanKernel(
        "arbor_cumsum_" + (reverse ? "reverse_" : "") + x.dtype().shortName(), x.dtype(), reverse);
  }

  /** Launch sizes for {@code x} scanned along {@code axis}: one work item per line. */
  public static LineSizes sizes(AbstractValue x, int axis) {
    return LineSizes.of(x, axis);
  }
}
