package dev.arbor.transform;

import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.BatchAxis;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.StagingTrace;
import dev.arbor.core.Tracer;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.Structural;
import dev.arbor.transform.ad.JvpTrace;
import dev.arbor.transform.batching.BatchTrace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Transformations of sub-graphs, shared by the rules of the higher-order primitives (cond, while,
 * scan, custom rules, checkpoint): staging a function into a closed graph, and running a graph
 * under a fresh JVP or batch trace or transposed. The rules build their new sub-graphs by staging
 * these runs ({@link #derive}), so a rule never needs to know which primitives a graph holds.
 */
final class SubGraphs {
  private SubGraphs() {}

  /**
   * A staged user function: {@code graph} takes the {@code hoisted} values (tracers of enclosing
   * transformations the function closed over) as leading inputs, then the declared inputs. Concrete
   * constants stay inside the graph: they are the same under every transformation.
   */
  record Closed(Graph graph, List<Tensor> hoisted) {}

  /** Stages {@code f} on inputs of the given abstract values; hoists captured tracers. */
  static Closed stage(
      Function<List<Tensor>, List<Tensor>> f, List<AbstractValue> in, String description) {
    StagingTrace s = new StagingTrace(description);
    Graph g;
    try {
      List<Tensor> args = new ArrayList<>(in.size());
      for (AbstractValue a : in) {
        args.add(s.newInput(a));
      }
      List<Tensor> outs = f.apply(Collections.unmodifiableList(args));
      if (outs == null) {
        throw new IllegalArgumentException(
            description + " returned null; return a list of tensors (List.of() for none)");
      }
      g = s.toGraph(outs);
    } finally {
      s.end();
    }
    List<Var> hoistedVars = new ArrayList<>();
    List<Tensor> hoisted = new ArrayList<>();
    List<Var> constVars = new ArrayList<>();
    List<Tensor> constValues = new ArrayList<>();
    for (int k = 0; k < g.constVars().size(); k++) {
      Tensor v = g.constValues().get(k);
      if (v instanceof Tracer) {
        hoistedVars.add(g.constVars().get(k));
        hoisted.add(v);
      } else {
        constVars.add(g.constVars().get(k));
        constValues.add(v);
      }
    }
    Graph closed =
        new Graph(
            concat(hoistedVars, g.inputs()), constVars, constValues, g.equations(), g.outputs());
    return new Closed(closed, hoisted);
  }

  /**
   * Stages a function built by a rule from closed graphs (a JVP, batched or transposed version of a
   * sub-graph), without dead equations. Such a function only sees its inputs and concrete values,
   * so it cannot close over a tracer unless a user-written rule (customJvp, customVjp) did.
   */
  static Graph derive(
      Function<List<Tensor>, List<Tensor>> f, List<AbstractValue> in, String description) {
    Closed c = stage(f, in, description);
    if (!c.hoisted().isEmpty()) {
      throw new IllegalArgumentException(
          "a function used by "
              + description
              + " closed over a traced value ("
              + c.hoisted().get(0)
              + "); custom rules (customJvp, customVjp fwd/bwd) must not capture values of the"
              + " enclosing transformation: pass them as arguments instead");
    }
    return prune(c.graph());
  }

  /** The graph without equations that no output needs (inputs and constants are kept). */
  static Graph prune(Graph g) {
    Set<Var> live = identitySet();
    live.addAll(g.outputs());
    List<Equation> kept = new ArrayList<>();
    List<Equation> eqs = g.equations();
    for (int i = eqs.size() - 1; i >= 0; i--) {
      Equation e = eqs.get(i);
      if (e.outputs().stream().anyMatch(live::contains)) {
        kept.add(e);
        live.addAll(e.inputs());
      }
    }
    Collections.reverse(kept);
    return new Graph(g.inputs(), g.constVars(), g.constValues(), kept, g.outputs());
  }

  /**
   * Which outputs of {@code g} depend on the inputs marked in {@code from}. Used both for "may have
   * a nonzero tangent" and "may be batched": both spread along data dependencies, and an
   * over-approximation only costs instantiated zeros or broadcasts.
   */
  static boolean[] dependsOn(Graph g, boolean[] from) {
    Set<Var> dep = identitySet();
    for (int k = 0; k < from.length; k++) {
      if (from[k]) {
        dep.add(g.inputs().get(k));
      }
    }
    for (Equation e : g.equations()) {
      if (e.inputs().stream().anyMatch(dep::contains)) {
        dep.addAll(e.outputs());
      }
    }
    boolean[] out = new boolean[g.outputs().size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = dep.contains(g.outputs().get(k));
    }
    return out;
  }

  // ------------------------------------------------------------ running graphs under
  // transformations

  /** Primal and tangent outputs of a graph (tangent null = zero). */
  record JvpRun(List<Tensor> primals, List<Tensor> tangents) {}

  /** Runs {@code g} under a fresh JVP trace; {@code tangents} entries may be null (zero). */
  static JvpRun jvpRun(Graph g, List<Tensor> primals, List<Tensor> tangents) {
    JvpTrace trace = new JvpTrace("jvp of a sub-graph");
    List<Tensor> ps = new ArrayList<>();
    List<Tensor> ts = new ArrayList<>();
    try {
      List<Tensor> in = new ArrayList<>(primals.size());
      for (int k = 0; k < primals.size(); k++) {
        in.add(trace.tracer(primals.get(k), tangents.get(k)));
      }
      for (Tensor o : g.evaluate(in)) {
        ps.add(trace.primal(o));
        ts.add(trace.tangent(o));
      }
    } finally {
      trace.end();
    }
    return new JvpRun(ps, ts);
  }

  /** Outputs of a batched run, each batched at axis 0 or not batched at all. */
  record BatchRun(List<Tensor> outputs, boolean[] batched) {}

  /**
   * Runs {@code g} under a fresh batch trace of {@code axis} (same name and size as the vmap that
   * batches the enclosing higher-order primitive, so collectives in {@code g} over that name reduce
   * over it): inputs marked in {@code batched} carry their batch axis at 0. Batched outputs come
   * back with the batch axis at 0; an unbatched output marked in {@code force} (null = none) is
   * broadcast along a new axis 0.
   */
  static BatchRun batchRun(
      Graph g, List<Tensor> args, boolean[] batched, BatchAxis axis, boolean[] force) {
    int size = axis.size();
    BatchTrace trace = new BatchTrace("vmap of a sub-graph", axis.name(), size);
    List<Tensor> outs = new ArrayList<>();
    boolean[] outBatched;
    try {
      List<Tensor> in = new ArrayList<>(args.size());
      for (int k = 0; k < args.size(); k++) {
        in.add(trace.tracer(args.get(k), batched[k] ? 0 : Primitive.NOT_MAPPED));
      }
      List<Tensor> res = g.evaluate(in);
      outBatched = new boolean[res.size()];
      for (int k = 0; k < res.size(); k++) {
        Batched b = trace.unwrap(res.get(k));
        Tensor v = b.outputs().get(0);
        int d = b.dims()[0];
        if (d != Primitive.NOT_MAPPED) {
          outs.add(Structural.moveAxis(v, d, 0));
          outBatched[k] = true;
        } else if (force != null && force[k]) {
          outs.add(Structural.batchAxisToFront(v, Primitive.NOT_MAPPED, size));
          outBatched[k] = true;
        } else {
          outs.add(v);
        }
      }
    } finally {
      trace.end();
    }
    return new BatchRun(outs, outBatched);
  }

  /**
   * Calls a Java function (a user-written rule) under a fresh batch trace: every input batched at
   * axis 0; every output returned batched at axis 0 (broadcast if it came out unbatched).
   */
  static List<Tensor> batchCall(
      Function<List<Tensor>, List<Tensor>> f, List<Tensor> args, int size) {
    BatchTrace trace = new BatchTrace("vmap of a custom rule", null, size);
    List<Tensor> outs = new ArrayList<>();
    try {
      List<Tensor> in = new ArrayList<>(args.size());
      for (Tensor a : args) {
        in.add(a == null ? null : trace.tracer(a, 0));
      }
      for (Tensor o : f.apply(Collections.unmodifiableList(in))) {
        if (o == null) {
          outs.add(null);
          continue;
        }
        Batched b = trace.unwrap(o);
        outs.add(Structural.batchAxisToFront(b.outputs().get(0), b.dims()[0], size));
      }
    } finally {
      trace.end();
    }
    return outs;
  }

  /** Every operand batched at axis 0 (unbatched ones broadcast). */
  static List<Tensor> allToFront(List<Tensor> args, int[] dims, int size) {
    List<Tensor> r = new ArrayList<>(args.size());
    for (int k = 0; k < args.size(); k++) {
      r.add(Structural.batchAxisToFront(args.get(k), dims[k], size));
    }
    return r;
  }

  /** Fails unless {@code got} (nulls allowed where {@code nullable}) matches {@code want}. */
  static void checkAvals(
      String what, List<AbstractValue> want, List<Tensor> got, boolean nullable) {
    boolean ok = got != null && got.size() == want.size();
    for (int k = 0; ok && k < want.size(); k++) {
      Tensor t = got.get(k);
      ok = t == null ? nullable : aval(t).equals(want.get(k));
    }
    if (!ok) {
      List<String> g = new ArrayList<>();
      if (got != null) {
        for (Tensor t : got) {
          g.add(t == null ? "null" : aval(t).toString());
        }
      }
      throw new IllegalArgumentException(
          what + " must be " + want + (nullable ? " (null for zero)" : "") + ", got " + g);
    }
  }

  /**
   * Transposes {@code g} with respect to the inputs marked in {@code linear}: {@code known} holds
   * the values of the other inputs (entries at linear positions are ignored), {@code cotangents}
   * one per output (null = zero). Equations that touch no linear value are evaluated forward first
   * (this recomputes the primal values a linear graph needs); the others are transposed in reverse
   * with their primitives' transpose rules. Returns one cotangent per input, null at non-linear
   * positions and for zeros.
   */
  static List<Tensor> transposeRun(
      Graph g, boolean[] linear, List<Tensor> known, List<Tensor> cotangents) {
    return dev.arbor.transform.ad.Ad.transpose(g, linear, known, cotangents);
  }

  // ------------------------------------------------------------ batching-rule helpers

  /** Which operands are batched. */
  static boolean[] mapped(int[] dims) {
    boolean[] r = new boolean[dims.length];
    for (int k = 0; k < dims.length; k++) {
      r[k] = dims[k] != Primitive.NOT_MAPPED;
    }
    return r;
  }

  /** The operands with their batch axes moved to 0 (unbatched ones unchanged). */
  static List<Tensor> batchToFront(List<Tensor> args, int[] dims) {
    List<Tensor> r = new ArrayList<>(args.size());
    for (int k = 0; k < args.size(); k++) {
      r.add(
          dims[k] == Primitive.NOT_MAPPED
              ? args.get(k)
              : Structural.moveAxis(args.get(k), dims[k], 0));
    }
    return r;
  }

  /** Abstract values of the (front-batched) operands. */
  static List<AbstractValue> batchedAvals(List<AbstractValue> unbatched, boolean[] b, int size) {
    List<AbstractValue> r = new ArrayList<>(unbatched.size());
    for (int k = 0; k < unbatched.size(); k++) {
      r.add(b[k] ? withLeading(size, unbatched.get(k)) : unbatched.get(k));
    }
    return r;
  }

  /** {@code a} with a new leading axis of {@code n}. */
  static AbstractValue withLeading(int n, AbstractValue a) {
    int[] d = a.shape().dims();
    int[] nd = new int[d.length + 1];
    nd[0] = n;
    System.arraycopy(d, 0, nd, 1, d.length);
    return AbstractValue.of(a.dtype(), nd);
  }

  /** Batch dims: 0 where {@code b} is set, NOT_MAPPED elsewhere. */
  static int[] frontDims(boolean[] b) {
    int[] r = new int[b.length];
    for (int k = 0; k < b.length; k++) {
      r[k] = b[k] ? 0 : Primitive.NOT_MAPPED;
    }
    return r;
  }

  // ------------------------------------------------------------ small list helpers

  static AbstractValue aval(Tensor t) {
    return new AbstractValue(t.shape(), t.dtype());
  }

  static List<AbstractValue> avals(List<? extends Tensor> ts) {
    List<AbstractValue> r = new ArrayList<>(ts.size());
    for (Tensor t : ts) {
      r.add(aval(t));
    }
    return r;
  }

  /** Concrete zeros of an abstract value. */
  static Tensor zeros(AbstractValue a) {
    return Tensor.full(0, a.dtype(), a.shape().dims());
  }

  /** {@code t}, or zeros of {@code a} when {@code t} is a symbolic zero. */
  static Tensor orZeros(Tensor t, AbstractValue a) {
    return t != null ? t : zeros(a);
  }

  @SafeVarargs
  static <T> List<T> concat(List<? extends T>... lists) {
    List<T> r = new ArrayList<>();
    for (List<? extends T> l : lists) {
      r.addAll(l);
    }
    return r;
  }

  /** The entries of {@code xs} whose mask bit is set. */
  static <T> List<T> pick(List<T> xs, boolean[] mask) {
    List<T> r = new ArrayList<>();
    for (int k = 0; k < xs.size(); k++) {
      if (mask[k]) {
        r.add(xs.get(k));
      }
    }
    return r;
  }

  /** One entry per mask bit: the next of {@code packed} where set, null elsewhere. */
  static List<Tensor> expand(List<Tensor> packed, boolean[] mask) {
    List<Tensor> r = new ArrayList<>(mask.length);
    int j = 0;
    for (boolean m : mask) {
      r.add(m ? packed.get(j++) : null);
    }
    return r;
  }

  /** Whether {@code t} is non-null and floating (can carry a tangent). */
  static boolean[] nonZero(List<Tensor> tangents) {
    boolean[] r = new boolean[tangents.size()];
    for (int k = 0; k < r.length; k++) {
      r[k] = tangents.get(k) != null && tangents.get(k).dtype().isFloating();
    }
    return r;
  }

  static boolean[] concat(boolean[]... masks) {
    int n = 0;
    for (boolean[] m : masks) {
      n += m.length;
    }
    boolean[] r = new boolean[n];
    int j = 0;
    for (boolean[] m : masks) {
      System.arraycopy(m, 0, r, j, m.length);
      j += m.length;
    }
    return r;
  }

  static boolean[] filled(int n, boolean v) {
    boolean[] r = new boolean[n];
    Arrays.fill(r, v);
    return r;
  }

  static boolean any(boolean[] m) {
    for (boolean b : m) {
      if (b) {
        return true;
      }
    }
    return false;
  }

  static <T> Set<T> identitySet() {
    return Collections.newSetFromMap(new IdentityHashMap<>());
  }
}
