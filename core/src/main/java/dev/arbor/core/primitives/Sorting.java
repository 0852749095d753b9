package dev.arbor.core.primitives;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code sort[axis=A]}: sorts every operand along one axis by the values of the first operand (the
 * keys), stably — {@code lax.sort} with one key. Floats sort in {@link Double#compare} order (-0.0
 * before 0.0, NaN last). It is linear in every operand but the keys: a tangent or cotangent is
 * permuted like its operand, and the transpose applies the inverse permutation.
 */
public final class Sorting {
  private Sorting() {}

  public static final Primitive SORT =
      Primitive.multi("sort")
          .shapeRule(
              (in, p) -> {
                if (in.isEmpty()) {
                  throw new IllegalArgumentException(
                      "'sort' needs at least one operand (the keys)");
                }
                AbstractValue keys = in.get(0);
                Shapes.axes("sort", keys.shape(), new int[] {p.intValue("axis")});
                for (AbstractValue a : in) {
                  if (!a.shape().equals(keys.shape())) {
                    throw new IllegalArgumentException(
                        "'sort' needs operands of the keys' shape " + keys.shape() + ", got " + in);
                  }
                }
                return List.copyOf(in);
              })
          .reference(Sorting::referenceSort)
          .transpose(Sorting::transposeSort)
          .batch(
              (args, bd, p) -> {
                int size = -1;
                for (int k = 0; k < args.size(); k++) {
                  if (bd[k] != Primitive.NOT_MAPPED) {
                    size = args.get(k).shape().dim(bd[k]);
                  }
                }
                List<Tensor> moved = new ArrayList<>(args.size());
                for (int k = 0; k < args.size(); k++) {
                  moved.add(Structural.batchAxisToFront(args.get(k), bd[k], size));
                }
                List<Tensor> outs = sort(moved, p.intValue("axis") + 1);
                int[] dims = new int[outs.size()];
                return new Batched(outs, dims);
              });

  static {
    SORT.jvp(
        (xs, ts, p) -> {
          List<Tensor> outs = SORT.bind(xs, p);
          // The tangents are sorted by the same keys, in a second application whose only
          // non-constant operands are the tangents: that keeps it linear (and transposable).
          List<Tensor> tangentOperands = new ArrayList<>();
          tangentOperands.add(xs.get(0));
          List<Integer> which = new ArrayList<>();
          for (int k = 0; k < xs.size(); k++) {
            if (ts.get(k) != null) {
              tangentOperands.add(ts.get(k));
              which.add(k);
            }
          }
          List<Tensor> sorted = SORT.bind(tangentOperands, p);
          List<Tensor> tangents = new ArrayList<>(xs.size());
          for (int k = 0; k < xs.size(); k++) {
            tangents.add(null);
          }
          for (int j = 0; j < which.size(); j++) {
            tangents.set(which.get(j), sorted.get(j + 1));
          }
          return new JvpResult(outs, tangents);
        });
  }

  private static List<HostArray> referenceSort(
      List<HostArray> in, Params p, List<AbstractValue> outAvals) {
    HostArray keys = in.get(0);
    int axis = p.intValue("axis");
    int[] d = keys.shape().dims();
    int n = d[axis];
    int inner = 1;
    for (int k = axis + 1; k < d.length; k++) {
      inner *= d[k];
    }
    List<HostArray> outs = new ArrayList<>(in.size());
    for (AbstractValue a : outAvals) {
      outs.add(HostArray.zeros(a));
    }
    int lines = n == 0 ? 0 : keys.size() / n;
    Integer[] order = new Integer[n];
    boolean floating = keys.dtype().isFloating();
    for (int l = 0; l < lines; l++) {
      int base = (l / inner) * n * inner + l % inner;
      int stride = inner;
      for (int j = 0; j < n; j++) {
        order[j] = j;
      }
      // Arrays.sort on objects is a stable merge sort.
      Arrays.sort(
          order,
          (a, b) ->
              floating
                  ? Double.compare(
                      keys.getDouble(base + a * stride), keys.getDouble(base + b * stride))
                  : Long.compare(keys.getLong(base + a * stride), keys.getLong(base + b * stride)));
      for (int o = 0; o < in.size(); o++) {
        for (int j = 0; j < n; j++) {
          outs.get(o).copyElement(in.get(o), base + order[j] * stride, base + j * stride);
        }
      }
    }
    return outs;
  }

  private static List<Tensor> transposeSort(List<Tensor> cts, List<Object> args, Params p) {
    if (!(args.get(0) instanceof Tensor keys)) {
      throw new UnsupportedOperationException(
          "'sort' is not linear in its keys; a tangent reached the keys operand");
    }
    int axis = p.intValue("axis");
    // perm[i] = the operand position that lands at i; sorting a cotangent by perm undoes it.
    Tensor positions = iotaLike(keys, axis);
    Tensor perm = sort(List.of(keys, positions), axis).get(1);
    List<Tensor> result = new ArrayList<>(args.size());
    result.add(null);
    for (int k = 1; k < args.size(); k++) {
      Tensor c = cts.get(k);
      result.add(
          args.get(k) instanceof Linear && c != null ? sort(List.of(perm, c), axis).get(1) : null);
    }
    return result;
  }

  private static Tensor iotaLike(Tensor x, int axis) {
    return Generators.iota(DType.I32, x.shape().dims(), axis);
  }

  /** Sorts {@code operands} along {@code axis} by the first. */
  public static List<Tensor> sort(List<Tensor> operands, int axis) {
    int a = Shapes.axes("sort", operands.get(0).shape(), new int[] {axis})[0];
    return SORT.bind(operands, Params.of("axis", a));
  }

  /** The stable sorting permutation of {@code x} along {@code axis}, as I32 indices. */
  public static Tensor argsort(Tensor x, int axis) {
    int a = Shapes.axes("argsort", x.shape(), new int[] {axis})[0];
    return sort(List.of(x, iotaLike(x, a)), a).get(1);
  }
}
