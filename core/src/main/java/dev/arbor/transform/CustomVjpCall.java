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
import dev.arbor.core.Primitive.Linear;
import java.util.ArrayList;
import java.util.List;

/**
 * A function with a user-written backward rule ({@link Custom#customVjp}): {@code
 * custom_vjp_call[fun=F, nconsts=c, fwd, bwd]} evaluates {@code F}; its JVP runs {@code fwd} (the
 * outputs and residuals) and stages {@code custom_vjp_linear[bwd]}, a linear primitive of
 * (residuals, tangents) whose transpose calls {@code bwd(residuals, cotangents)}. So reverse mode
 * uses {@code bwd} and never differentiates {@code F}. Forward mode has no rule to use and fails
 * with an error (as in JAX).
 */
public final class CustomVjpCall {
  private CustomVjpCall() {}

  /** The call primitive; backends and graph passes key on it. */
  public static final Primitive PRIMITIVE = Primitive.multi("custom_vjp_call");

  /** The linear primitive standing for the pullback; its transpose calls {@code bwd}. */
  public static final Primitive LINEAR = Primitive.multi("custom_vjp_linear");

  static {
    PRIMITIVE
        .shapeRule(
            (in, p) -> {
              Graph fun = p.get("fun", Graph.class);
              if (!fun.inputAvals().equals(in)) {
                throw new IllegalArgumentException(
                    "'custom_vjp_call' takes " + fun.inputAvals() + ", got " + in);
              }
              return fun.outputAvals();
            })
        .eval((args, p) -> p.get("fun", Graph.class).evaluate(args))
        .jvp(CustomVjpCall::jvp)
        .batchWithAxis(CustomVjpCall::batch);
    LINEAR
        .shapeRule(
            (in, p) -> {
              int nres = p.intValue("nres");
              if (!in.subList(nres, in.size()).equals(avalList(p, "in_avals"))) {
                throw new IllegalArgumentException(
                    "'custom_vjp_linear' takes tangents "
                        + avalList(p, "in_avals")
                        + ", got "
                        + in);
              }
              return avalList(p, "out_avals");
            })
        .eval(
            (args, p) -> {
              throw new UnsupportedOperationException(
                  "forward-mode differentiation (jvp, jacfwd) of a customVjp function is not"
                      + " supported: its derivative is given only as a backward rule. Use"
                      + " reverse mode (grad, vjp, jacrev), or define the function with"
                      + " Custom.customJvp instead");
            })
        .transpose(CustomVjpCall::transposeLinear);
  }

  @SuppressWarnings("unchecked")
  private static List<AbstractValue> avalList(Params p, String name) {
    return (List<AbstractValue>) p.get(name, List.class);
  }

  static Params params(Graph fun, int nconsts, Custom.Fwd fwd, Custom.Bwd bwd) {
    return Params.of("fun", fun, "nconsts", nconsts, "fwd", fwd, "bwd", bwd);
  }

  private static JvpResult jvp(List<Tensor> primals, List<Tensor> tangents, Params p) {
    Graph fun = p.get("fun", Graph.class);
    int nc = p.intValue("nconsts");
    Custom.Fwd fwd = p.get("fwd", Custom.Fwd.class);
    Custom.requireNoCapturedTangent("customVjp", tangents.subList(0, nc));
    List<Tensor> args = primals.subList(nc, primals.size());
    Custom.FwdOut r = fwd.apply(List.copyOf(args));
    if (r == null) {
      throw new IllegalArgumentException("the customVjp fwd function returned null");
    }
    List<AbstractValue> outAvals = fun.outputAvals();
    SubGraphs.checkAvals("the outputs of the customVjp fwd function", outAvals, r.outputs(), false);
    List<AbstractValue> argAvals = avals(args);
    List<Tensor> ts = new ArrayList<>();
    for (int k = 0; k < args.size(); k++) {
      ts.add(orZeros(tangents.get(nc + k), argAvals.get(k)));
    }
    List<Tensor> touts =
        LINEAR.bind(
            concat(r.residuals(), ts),
            Params.of(
                "bwd",
                p.get("bwd", Custom.Bwd.class),
                "nres",
                r.residuals().size(),
                "out_avals",
                List.copyOf(outAvals),
                "in_avals",
                List.copyOf(argAvals)));
    List<Tensor> tangentsOut = new ArrayList<>();
    for (Tensor t : touts) {
      tangentsOut.add(t.dtype().isFloating() ? t : null);
    }
    return new JvpResult(r.outputs(), tangentsOut);
  }

  private static List<Tensor> transposeLinear(List<Tensor> cts, List<Object> args, Params p) {
    int nres = p.intValue("nres");
    Custom.Bwd bwd = p.get("bwd", Custom.Bwd.class);
    List<AbstractValue> outAvals = avalList(p, "out_avals");
    List<AbstractValue> inAvals = avalList(p, "in_avals");
    List<Tensor> res = new ArrayList<>();
    for (int k = 0; k < nres; k++) {
      if (!(args.get(k) instanceof Tensor t)) {
        throw new AssertionError("a residual of custom_vjp_linear is linear");
      }
      res.add(t);
    }
    List<Tensor> ctIn = new ArrayList<>();
    for (int k = 0; k < cts.size(); k++) {
      ctIn.add(orZeros(cts.get(k), outAvals.get(k)));
    }
    List<Tensor> g = bwd.apply(List.copyOf(res), List.copyOf(ctIn));
    SubGraphs.checkAvals("the cotangents returned by the customVjp bwd function", inAvals, g, true);
    List<Tensor> result = new ArrayList<>();
    for (int k = 0; k < nres; k++) {
      result.add(null);
    }
    for (int k = 0; k < inAvals.size(); k++) {
      result.add(args.get(nres + k) instanceof Linear ? g.get(k) : null);
    }
    return result;
  }

  private static Batched batch(List<Tensor> args, int[] dims, Params p, BatchAxis axis) {
    Graph fun = p.get("fun", Graph.class);
    int nc = p.intValue("nconsts");
    Custom.Fwd fwd = p.get("fwd", Custom.Fwd.class);
    Custom.Bwd bwd = p.get("bwd", Custom.Bwd.class);
    int size = axis.size();
    List<Tensor> moved = SubGraphs.allToFront(args, dims, size);
    int nOut = fun.outputs().size();
    Graph batchedFun =
        derive(
            in -> batchRun(fun, in, filled(args.size(), true), axis, filled(nOut, true)).outputs(),
            avals(moved),
            "vmap of customVjp");
    Custom.Fwd batchedFwd =
        xs -> {
          List<Tensor> all =
              SubGraphs.batchCall(
                  l -> {
                    Custom.FwdOut r = fwd.apply(l);
                    return concat(r.outputs(), r.residuals());
                  },
                  xs,
                  size);
          return new Custom.FwdOut(all.subList(0, nOut), all.subList(nOut, all.size()));
        };
    Custom.Bwd batchedBwd =
        (res, cts) -> {
          int nres = res.size();
          return SubGraphs.batchCall(
              l -> bwd.apply(l.subList(0, nres), l.subList(nres, l.size())),
              concat(res, cts),
              size);
        };
    List<Tensor> outs = PRIMITIVE.bind(moved, params(batchedFun, nc, batchedFwd, batchedBwd));
    return new Batched(outs, new int[nOut]);
  }
}
