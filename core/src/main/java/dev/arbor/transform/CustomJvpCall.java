package dev.arbor.transform;

import static dev.arbor.transform.SubGraphs.avals;
import static dev.arbor.transform.SubGraphs.batchRun;
import static dev.arbor.transform.SubGraphs.concat;
import static dev.arbor.transform.SubGraphs.derive;
import static dev.arbor.transform.SubGraphs.filled;
import static dev.arbor.transform.SubGraphs.orZeros;

import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.BatchAxis;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code custom_jvp_call[fun=F, nconsts=c, rule=R]} primitive: a function with a user-written
 * JVP rule ({@link Custom#customJvp}). Operands {@code (captured(c), args…)}; it evaluates {@code
 * F}; its JVP is {@code R(args, tangents)}; it batches by batching {@code F} and running {@code R}
 * under a batch trace. Reverse mode transposes whatever {@code R} computed, so {@code R} must be
 * linear in the tangents.
 */
public final class CustomJvpCall {
  private CustomJvpCall() {}

  /** The primitive; backends and graph passes key on it. */
  public static final Primitive PRIMITIVE = Primitive.multi("custom_jvp_call");

  static {
    PRIMITIVE
        .shapeRule(
            (in, p) -> {
              Graph fun = p.get("fun", Graph.class);
              if (!fun.inputAvals().equals(in)) {
                throw new IllegalArgumentException(
                    "'custom_jvp_call' takes " + fun.inputAvals() + ", got " + in);
              }
              return fun.outputAvals();
            })
        .eval((args, p) -> p.get("fun", Graph.class).evaluate(args))
        .jvp(CustomJvpCall::jvp)
        .batchWithAxis(CustomJvpCall::batch);
  }

  static Params params(Graph fun, int nconsts, Custom.JvpRule rule) {
    return Params.of("fun", fun, "nconsts", nconsts, "rule", rule);
  }

  private static JvpResult jvp(List<Tensor> primals, List<Tensor> tangents, Params p) {
    Graph fun = p.get("fun", Graph.class);
    int nc = p.intValue("nconsts");
    Custom.JvpRule rule = p.get("rule", Custom.JvpRule.class);
    Custom.requireNoCapturedTangent("customJvp", tangents.subList(0, nc));
    List<Tensor> args = primals.subList(nc, primals.size());
    List<Tensor> ts = new ArrayList<>();
    List<AbstractValue> argAvals = avals(args);
    for (int k = 0; k < args.size(); k++) {
      ts.add(orZeros(tangents.get(nc + k), argAvals.get(k)));
    }
    Custom.JvpOut r = rule.apply(List.copyOf(args), List.copyOf(ts));
    if (r == null) {
      throw new IllegalArgumentException("the customJvp rule returned null");
    }
    List<AbstractValue> outAvals = fun.outputAvals();
    SubGraphs.checkAvals("the outputs of the customJvp rule", outAvals, r.outputs(), false);
    SubGraphs.checkAvals("the tangents of the customJvp rule", outAvals, r.tangents(), true);
    return new JvpResult(r.outputs(), new ArrayList<>(r.tangents()));
  }

  private static Batched batch(List<Tensor> args, int[] dims, Params p, BatchAxis axis) {
    Graph fun = p.get("fun", Graph.class);
    int nc = p.intValue("nconsts");
    Custom.JvpRule rule = p.get("rule", Custom.JvpRule.class);
    int size = axis.size();
    List<Tensor> moved = SubGraphs.allToFront(args, dims, size);
    boolean[] all = filled(args.size(), true);
    int nOut = fun.outputs().size();
    Graph batchedFun =
        derive(
            in -> batchRun(fun, in, all, axis, filled(nOut, true)).outputs(),
            avals(moved),
            "vmap of customJvp");
    Custom.JvpRule batchedRule =
        (ps, ts) -> {
          int n = ps.size();
          Custom.JvpOut[] last = new Custom.JvpOut[1];
          List<Tensor> outs =
              SubGraphs.batchCall(
                  l -> {
                    Custom.JvpOut r = rule.apply(l.subList(0, n), l.subList(n, l.size()));
                    last[0] = r;
                    return concat(r.outputs(), r.tangents());
                  },
                  concat(ps, ts),
                  size);
          return new Custom.JvpOut(
              outs.subList(0, last[0].outputs().size()),
              outs.subList(last[0].outputs().size(), outs.size()));
        };
    List<Tensor> outs = PRIMITIVE.bind(moved, params(batchedFun, nc, batchedRule));
    return new Batched(outs, new int[nOut]);
  }
}
