package dev.arbor.array;

import dev.arbor.core.Tracer;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Indexing;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Shapes;
import dev.arbor.core.primitives.Sorting;
import dev.arbor.core.primitives.StopGradient;
import dev.arbor.core.primitives.Structural;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The numpy-like operations. Binary operations broadcast as numpy does and promote dtypes with
 * {@link DType#promote}; every operation ends in primitives, so it works under every
 * transformation. {@link Tensor}'s methods delegate here.
 */
public final class Ops {
  private Ops() {}

  // ------------------------------------------------------------ scalars, broadcasting, promotion

  /**
   * A Java {@code double} as a weakly typed constant next to {@code like}: a float tensor's dtype,
   * or F32 for an integer tensor.
   */
  public static Tensor weak(double c, Tensor like) {
    DType t = like.dtype().isFloating() ? like.dtype() : DType.F32;
    return Tensor.scalar(c, t);
  }

  /** A Java {@code long} as a weakly typed constant: keeps {@code like}'s dtype. */
  public static Tensor weak(long c, Tensor like) {
    DType t = like.dtype() == DType.BOOL ? DType.I32 : like.dtype();
    return Tensor.scalar(c, t);
  }

  /** The numpy broadcast of two shapes, or an error naming the op and both shapes. */
  public static Shape broadcastShapes(String op, Shape a, Shape b) {
    int rank = Math.max(a.rank(), b.rank());
    int[] out = new int[rank];
    for (int k = 0; k < rank; k++) {
      int da = k - (rank - a.rank()) >= 0 ? a.dim(k - (rank - a.rank())) : 1;
      int db = k - (rank - b.rank()) >= 0 ? b.dim(k - (rank - b.rank())) : 1;
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(
            "'"
                + op
                + "': shapes "
                + a
                + " and "
                + b
                + " cannot be broadcast together (axis "
                + k
                + " of the result: "
                + da
                + " vs "
                + db
                + "); reshape one so that each axis matches or is 1");
      }
      out[k] = da == 1 ? db : da; // numpy: 1 stretches to any size, including 0
    }
    return Shape.of(out);
  }

  /** Broadcasts {@code x} to {@code dims} with numpy rules (trailing axes aligned). */
  public static Tensor broadcastTo(Tensor x, int... dims) {
    Shape target = Shape.of(dims);
    if (x.shape().equals(target)) {
      return x;
    }
    Shape check = broadcastShapes("broadcastTo", x.shape(), target);
    if (!check.equals(target)) {
      throw new IllegalArgumentException(
          "cannot broadcast "
              + x.shape()
              + " to "
              + target
              + ": the target must be at least as large");
    }
    int offset = dims.length - x.rank();
    int[] bdims = new int[x.rank()];
    for (int k = 0; k < bdims.length; k++) {
      bdims[k] = k + offset;
    }
    return Structural.broadcastInDim(x, dims, bdims);
  }

  private static Tensor[] promoteAndBroadcast(String op, Tensor a, Tensor b) {
    DType t = DType.promote(a.dtype(), b.dtype());
    Shape s = broadcastShapes(op, a.shape(), b.shape());
    return new Tensor[] {broadcastTo(astype(a, t), s.dims()), broadcastTo(astype(b, t), s.dims())};
  }

  // ------------------------------------------------------------ arithmetic

  public static Tensor add(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("add", a, b);
    return Elementwise.add(x[0], x[1]);
  }

  public static Tensor sub(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("sub", a, b);
    return Elementwise.sub(x[0], x[1]);
  }

  public static Tensor mul(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("mul", a, b);
    return Elementwise.mul(x[0], x[1]);
  }

  public static Tensor div(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("div", a, b);
    return Elementwise.div(x[0], x[1]);
  }

  public static Tensor pow(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("pow", a, b);
    if (!x[0].dtype().isFloating()) {
      x[0] = astype(x[0], DType.F32);
      x[1] = astype(x[1], DType.F32);
    }
    return Elementwise.pow(x[0], x[1]);
  }

  public static Tensor maximum(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("maximum", a, b);
    return Elementwise.max(x[0], x[1]);
  }

  public static Tensor minimum(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("minimum", a, b);
    return Elementwise.min(x[0], x[1]);
  }

  public static Tensor neg(Tensor x) {
    return Elementwise.neg(x);
  }

  public static Tensor exp(Tensor x) {
    return Elementwise.exp(floating(x));
  }

  public static Tensor log(Tensor x) {
    return Elementwise.log(floating(x));
  }

  public static Tensor tanh(Tensor x) {
    return Elementwise.tanh(floating(x));
  }

  public static Tensor sin(Tensor x) {
    return Elementwise.sin(floating(x));
  }

  public static Tensor cos(Tensor x) {
    return Elementwise.cos(floating(x));
  }

  private static Tensor floating(Tensor x) {
    return x.dtype().isFloating() ? x : astype(x, DType.F32);
  }

  /** {@code cond ? a : b} elementwise, broadcasting all three. */
  public static Tensor where(Tensor cond, Tensor a, Tensor b) {
    DType t = DType.promote(a.dtype(), b.dtype());
    Shape s =
        broadcastShapes("where", broadcastShapes("where", cond.shape(), a.shape()), b.shape());
    Tensor c = cond.dtype() == DType.BOOL ? cond : Elementwise.ne0(cond);
    return Elementwise.select(
        broadcastTo(c, s.dims()),
        broadcastTo(astype(a, t), s.dims()),
        broadcastTo(astype(b, t), s.dims()));
  }

  /**
   * {@code x} unchanged, but treated as a constant by differentiation: its tangent is zero, so no
   * gradient flows through it. Batches elementwise.
   */
  public static Tensor stopGradient(Tensor x) {
    return StopGradient.stopGradient(x);
  }

  public static Tensor astype(Tensor x, DType t) {
    return Elementwise.convert(x, t);
  }

  // ------------------------------------------------------------ reductions

  /** Sum of all elements. */
  public static Tensor sum(Tensor x) {
    return Reductions.sum(x, allAxes(x));
  }

  /** Sum over {@code axes}; no axes means all. */
  public static Tensor sum(Tensor x, int... axes) {
    return Reductions.sum(x, axes.length == 0 ? allAxes(x) : axes);
  }

  /** Mean over {@code axes}; no axes means all. Integer tensors give F32. */
  public static Tensor mean(Tensor x, int... axes) {
    int[] a = axes.length == 0 ? allAxes(x) : axes;
    long n = 1;
    for (int ax : a) {
      n *= x.shape().dim(ax);
    }
    Tensor s = Reductions.sum(floating(x), a);
    return s.mul(1.0 / n);
  }

  /** Maximum over {@code axes}; no axes means all. */
  public static Tensor max(Tensor x, int... axes) {
    return Reductions.max(x, axes.length == 0 ? allAxes(x) : axes);
  }

  private static int[] allAxes(Tensor x) {
    int[] a = new int[x.rank()];
    for (int k = 0; k < a.length; k++) {
      a[k] = k;
    }
    return a;
  }

  // ------------------------------------------------------------ shapes

  /** Reshapes; one dimension may be -1 (inferred). */
  public static Tensor reshape(Tensor x, int... dims) {
    int[] d = dims.clone();
    int infer = -1;
    long known = 1;
    for (int k = 0; k < d.length; k++) {
      if (d[k] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException(
              "reshape: only one dimension may be -1, got " + Arrays.toString(dims));
        }
        infer = k;
      } else {
        known *= d[k];
      }
    }
    if (infer >= 0) {
      if (known == 0 || x.size() % known != 0) {
        throw new IllegalArgumentException(
            "cannot reshape "
                + x.shape()
                + " ("
                + x.size()
                + " elements) to "
                + Arrays.toString(dims));
      }
      d[infer] = (int) (x.size() / known);
    }
    return Structural.reshape(x, d);
  }

  /** Permutes axes; no arguments reverses them. */
  public static Tensor transpose(Tensor x, int... perm) {
    if (perm.length == 0) {
      perm = new int[x.rank()];
      for (int k = 0; k < perm.length; k++) {
        perm[k] = x.rank() - 1 - k;
      }
    }
    return Structural.transpose(x, perm);
  }

  // ------------------------------------------------------------ linear algebra

  /**
   * numpy {@code matmul}: 1-D operands are promoted to matrices (and the added axis removed),
   * leading batch axes broadcast.
   */
  public static Tensor matmul(Tensor a, Tensor b) {
    if (a.rank() == 0 || b.rank() == 0) {
      throw new IllegalArgumentException(
          "matmul needs operands of rank >= 1, got "
              + a.shape()
              + " and "
              + b.shape()
              + "; use mul for scalars");
    }
    DType t = DType.promote(a.dtype(), b.dtype());
    a = astype(a, t);
    b = astype(b, t);
    boolean va = a.rank() == 1;
    boolean vb = b.rank() == 1;
    if (va) {
      a = reshape(a, 1, a.shape().dim(0));
    }
    if (vb) {
      b = reshape(b, b.shape().dim(0), 1);
    }
    int ka = a.shape().dim(-1);
    int kb = b.shape().dim(-2);
    if (ka != kb) {
      throw new IllegalArgumentException(
          "matmul: inner dimensions differ: "
              + a.shape()
              + " @ "
              + b.shape()
              + " ("
              + ka
              + " vs "
              + kb
              + ")");
    }
    int[] ad = a.shape().dims();
    int[] bd = b.shape().dims();
    Shape batch =
        broadcastShapes(
            "matmul",
            Shape.of(Arrays.copyOf(ad, ad.length - 2)),
            Shape.of(Arrays.copyOf(bd, bd.length - 2)));
    int nb = batch.rank();
    int[] aTarget = Arrays.copyOf(batch.dims(), nb + 2);
    aTarget[nb] = ad[ad.length - 2];
    aTarget[nb + 1] = ka;
    int[] bTarget = Arrays.copyOf(batch.dims(), nb + 2);
    bTarget[nb] = kb;
    bTarget[nb + 1] = bd[bd.length - 1];
    a = broadcastTo(a, aTarget);
    b = broadcastTo(b, bTarget);
    int[] batchAxes = new int[nb];
    for (int k = 0; k < nb; k++) {
      batchAxes[k] = k;
    }
    Tensor r =
        LinearAlgebra.dotGeneral(
            a, b, new LinearAlgebra.Dims(new int[] {nb + 1}, new int[] {nb}, batchAxes, batchAxes));
    if (va && vb) {
      return reshape(r, Arrays.copyOf(batch.dims(), nb));
    }
    if (va) {
      int[] s = r.shape().dims();
      int[] o = new int[s.length - 1];
      System.arraycopy(s, 0, o, 0, nb);
      o[nb] = s[nb + 1];
      return reshape(r, o);
    }
    if (vb) {
      return reshape(r, Arrays.copyOf(r.shape().dims(), r.rank() - 1));
    }
    return r;
  }

  // ------------------------------------------------------------ collectives over named vmap axes

  /** Sum over the vmap axis named {@code axisName}; the result is the same for every index. */
  public static Tensor psum(Tensor x, String axisName) {
    return dev.arbor.core.primitives.Collectives.psum(x, axisName);
  }

  /** Mean over the vmap axis named {@code axisName}. */
  public static Tensor pmean(Tensor x, String axisName) {
    return dev.arbor.core.primitives.Collectives.pmean(x, axisName);
  }

  /** Maximum over the vmap axis named {@code axisName}. */
  public static Tensor pmax(Tensor x, String axisName) {
    return dev.arbor.core.primitives.Collectives.pmax(x, axisName);
  }

  /** The values at every index of the vmap axis named {@code axisName}, stacked on a new axis 0. */
  public static Tensor allGather(Tensor x, String axisName) {
    return dev.arbor.core.primitives.Collectives.allGather(x, axisName);
  }

  // ------------------------------------------------------------ indexing and slicing (prims-b)

  /**
   * {@code x[start:end]} along {@code axis} (numpy slicing with step 1). Negative {@code start}/
   * {@code end} count from the end of the axis; unlike numpy, bounds outside the axis are an error
   * rather than silently clipped.
   */
  public static Tensor slice(Tensor x, int axis, long start, long end) {
    return slice(x, axis, start, end, 1);
  }

  /** {@code x[start:end:step]} along {@code axis}; {@code step >= 1}. */
  public static Tensor slice(Tensor x, int axis, long start, long end, int step) {
    int a = axisOf("slice", x, axis);
    int n = x.shape().dim(a);
    long s = start < 0 ? start + n : start;
    long e = end < 0 ? end + n : end;
    if (s < 0 || e > n || s > e || step < 1) {
      throw new IllegalArgumentException(
          "slice: ["
              + start
              + ":"
              + end
              + (step == 1 ? "" : ":" + step)
              + "] on axis "
              + axis
              + " is out of range for shape "
              + x.shape()
              + " (the axis has "
              + n
              + " elements; need -"
              + n
              + " <= start <= end <= "
              + n
              + " after counting negatives from the end, and step >= 1)");
    }
    int[] st = new int[x.rank()];
    int[] lim = x.shape().dims();
    int[] strides = new int[x.rank()];
    Arrays.fill(strides, 1);
    st[a] = (int) s;
    lim[a] = (int) e;
    strides[a] = step;
    return Indexing.slice(x, st, lim, strides);
  }

  /**
   * numpy integer indexing {@code x[i, j, …]}: fixes the first {@code index.length} axes and
   * returns the remaining sub-tensor (a scalar when every axis is indexed). Negative indices count
   * from the end; an index outside the axis is an error.
   */
  public static Tensor get(Tensor x, long... index) {
    if (index.length > x.rank()) {
      throw new IllegalArgumentException(
          "get: too many indices ("
              + index.length
              + ") for a tensor of shape "
              + x.shape()
              + " (rank "
              + x.rank()
              + ")");
    }
    if (index.length == 0) {
      return x;
    }
    int[] st = new int[x.rank()];
    int[] lim = x.shape().dims();
    int[] strides = new int[x.rank()];
    Arrays.fill(strides, 1);
    int[] fixed = new int[index.length];
    for (int a = 0; a < index.length; a++) {
      int n = lim[a];
      long i = index[a] < 0 ? index[a] + n : index[a];
      if (i < 0 || i >= n) {
        throw new IllegalArgumentException(
            "get: index "
                + index[a]
                + " is out of range for axis "
                + a
                + " of shape "
                + x.shape()
                + " (valid: "
                + -n
                + " .. "
                + (n - 1)
                + ")");
      }
      st[a] = (int) i;
      lim[a] = (int) i + 1;
      fixed[a] = a;
    }
    return Indexing.squeeze(Indexing.slice(x, st, lim, strides), fixed);
  }

  /**
   * Removes size-1 axes: the given ones (an error if one is not of size 1), or all of them when
   * none are given.
   */
  public static Tensor squeeze(Tensor x, int... axes) {
    if (axes.length == 0) {
      List<Integer> ones = new ArrayList<>();
      for (int a = 0; a < x.rank(); a++) {
        if (x.shape().dim(a) == 1) {
          ones.add(a);
        }
      }
      axes = ones.stream().mapToInt(Integer::intValue).toArray();
    }
    return Indexing.squeeze(x, axes);
  }

  /** Inserts size-1 axes so that they sit at {@code axes} of the result (negative from the end). */
  public static Tensor expandDims(Tensor x, int... axes) {
    return Indexing.expandDims(x, axes);
  }

  /**
   * numpy {@code pad(x, widths, constant_values=value)}: {@code widths[a] = {before, after}} for
   * every axis {@code a}.
   */
  public static Tensor pad(Tensor x, int[][] widths, double value) {
    if (widths.length != x.rank()) {
      throw new IllegalArgumentException(
          "pad: needs one {before, after} pair per axis of shape "
              + x.shape()
              + ", got "
              + widths.length
              + " pairs");
    }
    int[] low = new int[x.rank()];
    int[] high = new int[x.rank()];
    for (int a = 0; a < widths.length; a++) {
      if (widths[a].length != 2) {
        throw new IllegalArgumentException(
            "pad: widths[" + a + "] must be {before, after}, got " + Arrays.toString(widths[a]));
      }
      low[a] = widths[a][0];
      high[a] = widths[a][1];
    }
    return pad(x, low, high, new int[x.rank()], Tensor.scalar(value, x.dtype()));
  }

  /** {@link #pad(Tensor, int[][], double)} with zeros. */
  public static Tensor pad(Tensor x, int[][] widths) {
    return pad(x, widths, 0);
  }

  /**
   * The general pad: {@code low}/{@code high} elements before/after and {@code interior} between
   * the elements of every axis, filled with the scalar {@code value} (differentiable too).
   */
  public static Tensor pad(Tensor x, int[] low, int[] high, int[] interior, Tensor value) {
    return Indexing.pad(x, astype(value, x.dtype()), low, high, interior);
  }

  /** Joins tensors along an existing axis (numpy {@code concatenate}); dtypes are promoted. */
  public static Tensor concat(int axis, Tensor... xs) {
    if (xs.length == 0) {
      throw new IllegalArgumentException("concat: needs at least one tensor");
    }
    Tensor[] p = promoteAll(xs);
    int a = axisOf("concat", p[0], axis);
    for (Tensor t : p) {
      if (t.rank() != p[0].rank()) {
        throw new IllegalArgumentException(
            "concat: all tensors need the same rank, got shapes " + shapes(xs));
      }
    }
    return Indexing.concatenate(List.of(p), a);
  }

  /** Joins tensors of one shape along a new axis {@code axis} (numpy {@code stack}). */
  public static Tensor stack(int axis, Tensor... xs) {
    if (xs.length == 0) {
      throw new IllegalArgumentException("stack: needs at least one tensor");
    }
    for (Tensor t : xs) {
      if (!t.shape().equals(xs[0].shape())) {
        throw new IllegalArgumentException(
            "stack: all tensors need the same shape, got " + shapes(xs));
      }
    }
    Tensor[] p = promoteAll(xs);
    int a = axis < 0 ? axis + xs[0].rank() + 1 : axis;
    if (a < 0 || a > xs[0].rank()) {
      throw new IllegalArgumentException(
          "stack: axis "
              + axis
              + " is out of range for stacking tensors of shape "
              + xs[0].shape());
    }
    List<Tensor> expanded = new ArrayList<>(p.length);
    for (Tensor t : p) {
      expanded.add(Indexing.expandDims(t, a));
    }
    return Indexing.concatenate(expanded, a);
  }

  /** {@code axis} normalized against {@code x}'s rank, or an error naming {@code op}. */
  private static int axisOf(String op, Tensor x, int axis) {
    int a = axis < 0 ? axis + x.rank() : axis;
    if (a < 0 || a >= x.rank()) {
      throw new IllegalArgumentException(
          op
              + ": axis "
              + axis
              + " is out of range for shape "
              + x.shape()
              + " (rank "
              + x.rank()
              + ")");
    }
    return a;
  }

  private static Tensor[] promoteAll(Tensor... xs) {
    DType t = xs[0].dtype();
    for (Tensor x : xs) {
      t = DType.promote(t, x.dtype());
    }
    Tensor[] r = new Tensor[xs.length];
    for (int k = 0; k < xs.length; k++) {
      r[k] = astype(xs[k], t);
    }
    return r;
  }

  private static String shapes(Tensor... xs) {
    StringBuilder sb = new StringBuilder();
    for (Tensor x : xs) {
      sb.append(sb.length() == 0 ? "" : ", ").append(x.shape());
    }
    return sb.toString();
  }

  /**
   * numpy {@code take(x, indices, axis)}: {@code x[..., indices, ...]} with integer {@code indices}
   * of any shape replacing axis {@code axis}. Negative indices count from the end. Concrete indices
   * out of range are an error; indices that are tracers are clamped (as XLA does).
   */
  public static Tensor take(Tensor x, Tensor indices, int axis) {
    int a = axisOf("take", x, axis);
    Tensor idx = normalizeIndices("take", indices, x.shape(), a);
    return Indexing.gather(x, idx, a, 0);
  }

  /**
   * numpy {@code take_along_axis(x, indices, axis)}: {@code indices} has the rank of {@code x};
   * along {@code axis} it picks elements, the other axes broadcast against {@code x}'s.
   */
  public static Tensor takeAlongAxis(Tensor x, Tensor indices, int axis) {
    int a = axisOf("takeAlongAxis", x, axis);
    if (indices.rank() != x.rank()) {
      throw new IllegalArgumentException(
          "takeAlongAxis: indices "
              + indices.shape()
              + " must have the rank of the tensor "
              + x.shape()
              + " ("
              + x.rank()
              + "); add axes with expandDims");
    }
    Tensor idx = normalizeIndices("takeAlongAxis", indices, x.shape(), a);
    int[] xd = x.shape().dims();
    int[] id = idx.shape().dims();
    int[] bx = xd.clone();
    int[] bi = id.clone();
    for (int d = 0; d < xd.length; d++) {
      if (d == a) {
        continue;
      }
      if (xd[d] != id[d] && xd[d] != 1 && id[d] != 1) {
        throw new IllegalArgumentException(
            "takeAlongAxis: indices "
                + indices.shape()
                + " do not broadcast against the tensor "
                + x.shape()
                + " on axis "
                + d
                + " ("
                + id[d]
                + " vs "
                + xd[d]
                + ")");
      }
      bx[d] = Math.max(xd[d], id[d]);
      bi[d] = bx[d];
    }
    int last = x.rank() - 1;
    Tensor xm = Structural.moveAxis(broadcastTo(x, bx), a, last);
    Tensor im = Structural.moveAxis(broadcastTo(idx, bi), a, last);
    return Structural.moveAxis(Indexing.gather(xm, im, last, last), last, a);
  }

  /** Checks integer indices (concrete ones against the axis) and maps negatives to positions. */
  private static Tensor normalizeIndices(String op, Tensor indices, Shape shape, int axis) {
    if (!indices.dtype().isInteger()) {
      throw new IllegalArgumentException(
          op + ": indices must be an integer tensor, got " + indices.dtype() + indices.shape());
    }
    int n = shape.dim(axis);
    if (!(indices instanceof Tracer)) {
      boolean negative = false;
      for (long i : indices.toLongArray()) {
        if (i < -n || i >= n) {
          throw new IllegalArgumentException(
              op
                  + ": index "
                  + i
                  + " is out of range for axis "
                  + axis
                  + " of shape "
                  + shape
                  + " (valid: "
                  + -n
                  + " .. "
                  + (n - 1)
                  + ")");
        }
        negative |= i < 0;
      }
      if (!negative) {
        return indices;
      }
    }
    Tensor zero = Tensor.full(0, indices.dtype(), indices.shape().dims());
    Tensor size = Tensor.full(n, indices.dtype(), indices.shape().dims());
    return Elementwise.select(
        Elementwise.lt(indices, zero), Elementwise.add(indices, size), indices);
  }

  /**
   * The window of shape {@code sizes} starting at the integer scalar tensors {@code starts} (one
   * per axis), clamped so that the window fits (XLA's {@code dynamic_slice}); works with traced
   * starts.
   */
  public static Tensor dynamicSlice(Tensor x, List<Tensor> starts, int... sizes) {
    return Indexing.dynamicSlice(x, starts, sizes);
  }

  /** {@code x} with the window at {@code starts} (clamped) replaced by {@code update}. */
  public static Tensor dynamicUpdateSlice(Tensor x, Tensor update, List<Tensor> starts) {
    return Indexing.dynamicUpdateSlice(x, astype(update, x.dtype()), starts);
  }

  // ------------------------------------------------------------ dot and einsum (prims-b)

  /**
   * numpy {@code dot}: scalars multiply; 1-D·1-D is the inner product; 2-D·2-D the matrix product;
   * N-D·1-D sums over the last axes; N-D·M-D sums over the last axis of {@code a} and the
   * second-to-last of {@code b} (result shape {@code a[:-1] + b[:-2] + b[-1:]}).
   */
  public static Tensor dot(Tensor a, Tensor b) {
    if (a.rank() == 0 || b.rank() == 0) {
      return mul(a, b);
    }
    DType t = DType.promote(a.dtype(), b.dtype());
    a = astype(a, t);
    b = astype(b, t);
    int ca = a.rank() - 1;
    int cb = b.rank() == 1 ? 0 : b.rank() - 2;
    if (a.shape().dim(ca) != b.shape().dim(cb)) {
      throw new IllegalArgumentException(
          "dot: shapes "
              + a.shape()
              + " and "
              + b.shape()
              + " are not aligned: axis "
              + ca
              + " of the first ("
              + a.shape().dim(ca)
              + ") must equal axis "
              + cb
              + " of the second ("
              + b.shape().dim(cb)
              + ")");
    }
    return LinearAlgebra.dotGeneral(
        a, b, new LinearAlgebra.Dims(new int[] {ca}, new int[] {cb}, new int[0], new int[0]));
  }

  /**
   * Einstein summation, e.g. {@code einsum("ij,jk->ik", a, b)}, {@code einsum("bij,bjk->bik", …)},
   * {@code einsum("ij->ji", a)}, {@code einsum("i,i", u, v)}. Without {@code ->} the output takes
   * the letters that appear exactly once, in alphabetical order (numpy's rule). Lowered to
   * reduce_sum, dot_general and transpose, contracting operands left to right. Not supported, with
   * an error that says so: an index repeated within one operand (traces, diagonals) and {@code
   * ...}.
   */
  public static Tensor einsum(String spec, Tensor... xs) {
    String s = spec.replace(" ", "");
    if (s.contains(".")) {
      throw new IllegalArgumentException(
          "einsum(\""
              + spec
              + "\"): '...' is not supported; name every axis with a letter, or use matmul"
              + " for batched matrix products");
    }
    String lhs = s;
    String out = null;
    int arrow = s.indexOf("->");
    if (arrow >= 0) {
      lhs = s.substring(0, arrow);
      out = s.substring(arrow + 2);
    }
    String[] terms = lhs.split(",", -1);
    if (terms.length != xs.length) {
      throw new IllegalArgumentException(
          "einsum(\""
              + spec
              + "\"): the spec names "
              + terms.length
              + " operand(s) but "
              + xs.length
              + " were given");
    }
    Map<Character, Integer> sizes = new LinkedHashMap<>();
    Map<Character, Integer> counts = new LinkedHashMap<>();
    for (int k = 0; k < terms.length; k++) {
      String term = terms[k];
      if (term.length() != xs[k].rank()) {
        throw new IllegalArgumentException(
            "einsum(\""
                + spec
                + "\"): operand "
                + k
                + " has shape "
                + xs[k].shape()
                + " (rank "
                + xs[k].rank()
                + ") but its subscripts '"
                + term
                + "' name "
                + term.length()
                + " axes");
      }
      for (int i = 0; i < term.length(); i++) {
        char c = term.charAt(i);
        if (!Character.isLetter(c)) {
          throw new IllegalArgumentException(
              "einsum(\"" + spec + "\"): subscripts must be letters, got '" + c + "'");
        }
        if (term.indexOf(c) != i) {
          throw new IllegalArgumentException(
              "einsum(\""
                  + spec
                  + "\"): index '"
                  + c
                  + "' is repeated within operand "
                  + k
                  + " ('"
                  + term
                  + "'); traces and diagonals are not supported by einsum yet");
        }
        int n = xs[k].shape().dim(i);
        Integer prev = sizes.putIfAbsent(c, n);
        if (prev != null && prev != n) {
          throw new IllegalArgumentException(
              "einsum(\""
                  + spec
                  + "\"): index '"
                  + c
                  + "' has size "
                  + prev
                  + " in one operand and "
                  + n
                  + " in operand "
                  + k
                  + " (shape "
                  + xs[k].shape()
                  + ")");
        }
        counts.merge(c, 1, Integer::sum);
      }
    }
    if (out == null) {
      StringBuilder sb = new StringBuilder();
      counts.entrySet().stream()
          .filter(e -> e.getValue() == 1)
          .map(Map.Entry::getKey)
          .sorted()
          .forEach(sb::append);
      out = sb.toString();
    }
    for (int i = 0; i < out.length(); i++) {
      char c = out.charAt(i);
      if (!sizes.containsKey(c) || out.indexOf(c) != i) {
        throw new IllegalArgumentException(
            "einsum(\""
                + spec
                + "\"): output index '"
                + c
                + "' must appear once in the output and in some operand");
      }
    }
    Tensor[] p = promoteAll(xs);
    Labeled cur = new Labeled(p[0], terms[0]);
    for (int k = 1; k < p.length; k++) {
      StringBuilder rest = new StringBuilder(out);
      for (int j = k + 1; j < terms.length; j++) {
        rest.append(terms[j]);
      }
      String needed = rest.toString();
      // Sum out what no one else needs before contracting, to keep intermediates small.
      cur = cur.sumExcept(needed + terms[k]);
      Labeled next = new Labeled(p[k], terms[k]).sumExcept(needed + cur.term());
      cur = cur.contract(next, needed);
    }
    cur = cur.sumExcept(out);
    return Structural.transpose(cur.x(), positions(cur.term(), out));
  }

  /** A tensor with one einsum letter per axis. */
  private record Labeled(Tensor x, String term) {
    /** Sums over the axes whose letters are not in {@code needed}. */
    Labeled sumExcept(String needed) {
      List<Integer> axes = new ArrayList<>();
      StringBuilder kept = new StringBuilder();
      for (int i = 0; i < term.length(); i++) {
        if (needed.indexOf(term.charAt(i)) < 0) {
          axes.add(i);
        } else {
          kept.append(term.charAt(i));
        }
      }
      if (axes.isEmpty()) {
        return this;
      }
      return new Labeled(
          Reductions.sum(x, axes.stream().mapToInt(Integer::intValue).toArray()), kept.toString());
    }

    /**
     * One dot_general with {@code other}: shared letters still {@code needed} later are batch axes,
     * the other shared letters are contracted. Result letters: batch, then this's free letters,
     * then other's (dot_general's output order).
     */
    Labeled contract(Labeled other, String needed) {
      StringBuilder batch = new StringBuilder();
      StringBuilder contracted = new StringBuilder();
      for (char c : term.toCharArray()) {
        if (other.term.indexOf(c) >= 0) {
          (needed.indexOf(c) >= 0 ? batch : contracted).append(c);
        }
      }
      Tensor r =
          LinearAlgebra.dotGeneral(
              x,
              other.x,
              new LinearAlgebra.Dims(
                  positions(term, contracted),
                  positions(other.term, contracted),
                  positions(term, batch),
                  positions(other.term, batch)));
      StringBuilder t = new StringBuilder(batch);
      for (char c : (term + other.term).toCharArray()) {
        if (other.term.indexOf(c) < 0 || term.indexOf(c) < 0) {
          t.append(c);
        }
      }
      return new Labeled(r, t.toString());
    }
  }

  private static int[] positions(String term, CharSequence letters) {
    int[] r = new int[letters.length()];
    for (int i = 0; i < r.length; i++) {
      r[i] = term.indexOf(letters.charAt(i));
    }
    return r;
  }

  // ================================================================ elementwise math (prims-a)

  public static Tensor sqrt(Tensor x) {
    return Elementwise.sqrt(floating(x));
  }

  /** {@code 1 / sqrt(x)}. */
  public static Tensor rsqrt(Tensor x) {
    return Elementwise.rsqrt(floating(x));
  }

  /** {@code log(1 + x)}, accurate for small x. */
  public static Tensor log1p(Tensor x) {
    return Elementwise.log1p(floating(x));
  }

  /** {@code exp(x) - 1}, accurate for small x. */
  public static Tensor expm1(Tensor x) {
    return Elementwise.expm1(floating(x));
  }

  /** The logistic sigmoid {@code 1 / (1 + exp(-x))}. */
  public static Tensor sigmoid(Tensor x) {
    return Elementwise.logistic(floating(x));
  }

  /** {@code max(x, 0)}, with derivative 0 at 0 (as JAX's {@code relu}). Keeps integer dtypes. */
  public static Tensor relu(Tensor x) {
    Tensor zero = Tensor.full(0, x.dtype(), x.shape().dims());
    return Elementwise.select(Elementwise.gt(x, zero), x, zero);
  }

  /** The inverse error function on (-1, 1). */
  public static Tensor erfInv(Tensor x) {
    return Elementwise.erfInv(floating(x));
  }

  /** {@code |x|}; integer tensors stay integer. */
  public static Tensor abs(Tensor x) {
    return Elementwise.abs(x);
  }

  /** -1, 0 or 1 per element, in x's dtype. */
  public static Tensor sign(Tensor x) {
    return Elementwise.sign(x);
  }

  /** Rounds down; integer tensors are returned unchanged. */
  public static Tensor floor(Tensor x) {
    return x.dtype().isFloating() ? Elementwise.floor(x) : x;
  }

  /** Rounds up; integer tensors are returned unchanged. */
  public static Tensor ceil(Tensor x) {
    return x.dtype().isFloating() ? Elementwise.ceil(x) : x;
  }

  /** Rounds half to even (numpy's and {@code jnp.round}'s rule); integers are unchanged. */
  public static Tensor round(Tensor x) {
    return x.dtype().isFloating() ? Elementwise.round(x) : x;
  }

  /** The angle of the point {@code (b, a)}: {@code Math.atan2(a, b)} elementwise, broadcasting. */
  public static Tensor atan2(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("atan2", a, b);
    return Elementwise.atan2(floating(x[0]), floating(x[1]));
  }

  /**
   * C-style remainder with the sign of {@code a} (Java's {@code %}, {@code lax.rem}); integer
   * tensors stay integer and fail on division by zero.
   */
  public static Tensor rem(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("rem", a, b);
    return Elementwise.rem(x[0], x[1]);
  }

  // ================================================================ comparisons (prims-a)

  /** {@code a == b} elementwise as BOOL, broadcasting and promoting. */
  public static Tensor equal(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("eq", a, b);
    return Elementwise.eq(x[0], x[1]);
  }

  public static Tensor notEqual(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("ne", a, b);
    return Elementwise.ne(x[0], x[1]);
  }

  public static Tensor less(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("lt", a, b);
    return Elementwise.lt(x[0], x[1]);
  }

  public static Tensor lessEqual(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("le", a, b);
    return Elementwise.le(x[0], x[1]);
  }

  public static Tensor greater(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("gt", a, b);
    return Elementwise.gt(x[0], x[1]);
  }

  public static Tensor greaterEqual(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("ge", a, b);
    return Elementwise.ge(x[0], x[1]);
  }

  // ================================================================ logical and bitwise (prims-a)

  /** Logical and: non-bool operands count as {@code != 0}; the result is BOOL. */
  public static Tensor logicalAnd(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("and", truth(a), truth(b));
    return Elementwise.and(x[0], x[1]);
  }

  public static Tensor logicalOr(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("or", truth(a), truth(b));
    return Elementwise.or(x[0], x[1]);
  }

  public static Tensor logicalXor(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("xor", truth(a), truth(b));
    return Elementwise.xor(x[0], x[1]);
  }

  public static Tensor logicalNot(Tensor a) {
    return Elementwise.not(truth(a));
  }

  private static Tensor truth(Tensor x) {
    return x.dtype() == DType.BOOL ? x : Elementwise.ne0(x);
  }

  /** Bitwise and of integer (or bool) tensors, broadcasting and promoting. */
  public static Tensor bitwiseAnd(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("and", a, b);
    return Elementwise.and(x[0], x[1]);
  }

  public static Tensor bitwiseOr(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("or", a, b);
    return Elementwise.or(x[0], x[1]);
  }

  public static Tensor bitwiseXor(Tensor a, Tensor b) {
    Tensor[] x = promoteAndBroadcast("xor", a, b);
    return Elementwise.xor(x[0], x[1]);
  }

  public static Tensor bitwiseNot(Tensor a) {
    return Elementwise.not(a);
  }

  // ================================================================ reductions and scans (prims-a)

  /** Minimum over {@code axes}; no axes means all. */
  public static Tensor min(Tensor x, int... axes) {
    return Reductions.min(x, axes.length == 0 ? allAxes(x) : axes);
  }

  /** Product over {@code axes}; no axes means all. */
  public static Tensor prod(Tensor x, int... axes) {
    return Reductions.prod(x, axes.length == 0 ? allAxes(x) : axes);
  }

  /** Index (I32) of the first maximum along {@code axis}, which is dropped. */
  public static Tensor argmax(Tensor x, int axis) {
    return Reductions.argmax(x, axis);
  }

  /** Index (I32) of the first minimum along {@code axis}, which is dropped. */
  public static Tensor argmin(Tensor x, int axis) {
    return Reductions.argmin(x, axis);
  }

  /** Inclusive running sums along {@code axis}; bool counts as I32. */
  public static Tensor cumsum(Tensor x, int axis) {
    return cumsum(x, axis, false);
  }

  /** Running sums along {@code axis}, from the end when {@code reverse}. */
  public static Tensor cumsum(Tensor x, int axis, boolean reverse) {
    Tensor v = x.dtype() == DType.BOOL ? astype(x, DType.I32) : x;
    return Reductions.cumsum(v, axis, reverse);
  }

  /** {@code log(sum(exp(x), axis))}, computed stably; the axis is dropped. */
  public static Tensor logSumExp(Tensor x, int axis) {
    return logSumExp(x, axis, false);
  }

  /**
   * {@code log(sum(exp(x), axis))}, computed stably by subtracting the maximum (a row of all {@code
   * -inf} gives {@code -inf}); keeps the axis with size 1 when {@code keepDims}.
   */
  public static Tensor logSumExp(Tensor x, int axis, boolean keepDims) {
    Tensor f = floating(x);
    int a = Shapes.axes("logSumExp", f.shape(), new int[] {axis})[0];
    Tensor m = keepAxis(Reductions.max(f, a), a);
    Tensor inf = Tensor.full(Double.POSITIVE_INFINITY, f.dtype(), m.shape().dims());
    Tensor finite = Elementwise.lt(Elementwise.abs(m), inf);
    Tensor shift = Elementwise.select(finite, m, Tensor.full(0, f.dtype(), m.shape().dims()));
    Tensor s = Reductions.sum(exp(sub(f, shift)), a);
    Tensor out = add(log(s), Reductions.sum(shift, a));
    return keepDims ? keepAxis(out, a) : out;
  }

  /** {@code exp(x) / sum(exp(x), axis)} along {@code axis}, computed stably; same shape as x. */
  public static Tensor softmax(Tensor x, int axis) {
    Tensor f = floating(x);
    int a = Shapes.axes("softmax", f.shape(), new int[] {axis})[0];
    Tensor e = exp(sub(f, keepAxis(Reductions.max(f, a), a)));
    return div(e, keepAxis(Reductions.sum(e, a), a));
  }

  /** {@code x - logSumExp(x, axis, keepDims=true)}. */
  public static Tensor logSoftmax(Tensor x, int axis) {
    Tensor f = floating(x);
    return sub(f, logSumExp(f, axis, true));
  }

  /** Re-inserts a size-1 axis at {@code axis} of a reduced tensor. */
  private static Tensor keepAxis(Tensor reduced, int axis) {
    int[] d = reduced.shape().dims();
    int[] k = new int[d.length + 1];
    for (int i = 0, j = 0; i < k.length; i++) {
      k[i] = i == axis ? 1 : d[j++];
    }
    return Structural.reshape(reduced, k);
  }

  /**
   * One-hot F32 encoding: {@code labels} (I32/I64, any shape) become {@code [..., n]} with a 1 at
   * each label; labels outside {@code [0, n)} give a row of zeros.
   */
  public static Tensor oneHot(Tensor labels, int n) {
    if (!labels.dtype().isInteger()) {
      throw new IllegalArgumentException(
          "oneHot needs integer labels (I32 or I64), got "
              + labels.dtype().shortName()
              + labels.shape()
              + "; convert with astype(DType.I32)");
    }
    if (n < 0) {
      throw new IllegalArgumentException("oneHot: n must be >= 0, got " + n);
    }
    int[] d = labels.shape().dims();
    int[] out = Arrays.copyOf(d, d.length + 1);
    out[d.length] = n;
    int[] withUnit = Arrays.copyOf(d, d.length + 1);
    withUnit[d.length] = 1;
    Tensor expanded = broadcastTo(Structural.reshape(labels, withUnit), out);
    Tensor classes = Generators.iota(labels.dtype(), out, d.length);
    return astype(Elementwise.eq(expanded, classes), DType.F32);
  }

  // ================================================================ sorting (prims-a)

  /** {@code x} sorted ascending along {@code axis} (NaN last), stably. */
  public static Tensor sort(Tensor x, int axis) {
    return Sorting.sort(java.util.List.of(x), axis).get(0);
  }

  /** The indices (I32) that sort {@code x} along {@code axis}, stably. */
  public static Tensor argsort(Tensor x, int axis) {
    return Sorting.argsort(x, axis);
  }
}
