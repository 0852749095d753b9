package dev.arbor.array;

import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Shapes;
import dev.arbor.core.primitives.Sorting;
import dev.arbor.core.primitives.Structural;
import java.util.Arrays;

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
      out[k] = Math.max(da, db);
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
