package dev.arbor.transform;

import static dev.arbor.transform.SubGraphs.avals;
import static dev.arbor.transform.SubGraphs.batchRun;
import static dev.arbor.transform.SubGraphs.concat;
import static dev.arbor.transform.SubGraphs.derive;
import static dev.arbor.transform.SubGraphs.expand;
import static dev.arbor.transform.SubGraphs.filled;
import static dev.arbor.transform.SubGraphs.orZeros;
import static dev.arbor.transform.SubGraphs.pick;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.BatchAxis;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Structural;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code cond[branches=(g0, g1, …)]} primitive: operands {@code (index, x…)}, where {@code
 * index} is an I32 scalar (clamped to the branches) and every branch graph takes {@code x…} and
 * returns outputs of the same abstract values. {@code Control.cond} and {@code Control.switchCase}
 * bind it; captured tracers are leading {@code x}s.
 */
public final class Cond {
  private Cond() {}

  /** The primitive; backends and graph passes key on it. */
  public static final Primitive PRIMITIVE = Primitive.multi("cond");

  static {
    PRIMITIVE
        .shapeRule(Cond::shape)
        .eval(Cond::eval)
        .jvp(Cond::jvp)
        .transpose(Cond::transpose)
        .batchWithAxis(Cond::batch);
  }

  @SuppressWarnings("unchecked")
  static List<Graph> branches(Params p) {
    return (List<Graph>) p.get("branches", List.class);
  }

  static Params params(List<Graph> branches) {
    return Params.of("branches", List.copyOf(branches));
  }

  private static List<AbstractValue> shape(List<AbstractValue> in, Params p) {
    List<Graph> bs = branches(p);
    if (in.isEmpty()) {
      throw new IllegalArgumentException("'cond' needs an index operand");
    }
    AbstractValue index = in.get(0);
    if (index.rank() != 0 || index.dtype() != DType.I32) {
      throw new IllegalArgumentException(
          "'cond' needs an i32 scalar index, got " + index + "; Control.cond converts for you");
    }
    List<AbstractValue> ops = in.subList(1, in.size());
    for (int b = 0; b < bs.size(); b++) {
      if (!bs.get(b).inputAvals().equals(ops)) {
        throw new IllegalArgumentException(
            "'cond' branch " + b + " takes " + bs.get(b).inputAvals() + ", got operands " + ops);
      }
    }
    return bs.get(0).outputAvals();
  }

  static int clamp(long index, int n) {
    return (int) Math.max(0, Math.min(n - 1, index));
  }

  private static List<Tensor> eval(List<Tensor> args, Params p) {
    List<Graph> bs = branches(p);
    int b = clamp(args.get(0).toLongArray()[0], bs.size());
    return bs.get(b).evaluate(args.subList(1, args.size()));
  }

  /**
   * The primal outputs come from the same cond on the primals; the tangents from a second cond
   * whose branches are the branches' JVPs (taking primals and the nonzero tangents, returning the
   * tangents of the float outputs). Keeping the two apart is what lets linearize run the primal for
   * real and stage only the tangent cond, which is linear in its tangent operands.
   */
  private static JvpResult jvp(List<Tensor> primals, List<Tensor> tangents, Params p) {
    List<Graph> bs = branches(p);
    List<Tensor> ops = primals.subList(1, primals.size());
    boolean[] nz = SubGraphs.nonZero(tangents.subList(1, tangents.size()));
    List<Tensor> outs = PRIMITIVE.bind(primals, p);
    List<AbstractValue> outAvals = bs.get(0).outputAvals();
    boolean[] floatOut = new boolean[outAvals.size()];
    for (int k = 0; k < floatOut.length; k++) {
      floatOut[k] = outAvals.get(k).dtype().isFloating();
    }
    List<Tensor> nzT = pick(tangents.subList(1, tangents.size()), nz);
    List<Graph> tangentBranches = new ArrayList<>();
    for (Graph b : bs) {
      tangentBranches.add(
          derive(
              in -> {
                List<Tensor> ps = in.subList(0, ops.size());
                List<Tensor> ts = expand(in.subList(ops.size(), in.size()), nz);
                SubGraphs.JvpRun r = SubGraphs.jvpRun(b, ps, ts);
                List<Tensor> res = new ArrayList<>();
                for (int k = 0; k < floatOut.length; k++) {
                  if (floatOut[k]) {
                    res.add(orZeros(r.tangents().get(k), outAvals.get(k)));
                  }
                }
                return res;
              },
              concat(avals(ops), avals(nzT)),
              "jvp of cond"));
    }
    List<Tensor> tOuts =
        PRIMITIVE.bind(concat(List.of(primals.get(0)), ops, nzT), params(tangentBranches));
    return new JvpResult(outs, expand(tOuts, floatOut));
  }

  /**
   * A cond that is linear in some operands transposes branch by branch: each transposed branch
   * takes the known operands and the output cotangents and returns the cotangents of the linear
   * operands; the same index picks it.
   */
  private static List<Tensor> transpose(List<Tensor> cts, List<Object> args, Params p) {
    if (args.get(0) instanceof Linear) {
      throw new AssertionError("the index of a cond cannot be linear");
    }
    List<Graph> bs = branches(p);
    int n = args.size() - 1;
    boolean[] lin = new boolean[n];
    List<Tensor> known = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      Object a = args.get(k + 1);
      lin[k] = a instanceof Linear;
      if (!lin[k]) {
        known.add((Tensor) a);
      }
    }
    List<AbstractValue> inAvals = bs.get(0).inputAvals();
    List<AbstractValue> outAvals = bs.get(0).outputAvals();
    List<Tensor> ctIn = new ArrayList<>();
    for (int k = 0; k < cts.size(); k++) {
      ctIn.add(orZeros(cts.get(k), outAvals.get(k)));
    }
    List<Graph> transposed = new ArrayList<>();
    for (Graph b : bs) {
      transposed.add(
          derive(
              in -> {
                List<Tensor> knownFull = expandKnown(in.subList(0, known.size()), lin);
                List<Tensor> c =
                    SubGraphs.transposeRun(b, lin, knownFull, in.subList(known.size(), in.size()));
                List<Tensor> res = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                  if (lin[k]) {
                    res.add(orZeros(c.get(k), inAvals.get(k)));
                  }
                }
                return res;
              },
              concat(avals(known), outAvals),
              "transpose of cond"));
    }
    List<Tensor> res =
        PRIMITIVE.bind(concat(List.of((Tensor) args.get(0)), known, ctIn), params(transposed));
    List<Tensor> out = new ArrayList<>();
    out.add(null);
    out.addAll(expand(res, lin));
    return out;
  }

  /** Known values at the non-linear positions, null at the linear ones. */
  static List<Tensor> expandKnown(List<Tensor> known, boolean[] lin) {
    List<Tensor> r = new ArrayList<>(lin.length);
    int j = 0;
    for (boolean l : lin) {
      r.add(l ? null : known.get(j++));
    }
    return r;
  }

  /**
   * An unbatched index keeps the cond, with batched branches. A batched index (one branch per
   * element) runs every branch on the whole batch and selects per element, as JAX does.
   */
  private static Batched batch(List<Tensor> args, int[] dims, Params p, BatchAxis axis) {
    List<Graph> bs = branches(p);
    int size = axis.size();
    List<Tensor> moved = SubGraphs.batchToFront(args, dims);
    List<Tensor> ops = moved.subList(1, moved.size());
    boolean[] mask = SubGraphs.mapped(Arrays.copyOfRange(dims, 1, dims.length));
    int nOut = bs.get(0).outputs().size();
    boolean[] all = filled(nOut, true);
    if (dims[0] == Primitive.NOT_MAPPED) {
      List<AbstractValue> inAvals = SubGraphs.batchedAvals(bs.get(0).inputAvals(), mask, size);
      List<Graph> batched = new ArrayList<>();
      for (Graph b : bs) {
        batched.add(
            derive(in -> batchRun(b, in, mask, axis, all).outputs(), inAvals, "vmap of cond"));
      }
      List<Tensor> outs = PRIMITIVE.bind(moved, params(batched));
      return new Batched(outs, new int[nOut]);
    }
    Tensor index = moved.get(0);
    List<List<Tensor>> perBranch = new ArrayList<>();
    for (Graph b : bs) {
      perBranch.add(batchRun(b, ops, mask, axis, all).outputs());
    }
    List<Tensor> outs = new ArrayList<>(perBranch.get(bs.size() - 1));
    for (int b = bs.size() - 2; b >= 0; b--) {
      // Indices out of range clamp to the first or last branch, as in the unbatched cond.
      Tensor bt = Tensor.full(b, DType.I32, size);
      Tensor chosen =
          b == 0
              ? Elementwise.lt(index, Tensor.full(1, DType.I32, size))
              : Elementwise.eq(index, bt);
      for (int k = 0; k < nOut; k++) {
        Tensor v = perBranch.get(b).get(k);
        Tensor pred = Structural.broadcastInDim(chosen, v.shape().dims(), new int[] {0});
        outs.set(k, Elementwise.select(pred, v, outs.get(k)));
      }
    }
    return new Batched(outs, new int[nOut]);
  }
}
