package dev.arbor.transform.jit;

import dev.arbor.array.Tensor;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Scope;
import dev.arbor.core.Trace;
import dev.arbor.core.Var;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Constant folding: an equation whose inputs are all concrete constants (or that has no inputs) is
 * evaluated once, now, and its outputs become constants. Folding cascades in graph order. The
 * inputs it used stay as constants until {@link DeadCode} removes the unused ones.
 *
 * <p>Outputs larger than a limit (in elements, all outputs of the equation together) are not
 * folded: a {@code broadcast_in_dim} of a scalar to a large shape is cheaper to recompute than to
 * keep. An equation whose evaluation fails is left in place, so that the error surfaces when the
 * graph runs (where it would have surfaced without folding), not at compile time.
 */
public final class ConstantFolding {
  private ConstantFolding() {}

  /**
   * The graph with constant equations folded; {@code g} itself if none.
   *
   * @param maxElements the largest output (in elements) to materialize
   */
  public static Graph fold(Graph g, long maxElements) {
    Map<Var, Tensor> known = new IdentityHashMap<>();
    for (int k = 0; k < g.constVars().size(); k++) {
      if (g.constValues().get(k) instanceof ConcreteTensor c) {
        known.put(g.constVars().get(k), c);
      }
    }
    List<Var> constVars = new ArrayList<>(g.constVars());
    List<Tensor> constValues = new ArrayList<>(g.constValues());
    List<Equation> eqs = new ArrayList<>(g.equations().size());
    for (Equation e : g.equations()) {
      List<Tensor> values = foldable(e, known, maxElements) ? evaluate(e, known) : null;
      if (values == null) {
        eqs.add(e);
        continue;
      }
      for (int k = 0; k < values.size(); k++) {
        Var v = e.outputs().get(k);
        known.put(v, values.get(k));
        constVars.add(v);
        constValues.add(values.get(k));
      }
    }
    if (eqs.size() == g.equations().size()) {
      return g;
    }
    return new Graph(g.inputs(), constVars, constValues, eqs, g.outputs());
  }

  private static boolean foldable(Equation e, Map<Var, Tensor> known, long maxElements) {
    for (Var v : e.inputs()) {
      if (!known.containsKey(v)) {
        return false;
      }
    }
    long size = 0;
    for (Var v : e.outputs()) {
      size += v.aval().shape().size();
    }
    return size <= maxElements;
  }

  @SuppressWarnings("try") // the context only has to be open while the equation runs
  private static List<Tensor> evaluate(Equation e, Map<Var, Tensor> known) {
    List<Tensor> in = new ArrayList<>(e.inputs().size());
    for (Var v : e.inputs()) {
      in.add(known.get(v));
    }
    // Concrete even when this compile runs while an outer jit is staging (a nested jit called on
    // tracers), which would otherwise stage the folded equation into the outer graph.
    try (Trace.EvalContext now = Trace.evalContext()) {
      // Folded values belong to the graph, not to whatever Arbor.scope() the caller has open.
      return Scope.untracked(() -> e.primitive().bind(in, e.params()));
    } catch (RuntimeException failure) {
      // Folding is only an optimization: the failure is raised when the graph runs.
      return null;
    }
  }
}
