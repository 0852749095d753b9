package dev.arbor.core.primitives;

import static dev.arbor.core.primitives.Shapes.arity;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/** Reductions over a set of axes, which are dropped from the shape. */
public final class Reductions {
  private Reductions() {}

  /** The kept axes of a rank-{@code rank} operand reduced over {@code axes}. */
  static int[] keptAxes(int rank, int[] axes) {
    boolean[] red = new boolean[rank];
    for (int a : axes) {
      red[a] = true;
    }
    int[] kept = new int[rank - axes.length];
    int j = 0;
    for (int a = 0; a < rank; a++) {
      if (!red[a]) {
        kept[j++] = a;
      }
    }
    return kept;
  }

  static Primitive reduction(
      String name, double dInit, long lInit, DoubleBinaryOperator f, LongBinaryOperator fi) {
    Primitive p =
        Primitive.single(name)
            .kind(Primitive.Kind.REDUCTION)
            .shapeRule(
                (in, params) -> {
                  arity(name, in, 1);
                  AbstractValue x = in.get(0);
                  int[] axes = Shapes.axes(name, x.shape(), params.ints("axes"));
                  if (!Arrays.equals(axes, params.ints("axes"))) {
                    throw new AssertionError(
                        "'" + name + "' axes must be normalized by the binder");
                  }
                  int[] kept = keptAxes(x.rank(), axes);
                  int[] shape = new int[kept.length];
                  for (int k = 0; k < kept.length; k++) {
                    shape[k] = x.shape().dim(kept[k]);
                  }
                  DType t =
                      x.dtype() == DType.BOOL && name.equals("reduce_sum") ? DType.I32 : x.dtype();
                  return List.of(new AbstractValue(dev.arbor.array.Shape.of(shape), t));
                })
            .reference(
                (in, params, out) -> {
                  HostArray x = in.get(0);
                  int[] xd = x.shape().dims();
                  int[] kept = keptAxes(xd.length, params.ints("axes"));
                  int[] od = out.get(0).shape().dims();
                  HostArray r = HostArray.zeros(out.get(0));
                  boolean floating = x.dtype().isFloating();
                  double[] dacc = new double[r.size()];
                  long[] lacc = new long[r.size()];
                  Arrays.fill(dacc, dInit);
                  Arrays.fill(lacc, integerIdentity(lInit, x.dtype()));
                  int[] idx = new int[xd.length];
                  int[] oidx = new int[od.length];
                  for (int k = 0; k < x.size(); k++) {
                    Shapes.unravel(k, xd, idx);
                    for (int j = 0; j < kept.length; j++) {
                      oidx[j] = idx[kept[j]];
                    }
                    int o = Shapes.ravel(oidx, od);
                    if (floating) {
                      dacc[o] = f.applyAsDouble(dacc[o], x.getDouble(k));
                    } else {
                      lacc[o] = fi.applyAsLong(lacc[o], x.getLong(k));
                    }
                  }
                  for (int o = 0; o < r.size(); o++) {
                    if (floating) {
                      r.setDouble(o, dacc[o]);
                    } else {
                      r.setLong(o, lacc[o]);
                    }
                  }
                  return List.of(r);
                });
    return p.batch(
        (args, bd, params) -> {
          Tensor x = Structural.moveAxis(args.get(0), bd[0], 0);
          int[] axes = params.ints("axes");
          int[] shifted = new int[axes.length];
          for (int k = 0; k < axes.length; k++) {
            shifted[k] = axes[k] + 1;
          }
          return Batched.of(p.bind1(Params.of("axes", shifted), x), 0);
        });
  }

  /**
   * The start value of an integer or bool reduction whose 64-bit start is {@code lInit}, in the
   * operand's type: the I32 (or bool) extreme for max/min, so an empty max of I32 is {@code
   * Integer.MIN_VALUE} and of bool is false, as in JAX (the 64-bit extremes wrapped to 0 and to
   * true). Sum (0) and product (1) are unchanged.
   */
  public static long integerIdentity(long lInit, DType t) {
    if (lInit == Long.MIN_VALUE) {
      return t == DType.I32 ? Integer.MIN_VALUE : t == DType.BOOL ? 0 : lInit;
    }
    if (lInit == Long.MAX_VALUE) {
      return t == DType.I32 ? Integer.MAX_VALUE : t == DType.BOOL ? 1 : lInit;
    }
    return lInit;
  }

  /** {@code reduce_sum[axes=A]}. Linear. Bool operands count into I32. */
  public static final Primitive REDUCE_SUM =
      reduction("reduce_sum", 0, 0, Double::sum, Long::sum)
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                if (c == null) {
                  return Arrays.asList((Tensor) null);
                }
                AbstractValue x = ((Linear) args.get(0)).aval();
                int[] kept = keptAxes(x.rank(), p.ints("axes"));
                return Arrays.asList(Structural.broadcastInDim(c, x.shape().dims(), kept));
              });

  static {
    REDUCE_SUM.jvp(
        (x, t, p) ->
            JvpResult.of(
                REDUCE_SUM.bind1(p, x.get(0)),
                t.get(0) == null ? null : REDUCE_SUM.bind1(p, t.get(0))));
  }

  /** {@code reduce_max[axes=A]}; the gradient is split evenly among tied maxima. */
  public static final Primitive REDUCE_MAX =
      reduction("reduce_max", Double.NEGATIVE_INFINITY, Long.MIN_VALUE, Math::max, Math::max);

  static {
    REDUCE_MAX.jvp(extremumJvp(REDUCE_MAX));
  }

  /** JVP of reduce_max/reduce_min: the tangent averaged over the tied extrema. */
  static Primitive.JvpRule extremumJvp(Primitive p) {
    return (x, t, params) -> {
      Tensor in = x.get(0);
      Tensor out = p.bind1(params, in);
      if (t.get(0) == null) {
        return JvpResult.of(out, null);
      }
      int[] kept = keptAxes(in.rank(), params.ints("axes"));
      Tensor back = Structural.broadcastInDim(out, in.shape().dims(), kept);
      Tensor where = Elementwise.convert(Elementwise.eq(in, back), in.dtype());
      Tensor counts = REDUCE_SUM.bind1(params, where);
      Tensor tangent =
          Elementwise.div(REDUCE_SUM.bind1(params, Elementwise.mul(t.get(0), where)), counts);
      return JvpResult.of(out, tangent);
    };
  }

  /** Sum over {@code axes} (any order, negative allowed). */
  public static Tensor sum(Tensor x, int... axes) {
    if (axes.length == 0) {
      return x;
    }
    int[] a = Shapes.axes("reduce_sum", x.shape(), axes);
    Arrays.sort(a);
    return REDUCE_SUM.bind1(Params.of("axes", a), x);
  }

  /** Max over {@code axes}. */
  public static Tensor max(Tensor x, int... axes) {
    if (axes.length == 0) {
      return x;
    }
    int[] a = Shapes.axes("reduce_max", x.shape(), axes);
    Arrays.sort(a);
    return REDUCE_MAX.bind1(Params.of("axes", a), x);
  }

  // ================================================================ more reductions (prims-a)

  /** {@code reduce_min[axes=A]}; the gradient is split evenly among tied minima. */
  public static final Primitive REDUCE_MIN =
      reduction("reduce_min", Double.POSITIVE_INFINITY, Long.MAX_VALUE, Math::min, Math::min);

  static {
    REDUCE_MIN.jvp(extremumJvp(REDUCE_MIN));
  }

  /**
   * {@code reduce_prod[axes=A]}. Integer products wrap (I32 to 32 bits). The JVP is exact where
   * operands are zero: each operand's partial derivative is the product of the others, computed by
   * counting zeros rather than dividing. Derivatives of that JVP (second order) are exact away from
   * zeros only.
   */
  public static final Primitive REDUCE_PROD =
      reduction("reduce_prod", 1, 1, (a, b) -> a * b, (a, b) -> a * b);

  static {
    REDUCE_PROD.jvp(
        (x, t, p) -> {
          Tensor in = x.get(0);
          Tensor out = REDUCE_PROD.bind1(p, in);
          if (t.get(0) == null) {
            return JvpResult.of(out, null);
          }
          int[] dims = in.shape().dims();
          int[] kept = keptAxes(in.rank(), p.ints("axes"));
          Tensor zero = AdMath.zerosLike(in);
          Tensor one = AdMath.onesLike(in);
          Tensor isZero = Elementwise.eq(in, zero);
          Tensor nonZero = Elementwise.select(isZero, one, in);
          Tensor zeros =
              Structural.broadcastInDim(
                  REDUCE_SUM.bind1(p, Elementwise.convert(isZero, in.dtype())), dims, kept);
          Tensor prodNonZero = Structural.broadcastInDim(REDUCE_PROD.bind1(p, nonZero), dims, kept);
          // d out / d x_i = product of the other operands: with no zero in the slice that is
          // out / x_i; with exactly one zero it is the product of the non-zeros at the zero and 0
          // elsewhere; with two or more zeros it is 0 everywhere.
          Tensor others =
              Elementwise.select(
                  isZero,
                  Elementwise.select(Elementwise.eq(zeros, one), prodNonZero, zero),
                  Elementwise.select(
                      Elementwise.eq(zeros, zero), Elementwise.div(prodNonZero, nonZero), zero));
          return JvpResult.of(out, REDUCE_SUM.bind1(p, Elementwise.mul(t.get(0), others)));
        });
  }

  /** Min over {@code axes}. */
  public static Tensor min(Tensor x, int... axes) {
    if (axes.length == 0) {
      return x;
    }
    int[] a = Shapes.axes("reduce_min", x.shape(), axes);
    Arrays.sort(a);
    return REDUCE_MIN.bind1(Params.of("axes", a), x);
  }

  /** Product over {@code axes}. */
  public static Tensor prod(Tensor x, int... axes) {
    if (axes.length == 0) {
      return x;
    }
    int[] a = Shapes.axes("reduce_prod", x.shape(), axes);
    Arrays.sort(a);
    return REDUCE_PROD.bind1(Params.of("axes", a), x);
  }

  // ------------------------------------------------------------ argmax, argmin

  /**
   * {@code argmax[axis=A, index_dtype=D]} / {@code argmin}: the index of the first extremum along
   * one axis, which is dropped. A NaN counts as the extremum (the first NaN wins), as in JAX.
   */
  static Primitive argReduction(String name, boolean max) {
    Primitive p = Primitive.single(name);
    return p.shapeRule(
            (in, params) -> {
              arity(name, in, 1);
              AbstractValue x = in.get(0);
              int axis = params.intValue("axis");
              Shapes.axes(name, x.shape(), new int[] {axis});
              DType index = params.get("index_dtype", DType.class);
              if (!index.isInteger()) {
                throw new IllegalArgumentException(
                    "'" + name + "': index_dtype must be I32 or I64, got " + index);
              }
              if (x.shape().dim(axis) == 0) {
                throw new IllegalArgumentException(
                    "'" + name + "' of an empty axis " + axis + " of " + x + " has no answer");
              }
              return List.of(new AbstractValue(dropAxis(x.shape(), axis), index));
            })
        .reference(
            (in, params, out) -> {
              HostArray x = in.get(0);
              int axis = params.intValue("axis");
              int[] xd = x.shape().dims();
              int n = xd[axis];
              int inner = 1;
              for (int k = axis + 1; k < xd.length; k++) {
                inner *= xd[k];
              }
              HostArray r = HostArray.zeros(out.get(0));
              boolean floating = x.dtype().isFloating();
              for (int o = 0; o < r.size(); o++) {
                int base = (o / inner) * n * inner + o % inner;
                int best = 0;
                for (int j = 1; j < n; j++) {
                  int cand = base + j * inner;
                  int cur = base + best * inner;
                  boolean better;
                  if (floating) {
                    double c = x.getDouble(cand);
                    double b = x.getDouble(cur);
                    better = !Double.isNaN(b) && (Double.isNaN(c) || (max ? c > b : c < b));
                  } else {
                    long c = x.getLong(cand);
                    long b = x.getLong(cur);
                    better = max ? c > b : c < b;
                  }
                  if (better) {
                    best = j;
                  }
                }
                r.setLong(o, best);
              }
              return List.of(r);
            })
        .jvp((x, t, params) -> JvpResult.of(p.bind1(params, x.get(0)), null))
        .batch(
            (args, bd, params) -> {
              Tensor x = Structural.moveAxis(args.get(0), bd[0], 0);
              return Batched.of(p.bind1(params.with("axis", params.intValue("axis") + 1), x), 0);
            });
  }

  public static final Primitive ARGMAX = argReduction("argmax", true);
  public static final Primitive ARGMIN = argReduction("argmin", false);

  /** Index (I32) of the first maximum along {@code axis} (negative counts from the end). */
  public static Tensor argmax(Tensor x, int axis) {
    int a = Shapes.axes("argmax", x.shape(), new int[] {axis})[0];
    return ARGMAX.bind1(Params.of("axis", a, "index_dtype", DType.I32), x);
  }

  /** Index (I32) of the first minimum along {@code axis}. */
  public static Tensor argmin(Tensor x, int axis) {
    int a = Shapes.axes("argmin", x.shape(), new int[] {axis})[0];
    return ARGMIN.bind1(Params.of("axis", a, "index_dtype", DType.I32), x);
  }

  static Shape dropAxis(Shape s, int axis) {
    int[] d = s.dims();
    int[] r = new int[d.length - 1];
    for (int k = 0, j = 0; k < d.length; k++) {
      if (k != axis) {
        r[j++] = d[k];
      }
    }
    return Shape.of(r);
  }

  // ------------------------------------------------------------ cumsum

  /**
   * {@code cumsum[axis=A, reverse=R]}: inclusive running sums along one axis (from the end when
   * {@code reverse}). Linear: its transpose is the cumsum in the other direction. Integer sums
   * wrap; bool operands must be converted first ({@code Ops.cumsum} does).
   */
  public static final Primitive CUMSUM =
      Primitive.single("cumsum")
          .shapeRule(
              (in, p) -> {
                arity("cumsum", in, 1);
                AbstractValue x = in.get(0);
                Shapes.axes("cumsum", x.shape(), new int[] {p.intValue("axis")});
                if (x.dtype() == DType.BOOL) {
                  throw new IllegalArgumentException(
                      "'cumsum' needs a numeric tensor, got " + x + "; convert with astype");
                }
                return List.of(x);
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                int axis = p.intValue("axis");
                boolean reverse = p.get("reverse", Boolean.class);
                int[] xd = x.shape().dims();
                int n = xd[axis];
                int inner = 1;
                for (int k = axis + 1; k < xd.length; k++) {
                  inner *= xd[k];
                }
                HostArray r = HostArray.zeros(out.get(0));
                int lines = n == 0 ? 0 : x.size() / n;
                for (int l = 0; l < lines; l++) {
                  int base = (l / inner) * n * inner + l % inner;
                  double dacc = 0;
                  long lacc = 0;
                  for (int j = 0; j < n; j++) {
                    int k = base + (reverse ? n - 1 - j : j) * inner;
                    if (x.dtype().isFloating()) {
                      dacc += x.getDouble(k);
                      r.setDouble(k, dacc);
                    } else {
                      lacc += x.getLong(k);
                      r.setLong(k, lacc);
                    }
                  }
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) ->
                  Arrays.asList(
                      ct.get(0) == null
                          ? null
                          : cumsum(
                              ct.get(0), p.intValue("axis"), !p.get("reverse", Boolean.class))))
          .batch(
              (args, bd, p) -> {
                Tensor x = Structural.moveAxis(args.get(0), bd[0], 0);
                return Batched.of(
                    cumsum(x, p.intValue("axis") + 1, p.get("reverse", Boolean.class)), 0);
              });

  static {
    CUMSUM.jvp(Structural.linearJvp(CUMSUM));
  }

  /** Running sums along {@code axis} (negative counts from the end); from the end if reverse. */
  public static Tensor cumsum(Tensor x, int axis, boolean reverse) {
    int a = Shapes.axes("cumsum", x.shape(), new int[] {axis})[0];
    return CUMSUM.bind1(Params.of("axis", a, "reverse", reverse), x);
  }
}
