package dev.arbor.transform.jit;

import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Common-subexpression elimination: an equation with the same primitive, the same input variables
 * and equal {@link Params} as an earlier one is dropped and its outputs renamed to the earlier
 * one's. Constants are merged first: the same tensor, or small concrete tensors with equal contents
 * (JVP rules create a fresh {@code onesLike} per use; merging them lets the equations that use them
 * merge too). All primitives are pure today; an effectful primitive would have to be skipped.
 */
public final class CommonSubexpressions {
  /** Concrete constants up to this many elements are compared by contents. */
  public static final int CONTENT_COMPARE_LIMIT = 1024;

  private CommonSubexpressions() {}

  private record EquationKey(Primitive primitive, List<Var> inputs, Params params) {}

  /** Compares constant contents bit for bit ({@code -0.0 != 0.0}, NaN equals NaN). */
  private record ContentKey(Backend backend, AbstractValue aval, double[] f, long[] i) {
    @Override
    public boolean equals(Object o) {
      return o instanceof ContentKey c
          && c.backend == backend
          && c.aval.equals(aval)
          && Arrays.equals(c.f, f)
          && Arrays.equals(c.i, i);
    }

    @Override
    public int hashCode() {
      return aval.hashCode() * 31 + (f != null ? Arrays.hashCode(f) : Arrays.hashCode(i));
    }
  }

  /** The graph with duplicate constants and equations merged; {@code g} itself if none. */
  public static Graph eliminate(Graph g) {
    Map<Var, Var> subst = new IdentityHashMap<>();
    List<Var> constVars = new ArrayList<>();
    List<Tensor> constValues = new ArrayList<>();
    Map<Object, Var> constSeen = new HashMap<>();
    Map<Tensor, Var> sameTensor = new IdentityHashMap<>();
    for (int k = 0; k < g.constVars().size(); k++) {
      Var v = g.constVars().get(k);
      Tensor value = g.constValues().get(k);
      Var earlier = sameTensor.get(value);
      Object key = contentKey(value);
      if (earlier == null && key != null) {
        earlier = constSeen.get(key);
      }
      if (earlier != null) {
        subst.put(v, earlier);
        continue;
      }
      sameTensor.put(value, v);
      if (key != null) {
        constSeen.put(key, v);
      }
      constVars.add(v);
      constValues.add(value);
    }
    Map<EquationKey, List<Var>> seen = new HashMap<>();
    List<Equation> eqs = new ArrayList<>(g.equations().size());
    for (Equation e : g.equations()) {
      List<Var> in = Rewrites.rename(subst, e.inputs());
      EquationKey key = new EquationKey(e.primitive(), in, e.params());
      List<Var> earlier = seen.get(key);
      if (earlier != null) {
        for (int k = 0; k < earlier.size(); k++) {
          subst.put(e.outputs().get(k), earlier.get(k));
        }
        continue;
      }
      seen.put(key, e.outputs());
      eqs.add(in == e.inputs() ? e : new Equation(e.primitive(), in, e.params(), e.outputs()));
    }
    if (subst.isEmpty()) {
      return g;
    }
    return new Graph(g.inputs(), constVars, constValues, eqs, Rewrites.rename(subst, g.outputs()));
  }

  private static ContentKey contentKey(Tensor value) {
    if (!(value instanceof ConcreteTensor c) || c.shape().size() > CONTENT_COMPARE_LIMIT) {
      return null;
    }
    HostArray h = c.host();
    return new ContentKey(c.backend(), c.aval(), h.doubles(), h.longs());
  }
}
