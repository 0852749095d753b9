package dev.arbor.array;

import dev.arbor.tree.Leaf;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The dimensions of a tensor; a value ({@code equals}/{@code hashCode} by dimensions). A leaf in
 * pytrees.
 */
@Leaf
public record Shape(int... dims) {
  /** The shape of a scalar. */
  public static final Shape SCALAR = new Shape();

  /** Validates and copies the dimensions. */
  public Shape {
    dims = dims.clone();
    for (int d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
      }
    }
  }

  /** Shorthand for {@code new Shape(dims)}. */
  public static Shape of(int... dims) {
    return dims.length == 0 ? SCALAR : new Shape(dims);
  }

  @Override
  public int[] dims() {
    return dims.clone();
  }

  /** Number of dimensions. */
  public int rank() {
    return dims.length;
  }

  /** Size of dimension {@code axis}; negative axes count from the end. */
  public int dim(int axis) {
    return dims[normalizeAxis(axis)];
  }

  /** Number of elements (1 for a scalar). */
  public long size() {
    long n = 1;
    for (int d : dims) {
      n *= d;
    }
    return n;
  }

  /** Maps a possibly negative axis into {@code [0, rank)}, or fails naming the shape. */
  public int normalizeAxis(int axis) {
    int a = axis < 0 ? axis + dims.length : axis;
    if (a < 0 || a >= dims.length) {
      throw new IllegalArgumentException(
          "axis " + axis + " is out of range for shape " + this + " (rank " + dims.length + ")");
    }
    return a;
  }

  /** Row-major strides in elements. */
  public long[] strides() {
    long[] s = new long[dims.length];
    long acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= dims[i];
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Renders as {@code [3,4]}. */
  @Override
  public String toString() {
    return Arrays.stream(dims)
        .mapToObj(Integer::toString)
        .collect(Collectors.joining(",", "[", "]"));
  }
}
