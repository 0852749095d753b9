package dev.arbor.core.primitives;

import static dev.arbor.core.primitives.Shapes.arity;

import dev.arbor.array.Shape;
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

/** Primitives that move, copy or replicate elements: all linear. */
public final class Structural {
  private Structural() {}

  /** JVP of a primitive linear in its single operand: apply it to the tangent too. */
  static Primitive.JvpRule linearJvp(Primitive p) {
    return (x, t, params) ->
        JvpResult.of(p.bind(x, params).get(0), t.get(0) == null ? null : p.bind(t, params).get(0));
  }

  // ------------------------------------------------------------ broadcast_in_dim

  /**
   * {@code broadcast_in_dim[shape=S, dims=D]}: operand axis {@code i} becomes output axis {@code
   * D[i]} (of equal size, or size 1 which is replicated); other output axes are new.
   */
  public static final Primitive BROADCAST_IN_DIM =
      Primitive.single("broadcast_in_dim")
          .kind(Primitive.Kind.BROADCAST)
          .shapeRule(
              (in, p) -> {
                arity("broadcast_in_dim", in, 1);
                int[] shape = p.ints("shape");
                int[] dims = p.ints("dims");
                AbstractValue x = in.get(0);
                if (dims.length != x.rank()) {
                  throw new IllegalArgumentException(
                      "'broadcast_in_dim': dims "
                          + Arrays.toString(dims)
                          + " must name one output axis per operand axis of "
                          + x);
                }
                for (int k = 0; k < dims.length; k++) {
                  int d = dims[k];
                  if (d < 0 || d >= shape.length || (k > 0 && d <= dims[k - 1])) {
                    throw new IllegalArgumentException(
                        "'broadcast_in_dim': dims "
                            + Arrays.toString(dims)
                            + " must be increasing axes of the output shape "
                            + Arrays.toString(shape));
                  }
                  int xs = x.shape().dim(k);
                  if (xs != 1 && xs != shape[d]) {
                    throw new IllegalArgumentException(
                        "cannot broadcast "
                            + x
                            + " to "
                            + Shape.of(shape)
                            + ": operand axis "
                            + k
                            + " has size "
                            + xs
                            + " but output axis "
                            + d
                            + " has size "
                            + shape[d]);
                  }
                }
                return List.of(Shapes.withShape(x, shape));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                int[] shape = p.ints("shape");
                int[] dims = p.ints("dims");
                int[] xd = x.shape().dims();
                HostArray r = HostArray.zeros(out.get(0));
                int[] idx = new int[shape.length];
                int[] src = new int[xd.length];
                for (int k = 0; k < r.size(); k++) {
                  Shapes.unravel(k, shape, idx);
                  for (int a = 0; a < xd.length; a++) {
                    src[a] = xd[a] == 1 ? 0 : idx[dims[a]];
                  }
                  r.copyElement(x, Shapes.ravel(src, xd), k);
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                if (c == null) {
                  return Arrays.asList((Tensor) null);
                }
                AbstractValue x = ((Linear) args.get(0)).aval();
                return Arrays.asList(unbroadcast(c, x.shape(), p.ints("dims")));
              })
          .batch(
              (args, bd, p) -> {
                Tensor x = batchAxisToFront(args.get(0), bd[0], -1);
                int b = x.shape().dim(0);
                int[] shape = p.ints("shape");
                int[] dims = p.ints("dims");
                int[] nshape = new int[shape.length + 1];
                nshape[0] = b;
                System.arraycopy(shape, 0, nshape, 1, shape.length);
                int[] ndims = new int[dims.length + 1];
                for (int k = 0; k < dims.length; k++) {
                  ndims[k + 1] = dims[k] + 1;
                }
                return Batched.of(broadcastInDim(x, nshape, ndims), 0);
              });

  static {
    BROADCAST_IN_DIM.jvp(linearJvp(BROADCAST_IN_DIM));
  }

  /**
   * Sums {@code ct} (of a broadcast output) back to the operand shape {@code xs} whose axes went to
   * {@code dims}.
   */
  static Tensor unbroadcast(Tensor ct, Shape xs, int[] dims) {
    int outRank = ct.rank();
    List<Integer> sumAxes = new ArrayList<>();
    boolean[] kept = new boolean[outRank];
    for (int d : dims) {
      kept[d] = true;
    }
    for (int a = 0; a < outRank; a++) {
      if (!kept[a]) {
        sumAxes.add(a);
      }
    }
    for (int k = 0; k < dims.length; k++) {
      if (xs.dim(k) == 1 && ct.shape().dim(dims[k]) != 1) {
        sumAxes.add(dims[k]);
      }
    }
    Tensor s = Reductions.sum(ct, sumAxes.stream().mapToInt(Integer::intValue).sorted().toArray());
    return s.shape().equals(xs) ? s : reshape(s, xs.dims());
  }

  // ------------------------------------------------------------ reshape

  /** {@code reshape[shape=S]}: same elements in row-major order, new dimensions. */
  public static final Primitive RESHAPE =
      Primitive.single("reshape")
          .shapeRule(
              (in, p) -> {
                arity("reshape", in, 1);
                int[] shape = p.ints("shape");
                Shape ns = Shape.of(shape);
                if (ns.size() != in.get(0).shape().size()) {
                  throw new IllegalArgumentException(
                      "cannot reshape "
                          + in.get(0)
                          + " ("
                          + in.get(0).shape().size()
                          + " elements) to "
                          + ns
                          + " ("
                          + ns.size()
                          + " elements)");
                }
                return List.of(Shapes.withShape(in.get(0), shape));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                HostArray r = HostArray.zeros(out.get(0));
                for (int k = 0; k < r.size(); k++) {
                  r.copyElement(x, k, k);
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) ->
                  Arrays.asList(
                      ct.get(0) == null
                          ? null
                          : reshape(ct.get(0), ((Linear) args.get(0)).aval().shape().dims())))
          .batch(
              (args, bd, p) -> {
                Tensor x = batchAxisToFront(args.get(0), bd[0], -1);
                int[] shape = p.ints("shape");
                int[] ns = new int[shape.length + 1];
                ns[0] = x.shape().dim(0);
                System.arraycopy(shape, 0, ns, 1, shape.length);
                return Batched.of(reshape(x, ns), 0);
              });

  static {
    RESHAPE.jvp(linearJvp(RESHAPE));
  }

  // ------------------------------------------------------------ transpose

  /** {@code transpose[perm=P]}: output axis {@code k} is operand axis {@code P[k]}. */
  public static final Primitive TRANSPOSE =
      Primitive.single("transpose")
          .shapeRule(
              (in, p) -> {
                arity("transpose", in, 1);
                int[] perm = p.ints("perm");
                AbstractValue x = in.get(0);
                if (perm.length != x.rank()) {
                  throw new IllegalArgumentException(
                      "'transpose': permutation "
                          + Arrays.toString(perm)
                          + " must have one entry per axis of "
                          + x);
                }
                int[] norm = Shapes.axes("transpose", x.shape(), perm);
                int[] shape = new int[perm.length];
                for (int k = 0; k < perm.length; k++) {
                  shape[k] = x.shape().dim(norm[k]);
                }
                return List.of(Shapes.withShape(x, shape));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                int[] perm = p.ints("perm");
                int[] xd = x.shape().dims();
                int[] od = out.get(0).shape().dims();
                HostArray r = HostArray.zeros(out.get(0));
                int[] idx = new int[od.length];
                int[] src = new int[xd.length];
                for (int k = 0; k < r.size(); k++) {
                  Shapes.unravel(k, od, idx);
                  for (int a = 0; a < perm.length; a++) {
                    src[perm[a]] = idx[a];
                  }
                  r.copyElement(x, Shapes.ravel(src, xd), k);
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) ->
                  Arrays.asList(
                      ct.get(0) == null ? null : transpose(ct.get(0), inverse(p.ints("perm")))))
          .batch(
              (args, bd, p) -> {
                Tensor x = batchAxisToFront(args.get(0), bd[0], -1);
                int[] perm = p.ints("perm");
                int[] np = new int[perm.length + 1];
                for (int k = 0; k < perm.length; k++) {
                  np[k + 1] = perm[k] + 1;
                }
                return Batched.of(transpose(x, np), 0);
              });

  static {
    TRANSPOSE.jvp(linearJvp(TRANSPOSE));
  }

  /** The inverse permutation. */
  public static int[] inverse(int[] perm) {
    int[] inv = new int[perm.length];
    for (int k = 0; k < perm.length; k++) {
      inv[perm[k]] = k;
    }
    return inv;
  }

  // ------------------------------------------------------------ binders and batching helpers

  public static Tensor broadcastInDim(Tensor x, int[] shape, int[] dims) {
    if (x.shape().equals(Shape.of(shape))) {
      return x;
    }
    return BROADCAST_IN_DIM.bind1(Params.of("shape", shape, "dims", dims), x);
  }

  public static Tensor reshape(Tensor x, int... shape) {
    if (x.shape().equals(Shape.of(shape))) {
      return x;
    }
    return RESHAPE.bind1(Params.of("shape", shape), x);
  }

  public static Tensor transpose(Tensor x, int... perm) {
    boolean identity = true;
    for (int k = 0; k < perm.length; k++) {
      identity &= perm[k] == k;
    }
    return identity ? x : TRANSPOSE.bind1(Params.of("perm", perm), x);
  }

  /** Moves axis {@code from} to position {@code to}. */
  public static Tensor moveAxis(Tensor x, int from, int to) {
    if (from == to) {
      return x;
    }
    List<Integer> order = new ArrayList<>();
    for (int k = 0; k < x.rank(); k++) {
      if (k != from) {
        order.add(k);
      }
    }
    order.add(to, from);
    return transpose(x, order.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * Puts the batch axis of {@code x} first; an unbatched value ({@code dim ==
   * Primitive.NOT_MAPPED}) is broadcast to {@code size} along a new leading axis.
   */
  public static Tensor batchAxisToFront(Tensor x, int dim, int size) {
    if (dim != Primitive.NOT_MAPPED) {
      return moveAxis(x, dim, 0);
    }
    int[] xd = x.shape().dims();
    int[] shape = new int[xd.length + 1];
    shape[0] = size;
    System.arraycopy(xd, 0, shape, 1, xd.length);
    int[] dims = new int[xd.length];
    for (int k = 0; k < xd.length; k++) {
      dims[k] = k + 1;
    }
    return broadcastInDim(x, shape, dims);
  }
}
