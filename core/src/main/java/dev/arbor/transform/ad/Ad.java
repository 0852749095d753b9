package dev.arbor.transform.ad;

import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Primitive.Linear;
import dev.arbor.core.StagingTrace;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.AdMath;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Automatic differentiation on flat lists of tensors: forward mode ({@link #jvp}), linearization
 * (JVP with the tangent computation staged into a linear graph) and its transpose ({@link
 * #backwardPass}); reverse mode is linearize + transpose. The pytree-level API is {@code
 * dev.arbor.Arbor}.
 */
public final class Ad {
  private Ad() {}

  /** Result of {@link #jvp}: outputs and their tangents (zeros instantiated). */
  public record JvpOut(List<Tensor> primals, List<Tensor> tangents) {}

  /** Pushes {@code tangents} forward through {@code f} at {@code primals}. */
  public static JvpOut jvp(
      Function<List<Tensor>, List<Tensor>> f,
      List<Tensor> primals,
      List<Tensor> tangents,
      String description) {
    if (primals.size() != tangents.size()) {
      throw new IllegalArgumentException(
          "jvp got " + primals.size() + " primals but " + tangents.size() + " tangents");
    }
    JvpTrace trace = new JvpTrace(description);
    List<Tensor> outPrimals = new ArrayList<>();
    List<Tensor> outTangents = new ArrayList<>();
    try {
      List<Tensor> in = new ArrayList<>(primals.size());
      for (int k = 0; k < primals.size(); k++) {
        in.add(trace.tracer(primals.get(k), tangents.get(k)));
      }
      for (Tensor o : f.apply(in)) {
        outPrimals.add(trace.primal(o));
        outTangents.add(trace.tangent(o));
      }
    } finally {
      trace.end();
    }
    for (int k = 0; k < outTangents.size(); k++) {
      if (outTangents.get(k) == null) {
        outTangents.set(k, AdMath.zerosLike(outPrimals.get(k)));
      }
    }
    return new JvpOut(outPrimals, outTangents);
  }

  /**
   * A linearized function: the primal outputs and a linear graph from the tangents of the float
   * inputs ({@code floatInputs} marks which inputs have one) to the tangents of the outputs.
   */
  public record Linearized(
      List<Tensor> primals, Graph linear, boolean[] floatInputs, List<AbstractValue> inputAvals) {
    /** Pushes tangents (one per input; entries for non-float inputs are ignored) forward. */
    public List<Tensor> forward(List<Tensor> tangents) {
      List<Tensor> in = new ArrayList<>();
      for (int k = 0; k < floatInputs.length; k++) {
        if (floatInputs[k]) {
          in.add(tangents.get(k));
        }
      }
      return linear.evaluate(in);
    }

    /**
     * Pulls output cotangents (null = zero) back to one cotangent per input; non-float inputs get
     * zeros of their shape and dtype.
     */
    public List<Tensor> transpose(List<Tensor> cotangents) {
      List<Tensor> cts = backwardPass(linear, cotangents);
      List<Tensor> result = new ArrayList<>(floatInputs.length);
      int j = 0;
      for (int k = 0; k < floatInputs.length; k++) {
        AbstractValue a = inputAvals.get(k);
        if (floatInputs[k]) {
          Tensor c = cts.get(j++);
          result.add(c != null ? c : Tensor.full(0, a.dtype(), a.shape().dims()));
        } else {
          result.add(Tensor.full(0, a.dtype(), a.shape().dims()));
        }
      }
      return result;
    }
  }

  /** Linearizes {@code f} at {@code primals}. */
  public static Linearized linearize(
      Function<List<Tensor>, List<Tensor>> f, List<Tensor> primals, String description) {
    JvpTrace jvp = new JvpTrace(description);
    List<Tensor> outPrimals = new ArrayList<>();
    Graph graph;
    boolean[] floats = new boolean[primals.size()];
    List<AbstractValue> avals = new ArrayList<>(primals.size());
    try {
      StagingTrace tangents = new StagingTrace(description + " (tangents)", false);
      try {
        List<Tensor> in = new ArrayList<>(primals.size());
        for (int k = 0; k < primals.size(); k++) {
          Tensor p = primals.get(k);
          AbstractValue a = new AbstractValue(p.shape(), p.dtype());
          avals.add(a);
          floats[k] = p.dtype().isFloating();
          in.add(jvp.tracer(p, floats[k] ? tangents.newInput(a) : null));
        }
        List<Tensor> outTangents = new ArrayList<>();
        for (Tensor o : f.apply(in)) {
          Tensor primal = jvp.primal(o);
          Tensor tangent = jvp.tangent(o);
          outPrimals.add(primal);
          outTangents.add(tangent != null ? tangent : AdMath.zerosLike(primal));
        }
        graph = tangents.toGraph(outTangents);
      } finally {
        tangents.end();
      }
    } finally {
      jvp.end();
    }
    return new Linearized(outPrimals, graph, floats, avals);
  }

  /**
   * Transposes a linear graph: given one cotangent per output (null = zero), returns one cotangent
   * per graph input (null = zero). Every equation of a linear graph has at least one input that
   * depends on the graph's inputs; the others are constants.
   */
  public static List<Tensor> backwardPass(Graph g, List<Tensor> cotangents) {
    boolean[] all = new boolean[g.inputs().size()];
    java.util.Arrays.fill(all, true);
    return transpose(g, all, java.util.Collections.nCopies(all.length, null), cotangents);
  }

  /**
   * Transposes {@code g} with respect to the inputs marked in {@code linear}: {@code known} holds
   * the values of the other inputs (entries at linear positions are ignored), {@code cotangents}
   * one per output (null = zero). Equations that touch no linear value are evaluated forward first
   * (recomputing the primal values the linear part needs — what control flow and checkpointing
   * transpose); the others are transposed in reverse with their primitives' transpose rules.
   * Returns one cotangent per input: null at non-linear positions and for zeros.
   */
  public static List<Tensor> transpose(
      Graph g, boolean[] linear, List<Tensor> known, List<Tensor> cotangents) {
    if (cotangents.size() != g.outputs().size()) {
      throw new IllegalArgumentException(
          "pullback takes " + g.outputs().size() + " cotangents, got " + cotangents.size());
    }
    Set<Var> lin = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    Map<Var, Tensor> env = new IdentityHashMap<>();
    for (int k = 0; k < g.inputs().size(); k++) {
      if (linear[k]) {
        lin.add(g.inputs().get(k));
      } else {
        env.put(g.inputs().get(k), known.get(k));
      }
    }
    for (int k = 0; k < g.constVars().size(); k++) {
      env.put(g.constVars().get(k), g.constValues().get(k));
    }
    List<Equation> linearEqs = new ArrayList<>();
    for (Equation e : g.equations()) {
      if (e.inputs().stream().anyMatch(lin::contains)) {
        lin.addAll(e.outputs());
        linearEqs.add(e);
      } else {
        List<Tensor> in = new ArrayList<>(e.inputs().size());
        for (Var v : e.inputs()) {
          in.add(env.get(v));
        }
        List<Tensor> out = e.primitive().bind(in, e.params());
        for (int k = 0; k < out.size(); k++) {
          env.put(e.outputs().get(k), out.get(k));
        }
      }
    }
    Map<Var, Tensor> ct = new IdentityHashMap<>();
    for (int k = 0; k < cotangents.size(); k++) {
      Var v = g.outputs().get(k);
      Tensor c = cotangents.get(k);
      if (c != null && lin.contains(v)) {
        checkCotangent(v, c, k);
        ct.merge(v, c, AdMath::addTangents);
      }
    }
    for (int i = linearEqs.size() - 1; i >= 0; i--) {
      Equation e = linearEqs.get(i);
      List<Tensor> outCts = new ArrayList<>(e.outputs().size());
      boolean any = false;
      for (Var v : e.outputs()) {
        Tensor c = ct.remove(v);
        outCts.add(c);
        any |= c != null;
      }
      if (!any) {
        continue;
      }
      List<Object> args = new ArrayList<>(e.inputs().size());
      for (Var v : e.inputs()) {
        args.add(lin.contains(v) ? new Linear(v.aval()) : env.get(v));
      }
      List<Tensor> inCts = e.primitive().transposeRule().apply(outCts, args, e.params());
      for (int k = 0; k < e.inputs().size(); k++) {
        Var v = e.inputs().get(k);
        Tensor c = k < inCts.size() ? inCts.get(k) : null;
        if (c != null && lin.contains(v)) {
          if (!c.shape().equals(v.aval().shape()) || c.dtype() != v.aval().dtype()) {
            throw new AssertionError(
                "transpose rule of '"
                    + e.primitive().name()
                    + "' returned a cotangent "
                    + c.dtype().shortName()
                    + c.shape()
                    + " for operand "
                    + k
                    + " of type "
                    + v.aval());
          }
          ct.merge(v, c, AdMath::addTangents);
        }
      }
    }
    List<Tensor> result = new ArrayList<>(g.inputs().size());
    for (int k = 0; k < g.inputs().size(); k++) {
      result.add(linear[k] ? ct.get(g.inputs().get(k)) : null);
    }
    return result;
  }

  private static void checkCotangent(Var v, Tensor c, int k) {
    if (!c.shape().equals(v.aval().shape()) || c.dtype() != v.aval().dtype()) {
      throw new IllegalArgumentException(
          "cotangent "
              + k
              + " must match its output "
              + v.aval()
              + ", got "
              + c.dtype().shortName()
              + c.shape());
    }
  }
}
