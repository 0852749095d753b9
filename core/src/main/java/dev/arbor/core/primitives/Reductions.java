package dev.arbor.core.primitives;

import static dev.arbor.core.primitives.Shapes.arity;

import dev.arbor.array.DType;
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
                  Arrays.fill(lacc, lInit);
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
    REDUCE_MAX.jvp(
        (x, t, p) -> {
          Tensor in = x.get(0);
          Tensor out = REDUCE_MAX.bind1(p, in);
          if (t.get(0) == null) {
            return JvpResult.of(out, null);
          }
          int[] kept = keptAxes(in.rank(), p.ints("axes"));
          Tensor back = Structural.broadcastInDim(out, in.shape().dims(), kept);
          Tensor where = Elementwise.convert(Elementwise.eq(in, back), in.dtype());
          Tensor counts = REDUCE_SUM.bind1(p, where);
          Tensor tangent =
              Elementwise.div(REDUCE_SUM.bind1(p, Elementwise.mul(t.get(0), where)), counts);
          return JvpResult.of(out, tangent);
        });
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
}
