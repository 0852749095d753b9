package dev.arbor.transform.jit;

import dev.arbor.array.Shape;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Primitive.Kind;
import dev.arbor.core.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fusion clustering: groups maximal connected chains of elementwise and {@code broadcast_in_dim}
 * equations that share one output shape (the cluster's <em>domain</em>), plus at most one trailing
 * reduction of a domain-shaped value, into {@link Fused#FUSED} equations, so that a backend can run
 * each cluster as one loop without materializing its intermediates.
 *
 * <p>The pass walks the graph once in order. An equation joins the pending cluster(s) of the same
 * domain that produce its inputs (merging them); anything else that reads a pending cluster's value
 * closes that cluster and emits it right before the reader. Since a cluster is emitted before its
 * first outside reader and after all its members, the result stays topologically ordered and no
 * cluster depends on itself. Values used outside the cluster (or returned by the graph) are its
 * outputs; the rest never leave the loop. Clusters of a single equation are left as they were.
 */
public final class Fusion {
  private Fusion() {}

  private static final class Cluster {
    final Shape domain;
    final List<Integer> members = new ArrayList<>();
    boolean accepting = true;

    Cluster(Shape domain) {
      this.domain = domain;
    }
  }

  /** The graph with fusion clusters as {@code fused} equations; {@code g} itself if none. */
  public static Graph cluster(Graph g) {
    List<Equation> eqs = g.equations();
    Cluster[] clusterOf = new Cluster[eqs.size()];
    Map<Var, Integer> definer = new IdentityHashMap<>();
    for (int i = 0; i < eqs.size(); i++) {
      for (Var o : eqs.get(i).outputs()) {
        definer.put(o, i);
      }
    }
    Set<Cluster> pending = new LinkedHashSet<>();
    List<Object> order = new ArrayList<>(); // Equation or emitted Cluster, in output order
    for (int i = 0; i < eqs.size(); i++) {
      Equation e = eqs.get(i);
      Set<Cluster> producers = new LinkedHashSet<>();
      for (Var v : e.inputs()) {
        Integer at = definer.get(v);
        Cluster c = at == null ? null : clusterOf[at];
        if (c != null && pending.contains(c)) {
          producers.add(c);
        }
      }
      List<Cluster> joined = joinable(e, producers);
      Cluster home;
      if (joined == null) {
        home = null;
      } else if (joined.isEmpty()) {
        home = new Cluster(fusedShape(e));
        pending.add(home);
      } else {
        // Pending clusters are read by nothing outside them yet, so merging cannot make a cycle.
        home = joined.get(0);
        for (Cluster c : joined.subList(1, joined.size())) {
          for (int m : c.members) {
            clusterOf[m] = home;
          }
          home.members.addAll(c.members);
          pending.remove(c);
        }
        home.members.sort(null);
      }
      for (Cluster c : producers) {
        if (c != home && pending.remove(c)) {
          order.add(c); // read by an equation outside it: emit it before that reader
        }
      }
      if (home == null) {
        order.add(e);
        continue;
      }
      home.members.add(i);
      clusterOf[i] = home;
      if (e.primitive().kind() == Kind.REDUCTION) {
        home.accepting = false;
      }
    }
    order.addAll(pending);
    boolean changed = false;
    for (Object o : order) {
      changed |= o instanceof Cluster c && c.members.size() > 1;
    }
    if (!changed) {
      return g;
    }
    Map<Var, List<Integer>> readers = readers(eqs);
    Set<Var> graphOutputs = Collections.newSetFromMap(new IdentityHashMap<>());
    graphOutputs.addAll(g.outputs());
    List<Equation> result = new ArrayList<>(order.size());
    for (Object o : order) {
      if (o instanceof Equation e) {
        result.add(e);
      } else {
        Cluster c = (Cluster) o;
        result.add(
            c.members.size() == 1
                ? eqs.get(c.members.get(0))
                : fusedEquation(c, eqs, clusterOf, readers, graphOutputs));
      }
    }
    return new Graph(g.inputs(), g.constVars(), g.constValues(), result, g.outputs());
  }

  /**
   * The pending producer clusters {@code e} joins (merged into the first), an empty list when it
   * starts a cluster of its own, or null when it cannot be fused.
   */
  private static List<Cluster> joinable(Equation e, Set<Cluster> producers) {
    if (e.outputs().size() != 1) {
      return null;
    }
    Kind kind = e.primitive().kind();
    if (kind == Kind.REDUCTION) {
      Shape operand = e.inputs().get(0).aval().shape();
      for (Cluster c : producers) {
        if (c.accepting && c.domain.equals(operand)) {
          return List.of(c);
        }
      }
      return null;
    }
    if (kind != Kind.ELEMENTWISE && kind != Kind.BROADCAST) {
      return null;
    }
    Shape domain = fusedShape(e);
    List<Cluster> same = new ArrayList<>();
    for (Cluster c : producers) {
      if (c.accepting && c.domain.equals(domain)) {
        same.add(c);
      }
    }
    return same;
  }

  private static Shape fusedShape(Equation e) {
    return e.outputs().get(0).aval().shape();
  }

  private static Map<Var, List<Integer>> readers(List<Equation> eqs) {
    Map<Var, List<Integer>> r = new IdentityHashMap<>();
    for (int i = 0; i < eqs.size(); i++) {
      for (Var v : eqs.get(i).inputs()) {
        r.computeIfAbsent(v, x -> new ArrayList<>()).add(i);
      }
    }
    return r;
  }

  private static Equation fusedEquation(
      Cluster c,
      List<Equation> eqs,
      Cluster[] clusterOf,
      Map<Var, List<Integer>> readers,
      Set<Var> graphOutputs) {
    Set<Var> defined = Collections.newSetFromMap(new IdentityHashMap<>());
    Set<Var> inputs = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Var> inputList = new ArrayList<>();
    List<Var> outputs = new ArrayList<>();
    List<Equation> members = new ArrayList<>(c.members.size());
    for (int i : c.members) {
      Equation e = eqs.get(i);
      members.add(e);
      for (Var v : e.inputs()) {
        if (!defined.contains(v) && inputs.add(v)) {
          inputList.add(v);
        }
      }
      defined.addAll(e.outputs());
    }
    for (Equation e : members) {
      for (Var o : e.outputs()) {
        boolean escapes = graphOutputs.contains(o);
        for (int reader : readers.getOrDefault(o, List.of())) {
          escapes |= clusterOf[reader] != c;
        }
        if (escapes) {
          outputs.add(o);
        }
      }
    }
    Graph sub = new Graph(inputList, List.of(), List.of(), members, outputs);
    return Fused.equation(sub, inputList, outputs);
  }

  /** Replaces every {@code fused} equation of {@code g} by its sub-graph's equations. */
  public static Graph inline(Graph g) {
    List<Equation> result = new ArrayList<>();
    Map<Var, Var> subst = new IdentityHashMap<>();
    boolean changed = false;
    for (Equation e : g.equations()) {
      List<Var> in = Rewrites.rename(subst, e.inputs());
      if (e.primitive() != Fused.FUSED) {
        result.add(in == e.inputs() ? e : new Equation(e.primitive(), in, e.params(), e.outputs()));
        continue;
      }
      changed = true;
      Graph sub = Fused.graphOf(e);
      Map<Var, Var> inner = new IdentityHashMap<>();
      for (int k = 0; k < in.size(); k++) {
        inner.put(sub.inputs().get(k), in.get(k));
      }
      if (!sub.constVars().isEmpty()) {
        throw new IllegalArgumentException(
            "cannot inline a 'fused' sub-graph with constants; Fusion.cluster makes none");
      }
      for (Equation s : inline(sub).equations()) {
        result.add(
            new Equation(
                s.primitive(), Rewrites.rename(inner, s.inputs()), s.params(), s.outputs()));
      }
      for (int k = 0; k < e.outputs().size(); k++) {
        subst.put(e.outputs().get(k), Rewrites.rename(inner, sub.outputs().get(k)));
      }
    }
    if (!changed) {
      return g;
    }
    return new Graph(
        g.inputs(), g.constVars(), g.constValues(), result, Rewrites.rename(subst, g.outputs()));
  }
}
