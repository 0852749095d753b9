package dev.arbor.transform.jit;

import dev.arbor.array.Tensor;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.Structural;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Re-stages broadcast constants. Staging records only primitives with a tracer input, so {@code
 * x.mul(0.5)} inside {@code jit} broadcasts the concrete 0.5 to {@code x}'s shape eagerly and the
 * graph captures a domain-sized constant, which every call then reads from memory. For each
 * constant larger than the folding limit that {@link Structural#broadcastOrigin} knows to be a
 * broadcast scalar, this pass puts back the scalar as the constant and a {@code broadcast_in_dim}
 * equation defining the old variable, so fusion keeps it in the loop as a scalar (and the graph no
 * longer holds the large tensor). Constants within the folding limit stay as they are (folding
 * would materialize them again).
 */
public final class ConstantBroadcasts {
  private ConstantBroadcasts() {}

  /** {@code g} with large broadcast constants staged as broadcasts; {@code g} itself if none. */
  public static Graph restage(Graph g, long foldLimit) {
    List<Var> constVars = new ArrayList<>();
    List<Tensor> constValues = new ArrayList<>();
    List<Equation> broadcasts = new ArrayList<>();
    for (int k = 0; k < g.constVars().size(); k++) {
      Var v = g.constVars().get(k);
      Tensor c = g.constValues().get(k);
      Optional<Structural.BroadcastOrigin> origin =
          c.shape().size() > foldLimit ? Structural.broadcastOrigin(c) : Optional.empty();
      if (origin.isEmpty()) {
        constVars.add(v);
        constValues.add(c);
        continue;
      }
      Tensor scalar = origin.get().scalar();
      Var s = new Var(((ConcreteTensor) scalar).aval());
      constVars.add(s);
      constValues.add(scalar);
      broadcasts.add(
          new Equation(Structural.BROADCAST_IN_DIM, List.of(s), origin.get().params(), List.of(v)));
    }
    if (broadcasts.isEmpty()) {
      return g;
    }
    List<Equation> eqs = new ArrayList<>(broadcasts);
    eqs.addAll(g.equations());
    return new Graph(g.inputs(), constVars, constValues, eqs, g.outputs());
  }
}
