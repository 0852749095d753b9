package dev.arbor.core.primitives;

import dev.arbor.array.Tensor;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import java.util.Arrays;
import java.util.List;

/**
 * Collectives over a named mapped axis ({@code vmap(..., axisName)}): {@code psum}, {@code pmean},
 * {@code pmax}, {@code all_gather}. Under the vmap that names the axis they reduce (or gather) over
 * the batch and return an unbatched value; under an enclosing vmap of another name they act
 * elementwise; with no vmap naming the axis they fail with an error that names the fix.
 */
public final class Collectives {
  private Collectives() {}

  static Primitive collective(String name, Primitive.CollectiveRule rule) {
    Primitive p = Primitive.single(name);
    return p.shapeRule(
            (in, params) -> {
              Shapes.arity(name, in, 1);
              if (name.equals("all_gather")) {
                throw unbound(name, params);
              }
              return List.of(in.get(0));
            })
        .reference(
            (in, params, out) -> {
              throw unbound(name, params);
            })
        .collective(rule);
  }

  static IllegalArgumentException unbound(String name, Params params) {
    return new IllegalArgumentException(
        "'"
            + name
            + "' over axis '"
            + params.get("axis_name")
            + "', but no enclosing vmap has that axis name; call it inside"
            + " Arbor.vmap(f, inAxes, outAxes, \""
            + params.get("axis_name")
            + "\")");
  }

  /** Sum over the named axis. Linear; its transpose is psum (the gradient of the total). */
  public static final Primitive PSUM =
      collective(
          "psum",
          (args, dims, params, size) -> {
            Tensor x = args.get(0);
            if (dims[0] == Primitive.NOT_MAPPED) {
              return Batched.of(Elementwise.mul(x, AdMath.fullLike(x, size)), Primitive.NOT_MAPPED);
            }
            return Batched.of(Reductions.sum(x, dims[0]), Primitive.NOT_MAPPED);
          });

  /** Maximum over the named axis. */
  public static final Primitive PMAX =
      collective(
          "pmax",
          (args, dims, params, size) -> {
            Tensor x = args.get(0);
            return dims[0] == Primitive.NOT_MAPPED
                ? Batched.of(x, Primitive.NOT_MAPPED)
                : Batched.of(Reductions.max(x, dims[0]), Primitive.NOT_MAPPED);
          });

  /** Stacks the values of the named axis along a new leading axis. */
  public static final Primitive ALL_GATHER =
      collective(
          "all_gather",
          (args, dims, params, size) ->
              Batched.of(
                  Structural.batchAxisToFront(args.get(0), dims[0], size), Primitive.NOT_MAPPED));

  static {
    PSUM.jvp(
            (x, t, p) ->
                JvpResult.of(
                    PSUM.bind1(p, x.get(0)), t.get(0) == null ? null : PSUM.bind1(p, t.get(0))))
        .transpose(
            (ct, args, p) -> Arrays.asList(ct.get(0) == null ? null : PSUM.bind1(p, ct.get(0))));
    ALL_GATHER.jvp(
        (x, t, p) ->
            JvpResult.of(
                ALL_GATHER.bind1(p, x.get(0)),
                t.get(0) == null ? null : ALL_GATHER.bind1(p, t.get(0))));
    PMAX.jvp(
        (x, t, p) -> {
          Tensor out = PMAX.bind1(p, x.get(0));
          if (t.get(0) == null) {
            return JvpResult.of(out, null);
          }
          // Ties share the derivative evenly, as reduce_max does.
          Tensor where = Elementwise.convert(Elementwise.eq(x.get(0), out), out.dtype());
          Tensor num = PSUM.bind1(p, Elementwise.mul(t.get(0), where));
          return JvpResult.of(out, Elementwise.div(num, PSUM.bind1(p, where)));
        });
  }

  static Params axis(String axisName) {
    if (axisName == null || axisName.isEmpty()) {
      throw new IllegalArgumentException("a collective needs the name of a vmap axis");
    }
    return Params.of("axis_name", axisName);
  }

  /** {@code psum(x, axisName)}. */
  public static Tensor psum(Tensor x, String axisName) {
    return PSUM.bind1(axis(axisName), x);
  }

  /** {@code pmean(x, axisName)}: psum divided by the axis size. */
  public static Tensor pmean(Tensor x, String axisName) {
    Tensor s = psum(x, axisName);
    Tensor n = psum(AdMath.onesLike(scalarOf(x)), axisName);
    return Elementwise.div(s, Structural.broadcastInDim(n, s.shape().dims(), new int[0]));
  }

  private static Tensor scalarOf(Tensor x) {
    return Tensor.full(0, x.dtype(), new int[0]);
  }

  /** {@code pmax(x, axisName)}. */
  public static Tensor pmax(Tensor x, String axisName) {
    return PMAX.bind1(axis(axisName), x);
  }

  /** {@code allGather(x, axisName)}: the values of every index of the axis, stacked first. */
  public static Tensor allGather(Tensor x, String axisName) {
    return ALL_GATHER.bind1(axis(axisName), x);
  }
}
