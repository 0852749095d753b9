package dev.arbor.transform.jit;

import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code fused} primitive: one fusion cluster found by {@link Fusion}, carrying its sub-graph
 * in the parameter {@code graph}. A backend that generates code compiles each {@code fused}
 * equation to one loop over the cluster's domain (the shape of its elementwise values), with an
 * optional trailing reduction; the reference kernel interprets the sub-graph with the reference
 * kernels of its equations.
 *
 * <p>{@code fused} equations exist only in graphs handed to {@code Backend.compile}: they are run,
 * never transformed. Transformations of a jitted function transform its unfused graph (see {@code
 * docs/design/jit.md}), so this primitive has no JVP, transpose or batching rule.
 */
public final class Fused {
  /** Parameter holding the cluster's sub-graph. */
  public static final String GRAPH = "graph";

  /** The primitive; its results are the cluster's outputs, in the sub-graph's order. */
  public static final Primitive FUSED =
      Primitive.multi("fused")
          .shapeRule(
              (in, p) -> {
                Graph g = p.get(GRAPH, Graph.class);
                // Runs on every execution of a cluster: plain loops, no streams.
                boolean same = in.size() == g.inputs().size();
                for (int k = 0; same && k < in.size(); k++) {
                  same = in.get(k).equals(g.inputs().get(k).aval());
                }
                if (!same) {
                  throw new IllegalArgumentException(
                      "'fused' takes " + g.inputAvals() + " (its sub-graph's inputs), got " + in);
                }
                List<AbstractValue> out = new ArrayList<>(g.outputs().size());
                for (Var v : g.outputs()) {
                  out.add(v.aval());
                }
                return out;
              })
          .reference((in, p, out) -> interpret(p.get(GRAPH, Graph.class), in));

  private Fused() {}

  /** The sub-graph of a {@code fused} equation. */
  public static Graph graphOf(Equation e) {
    if (e.primitive() != FUSED) {
      throw new IllegalArgumentException("not a 'fused' equation: " + e.primitive());
    }
    return e.params().get(GRAPH, Graph.class);
  }

  /**
   * A {@code fused} equation running {@code cluster} on {@code inputs}, defining {@code outputs}.
   */
  static Equation equation(Graph cluster, List<Var> inputs, List<Var> outputs) {
    return new Equation(FUSED, inputs, Params.of(GRAPH, cluster), outputs);
  }

  /**
   * Runs {@code g} on host arrays with each equation's reference kernel. Intermediate arrays are
   * released as soon as the cluster is done, so live-buffer counts stay exact.
   */
  static List<HostArray> interpret(Graph g, List<HostArray> inputs) {
    Map<Var, HostArray> env = new IdentityHashMap<>();
    // A kernel may hand back one of its inputs; never release what the caller still holds.
    Set<HostArray> keep = Collections.newSetFromMap(new IdentityHashMap<>());
    for (int k = 0; k < inputs.size(); k++) {
      env.put(g.inputs().get(k), inputs.get(k));
      keep.add(inputs.get(k));
    }
    for (int k = 0; k < g.constVars().size(); k++) {
      Tensor c = g.constValues().get(k);
      HostArray h = ((ConcreteTensor) c).host();
      env.put(g.constVars().get(k), h);
      keep.add(h);
    }
    List<HostArray> temporaries = new ArrayList<>();
    for (Equation e : g.equations()) {
      List<HostArray> in = new ArrayList<>(e.inputs().size());
      for (Var v : e.inputs()) {
        in.add(env.get(v));
      }
      List<AbstractValue> outAvals = new ArrayList<>(e.outputs().size());
      for (Var v : e.outputs()) {
        outAvals.add(v.aval());
      }
      List<HostArray> out = e.primitive().referenceKernel().apply(in, e.params(), outAvals);
      for (int k = 0; k < out.size(); k++) {
        env.put(e.outputs().get(k), out.get(k));
        temporaries.add(out.get(k));
      }
    }
    List<HostArray> result = new ArrayList<>(g.outputs().size());
    for (Var v : g.outputs()) {
      result.add(env.get(v));
    }
    keep.addAll(result);
    for (HostArray t : temporaries) {
      if (!keep.contains(t)) {
        t.release();
      }
    }
    return result;
  }
}
