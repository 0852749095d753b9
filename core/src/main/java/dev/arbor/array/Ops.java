package dev.arbor.array;

import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.StopGradient;
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
}
