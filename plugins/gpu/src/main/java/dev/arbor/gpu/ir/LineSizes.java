package dev.arbor.gpu.ir;

import dev.arbor.core.AbstractValue;

/**
 * The {@code [outer, length, inner]} view of an array along one axis, as the launch sizes of the
 * kernels that give a work item a whole line ({@link ArgReduceKernel}, {@link ScanKernel}, {@link
 * SortKernel}): {@code lines = outer · inner} lines of {@code length} elements, consecutive
 * elements of a line {@code inner} apart.
 */
public record LineSizes(int lines, int length, int inner) {
  /** The lines of {@code x} along {@code axis} (32-bit indices). */
  public static LineSizes of(AbstractValue x, int axis) {
    int[] d = x.shape().dims();
    long size = x.shape().size();
    if (size > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException(x + " has more than 2^31-1 elements");
    }
    long inner = 1;
    for (int k = axis + 1; k < d.length; k++) {
      inner *= d[k];
    }
    int length = d[axis];
    return new LineSizes(length == 0 ? 0 : (int) (size / length), length, (int) inner);
  }
}
