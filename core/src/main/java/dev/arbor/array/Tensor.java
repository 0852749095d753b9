package dev.arbor.array;

import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.tree.Leaf;

/**
 * An immutable n-dimensional array: either concrete (data on a backend) or a tracer standing for
 * one inside a transformation. All operations go through primitives, so the same code runs eagerly,
 * under {@code grad}/{@code vmap}, and when staged by {@code jit}.
 *
 * <p>Java scalars are weakly typed, as JAX's Python scalars: {@code x.mul(2)} (a {@code long} or
 * {@code int}) keeps any tensor's dtype; {@code x.mul(2.0)} keeps a float tensor's dtype and turns
 * an integer tensor into F32. Two tensors promote by {@link DType#promote}. Binary operations
 * broadcast as numpy does.
 *
 * <p>{@code equals} is identity: tensors are values but not hashable ones. A leaf in pytrees.
 */
@Leaf
public interface Tensor {
  /** The dimensions. */
  Shape shape();

  /** The element type. */
  DType dtype();

  /** Number of dimensions. */
  default int rank() {
    return shape().rank();
  }

  /** Number of elements. */
  default long size() {
    return shape().size();
  }

  /** The elements in row-major order, converted to float. Fails on tracers. */
  float[] toFloatArray();

  /** The elements in row-major order, converted to double. Fails on tracers. */
  double[] toDoubleArray();

  /** The elements in row-major order, converted to long (floats truncate). Fails on tracers. */
  long[] toLongArray();

  /** The single element of a size-1 tensor, as a double. */
  default double item() {
    if (size() != 1) {
      throw new IllegalArgumentException(
          "item() needs a tensor of size 1, got shape " + shape() + "; use get(...) first");
    }
    return toDoubleArray()[0];
  }

  /** Copies this tensor to another backend's memory (no-op if already there). */
  default Tensor to(String backend) {
    throw new IllegalStateException("to(\"" + backend + "\") needs a concrete tensor, not " + this);
  }

  /** Waits for pending (asynchronous or device) work; returns this. */
  Tensor blockUntilReady();

  default Tensor add(Tensor o) {
    return Ops.add(this, o);
  }

  default Tensor sub(Tensor o) {
    return Ops.sub(this, o);
  }

  default Tensor mul(Tensor o) {
    return Ops.mul(this, o);
  }

  default Tensor div(Tensor o) {
    return Ops.div(this, o);
  }

  default Tensor add(double c) {
    return Ops.add(this, Ops.weak(c, this));
  }

  default Tensor mul(double c) {
    return Ops.mul(this, Ops.weak(c, this));
  }

  default Tensor add(long c) {
    return Ops.add(this, Ops.weak(c, this));
  }

  default Tensor mul(long c) {
    return Ops.mul(this, Ops.weak(c, this));
  }

  default Tensor neg() {
    return Ops.neg(this);
  }

  default Tensor pow(double p) {
    return Ops.pow(this, Ops.weak(p, this));
  }

  /** Matrix product with numpy {@code matmul} semantics (batched, broadcasting batch dims). */
  default Tensor matmul(Tensor o) {
    return Ops.matmul(this, o);
  }

  /** Sum of all elements (a scalar). */
  default Tensor sum() {
    return Ops.sum(this);
  }

  /** Sum over {@code axes} (dropped from the shape). */
  default Tensor sum(int... axes) {
    return Ops.sum(this, axes);
  }

  /** Mean over {@code axes}, or over everything when none are given. */
  default Tensor mean(int... axes) {
    return Ops.mean(this, axes);
  }

  /** Maximum over {@code axes}, or over everything when none are given. */
  default Tensor max(int... axes) {
    return Ops.max(this, axes);
  }

  default Tensor reshape(int... dims) {
    return Ops.reshape(this, dims);
  }

  /** Permutes axes; with no arguments reverses them. */
  default Tensor transpose(int... perm) {
    return Ops.transpose(this, perm);
  }

  default Tensor broadcastTo(int... dims) {
    return Ops.broadcastTo(this, dims);
  }

  default Tensor astype(DType t) {
    return Ops.astype(this, t);
  }

  /** A 1-D F32 tensor. */
  static Tensor of(float... v) {
    double[] d = new double[v.length];
    for (int k = 0; k < v.length; k++) {
      d[k] = v[k];
    }
    return ConcreteTensor.of(HostArray.ofDoubles(AbstractValue.of(DType.F32, v.length), d));
  }

  /** A 2-D F32 tensor from rows of equal length. */
  static Tensor of(float[][] v) {
    int rows = v.length;
    int cols = rows == 0 ? 0 : v[0].length;
    double[] d = new double[rows * cols];
    for (int r = 0; r < rows; r++) {
      if (v[r].length != cols) {
        throw new IllegalArgumentException(
            "row " + r + " has " + v[r].length + " values, row 0 has " + cols);
      }
      for (int c = 0; c < cols; c++) {
        d[r * cols + c] = v[r][c];
      }
    }
    return ConcreteTensor.of(HostArray.ofDoubles(AbstractValue.of(DType.F32, rows, cols), d));
  }

  /** A 1-D F64 tensor. */
  static Tensor of(double... v) {
    return ConcreteTensor.of(HostArray.ofDoubles(AbstractValue.of(DType.F64, v.length), v.clone()));
  }

  /** A 1-D I32 tensor. */
  static Tensor of(int... v) {
    long[] d = new long[v.length];
    for (int k = 0; k < v.length; k++) {
      d[k] = v[k];
    }
    return ConcreteTensor.of(HostArray.ofLongs(AbstractValue.of(DType.I32, v.length), d));
  }

  /** A 1-D I64 tensor. */
  static Tensor of(long... v) {
    return ConcreteTensor.of(HostArray.ofLongs(AbstractValue.of(DType.I64, v.length), v.clone()));
  }

  /** An F32 scalar (F32 is the default float type, as in JAX). */
  static Tensor scalar(double v) {
    return ConcreteTensor.of(HostArray.ofDoubles(AbstractValue.of(DType.F32), new double[] {v}));
  }

  /** A scalar of the given dtype. */
  static Tensor scalar(double v, DType dtype) {
    HostArray h = HostArray.zeros(AbstractValue.of(dtype));
    h.setDouble(0, v);
    return ConcreteTensor.of(h);
  }

  /** F32 zeros. */
  static Tensor zeros(int... dims) {
    return full(0, DType.F32, dims);
  }

  /** F32 ones. */
  static Tensor ones(int... dims) {
    return full(1, DType.F32, dims);
  }

  /** A tensor filled with {@code value}. */
  static Tensor full(double value, DType dtype, int... dims) {
    HostArray h = HostArray.zeros(new AbstractValue(Shape.of(dims), dtype));
    if (value != 0) {
      for (int k = 0; k < h.size(); k++) {
        h.setDouble(k, value);
      }
    }
    return ConcreteTensor.of(h);
  }

  /** {@code [0, 1, …, n-1]} as I32. */
  static Tensor arange(int n) {
    long[] d = new long[n];
    for (int k = 0; k < n; k++) {
      d[k] = k;
    }
    return ConcreteTensor.of(HostArray.ofLongs(AbstractValue.of(DType.I32, n), d));
  }

  /** An F32 tensor of shape {@code dims} over a copy of {@code data} (row-major). */
  static Tensor fromArray(float[] data, int... dims) {
    double[] d = new double[data.length];
    for (int k = 0; k < d.length; k++) {
      d[k] = data[k];
    }
    return ConcreteTensor.of(HostArray.ofDoubles(new AbstractValue(Shape.of(dims), DType.F32), d));
  }

  /** An F64 tensor of shape {@code dims} over a copy of {@code data}. */
  static Tensor fromArray(double[] data, int... dims) {
    return ConcreteTensor.of(
        HostArray.ofDoubles(new AbstractValue(Shape.of(dims), DType.F64), data.clone()));
  }

  // --- indexing (prims-b)

  /**
   * {@code x[start:end]} along {@code axis}; negative bounds count from the end, bounds outside the
   * axis are an error. See {@link Ops#slice(Tensor, int, long, long)}.
   */
  default Tensor slice(int axis, long start, long end) {
    return Ops.slice(this, axis, start, end);
  }

  /**
   * numpy integer indexing: {@code x.get(i, j)} fixes the first two axes and returns the rest (a
   * scalar tensor when every axis is indexed). Negative indices count from the end.
   */
  default Tensor get(long... index) {
    return Ops.get(this, index);
  }

  // ================================================================ math and reductions (prims-a)

  default Tensor exp() {
    return Ops.exp(this);
  }

  default Tensor log() {
    return Ops.log(this);
  }

  default Tensor tanh() {
    return Ops.tanh(this);
  }

  default Tensor sqrt() {
    return Ops.sqrt(this);
  }

  default Tensor abs() {
    return Ops.abs(this);
  }

  default Tensor sigmoid() {
    return Ops.sigmoid(this);
  }

  default Tensor relu() {
    return Ops.relu(this);
  }

  /** Minimum over {@code axes}, or over everything when none are given. */
  default Tensor min(int... axes) {
    return Ops.min(this, axes);
  }

  /** Product over {@code axes}, or over everything when none are given. */
  default Tensor prod(int... axes) {
    return Ops.prod(this, axes);
  }

  /** Index (I32) of the first maximum along {@code axis}. */
  default Tensor argmax(int axis) {
    return Ops.argmax(this, axis);
  }

  /** Index (I32) of the first minimum along {@code axis}. */
  default Tensor argmin(int axis) {
    return Ops.argmin(this, axis);
  }

  /** Running sums along {@code axis}. */
  default Tensor cumsum(int axis) {
    return Ops.cumsum(this, axis);
  }

  /** {@code this < o} elementwise (BOOL), broadcasting. */
  default Tensor lt(Tensor o) {
    return Ops.less(this, o);
  }

  /** {@code this > o} elementwise (BOOL), broadcasting. */
  default Tensor gt(Tensor o) {
    return Ops.greater(this, o);
  }

  /** {@code this == o} elementwise (BOOL), broadcasting. */
  default Tensor eq(Tensor o) {
    return Ops.equal(this, o);
  }
}
