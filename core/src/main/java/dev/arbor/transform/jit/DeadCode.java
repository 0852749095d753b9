package dev.arbor.transform.jit;

import dev.arbor.array.Tensor;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Dead-code elimination: drops equations none of whose outputs reach the graph's outputs, and
 * constants nothing uses. Inputs are kept (they are the graph's signature). All primitives are pure
 * today; an effectful primitive would have to be kept here.
 */
public final class DeadCode {
  private DeadCode() {}

  /** The graph without dead equations and unused constants; {@code g} itself if none. */
  public static Graph eliminate(Graph g) {
    Set<Var> live = Collections.newSetFromMap(new IdentityHashMap<>());
    live.addAll(g.outputs());
    List<Equation> eqs = g.equations();
    boolean[] keep = new boolean[eqs.size()];
    int kept = 0;
    for (int i = eqs.size() - 1; i >= 0; i--) {
      Equation e = eqs.get(i);
      for (Var o : e.outputs()) {
        if (live.contains(o)) {
          keep[i] = true;
          break;
        }
      }
      if (keep[i]) {
        kept++;
        live.addAll(e.inputs());
      }
    }
    List<Var> constVars = new ArrayList<>();
    List<Tensor> constValues = new ArrayList<>();
    for (int k = 0; k < g.constVars().size(); k++) {
      if (live.contains(g.constVars().get(k))) {
        constVars.add(g.constVars().get(k));
        constValues.add(g.constValues().get(k));
      }
    }
    if (kept == eqs.size() && constVars.size() == g.constVars().size()) {
      return g;
    }
    List<Equation> live2 = new ArrayList<>(kept);
    for (int i = 0; i < eqs.size(); i++) {
      if (keep[i]) {
        live2.add(eqs.get(i));
      }
    }
    return new Graph(g.inputs(), constVars, constValues, live2, g.outputs());
  }
}
