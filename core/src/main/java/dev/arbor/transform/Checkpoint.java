package dev.arbor.transform;

import static dev.arbor.transform.SubGraphs.avals;
import static dev.arbor.transform.SubGraphs.batchRun;
import static dev.arbor.transform.SubGraphs.concat;
import static dev.arbor.transform.SubGraphs.derive;
import static dev.arbor.transform.SubGraphs.expand;
import static dev.arbor.transform.SubGraphs.filled;
import static dev.arbor.transform.SubGraphs.orZeros;
import static dev.arbor.transform.SubGraphs.pick;

import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.BatchAxis;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code checkpoint[fun=F]} primitive (rematerialization, {@link Custom#checkpoint}): it
 * evaluates {@code F}; its tangent is another {@code checkpoint} whose graph is {@code F}'s JVP, so
 * under linearize the staged tangent graph holds one equation whose only non-linear operands are
 * {@code F}'s inputs, never its intermediates. Transposing it recomputes {@code F}'s primal
 * intermediates in the backward pass.
 */
public final class Checkpoint {
  private Checkpoint() {}

  /** The primitive; backends and graph passes key on it. */
  public static final Primitive PRIMITIVE = Primitive.multi("checkpoint");

  static {
    PRIMITIVE
        .shapeRule(
            (in, p) -> {
              Graph fun = p.get("fun", Graph.class);
              if (!fun.inputAvals().equals(in)) {
                throw new IllegalArgumentException(
                    "'checkpoint' takes " + fun.inputAvals() + ", got " + in);
              }
              return fun.outputAvals();
            })
        .eval((args, p) -> p.get("fun", Graph.class).evaluate(args))
        .jvp(Checkpoint::jvp)
        .transpose(Checkpoint::transpose)
        .batchWithAxis(Checkpoint::batch);
  }

  static Params params(Graph fun) {
    return Params.of("fun", fun);
  }

  private static JvpResult jvp(List<Tensor> primals, List<Tensor> tangents, Params p) {
    Graph fun = p.get("fun", Graph.class);
    List<Tensor> outs = PRIMITIVE.bind(primals, p);
    boolean[] nz = SubGraphs.nonZero(tangents);
    List<Tensor> nzT = pick(tangents, nz);
    List<AbstractValue> outAvals = fun.outputAvals();
    boolean[] floatOut = new boolean[outAvals.size()];
    for (int k = 0; k < floatOut.length; k++) {
      floatOut[k] = outAvals.get(k).dtype().isFloating();
    }
    int n = primals.size();
    Graph tangentFun =
        derive(
            in -> {
              SubGraphs.JvpRun r =
                  SubGraphs.jvpRun(fun, in.subList(0, n), expand(in.subList(n, in.size()), nz));
              List<Tensor> res = new ArrayList<>();
              for (int k = 0; k < floatOut.length; k++) {
                if (floatOut[k]) {
                  res.add(orZeros(r.tangents().get(k), outAvals.get(k)));
                }
              }
              return res;
            },
            concat(avals(primals), avals(nzT)),
            "jvp of checkpoint");
    List<Tensor> touts = PRIMITIVE.bind(concat(primals, nzT), params(tangentFun));
    return new JvpResult(outs, expand(touts, floatOut));
  }

  private static List<Tensor> transpose(List<Tensor> cts, List<Object> args, Params p) {
    Graph fun = p.get("fun", Graph.class);
    int n = args.size();
    boolean[] lin = new boolean[n];
    List<Tensor> known = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      lin[k] = args.get(k) instanceof Linear;
      if (!lin[k]) {
        known.add((Tensor) args.get(k));
      }
    }
    List<AbstractValue> inAvals = fun.inputAvals();
    List<AbstractValue> outAvals = fun.outputAvals();
    List<Tensor> ctIn = new ArrayList<>();
    for (int k = 0; k < cts.size(); k++) {
      ctIn.add(orZeros(cts.get(k), outAvals.get(k)));
    }
    Graph transposed =
        derive(
            in -> {
              List<Tensor> c =
                  SubGraphs.transposeRun(
                      fun,
                      lin,
                      Cond.expandKnown(in.subList(0, known.size()), lin),
                      in.subList(known.size(), in.size()));
              List<Tensor> res = new ArrayList<>();
              for (int k = 0; k < n; k++) {
                if (lin[k]) {
                  res.add(orZeros(c.get(k), inAvals.get(k)));
                }
              }
              return res;
            },
            concat(avals(known), outAvals),
            "transpose of checkpoint");
    List<Tensor> res = PRIMITIVE.bind(concat(known, ctIn), params(transposed));
    return expand(res, lin);
  }

  private static Batched batch(List<Tensor> args, int[] dims, Params p, BatchAxis axis) {
    Graph fun = p.get("fun", Graph.class);
    int size = axis.size();
    List<Tensor> moved = SubGraphs.batchToFront(args, dims);
    boolean[] mask = SubGraphs.mapped(dims);
    int nOut = fun.outputs().size();
    Graph batched =
        derive(
            in -> batchRun(fun, in, mask, axis, filled(nOut, true)).outputs(),
            avals(moved),
            "vmap of checkpoint");
    return new Batched(PRIMITIVE.bind(moved, params(batched)), new int[nOut]);
  }
}
