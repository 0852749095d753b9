package dev.arbor.core;

import dev.arbor.array.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A staged function (JAX's closed jaxpr): inputs, captured constants with their values, equations
 * in order, and outputs. Immutable. {@link #toString()} reads like a jaxpr: {@code { lambda ;
 * a:f32[3,4]. let b:f32[3,4] = tanh a in (b) }}.
 *
 * <p>Evaluating a graph binds each equation's primitive, so it runs under whatever transformations
 * are active: transformations of a staged function transform its graph.
 */
public final class Graph {
  private final List<Var> inputs;
  private final List<Var> constVars;
  private final List<Tensor> constValues;
  private final List<Equation> equations;
  private final List<Var> outputs;
  private volatile Set<String> axisNames;

  public Graph(
      List<Var> inputs,
      List<Var> constVars,
      List<Tensor> constValues,
      List<Equation> equations,
      List<Var> outputs) {
    if (constVars.size() != constValues.size()) {
      throw new AssertionError("constants and their values differ in number");
    }
    this.inputs = List.copyOf(inputs);
    this.constVars = List.copyOf(constVars);
    this.constValues = List.copyOf(constValues);
    this.equations = List.copyOf(equations);
    this.outputs = List.copyOf(outputs);
  }

  public List<Var> inputs() {
    return inputs;
  }

  public List<Var> constVars() {
    return constVars;
  }

  public List<Tensor> constValues() {
    return constValues;
  }

  public List<Equation> equations() {
    return equations;
  }

  public List<Var> outputs() {
    return outputs;
  }

  /**
   * The axis names of the collectives in this graph and in the sub-graphs of its higher-order
   * equations (the named axes it must run under).
   */
  public Set<String> collectiveAxisNames() {
    Set<String> names = axisNames;
    if (names == null) {
      Set<String> found = new HashSet<>();
      for (Equation e : equations) {
        if (e.primitive().isCollective() && e.params().get("axis_name") instanceof String n) {
          found.add(n);
        }
        anyGraph(
            e.params(),
            g -> {
              found.addAll(g.collectiveAxisNames());
              return false; // visit every sub-graph
            });
      }
      names = axisNames = Set.copyOf(found);
    }
    return names;
  }

  /**
   * Whether a graph among {@code params}' values holds a collective over {@code axisName}, or over
   * any axis when {@code axisName} is null. Asked on every bind of a higher-order primitive under a
   * vmap or while staging, so it allocates nothing: each graph's names are computed once.
   */
  public static boolean usesCollective(Params params, String axisName) {
    return anyGraph(params, g -> g.usesCollective(axisName));
  }

  /** Whether {@code test} holds for a graph among {@code params}' values (alone or in a list). */
  private static boolean anyGraph(Params params, Predicate<Graph> test) {
    for (Object v : params.asMap().values()) {
      if (v instanceof Graph g && test.test(g)) {
        return true;
      }
      if (v instanceof Collection<?> c) {
        for (Object o : c) {
          if (o instanceof Graph g && test.test(g)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private boolean usesCollective(String axisName) {
    Set<String> names = collectiveAxisNames();
    return axisName == null ? !names.isEmpty() : names.contains(axisName);
  }

  /** Abstract values of the inputs. */
  public List<AbstractValue> inputAvals() {
    return inputs.stream().map(Var::aval).toList();
  }

  /** Abstract values of the outputs. */
  public List<AbstractValue> outputAvals() {
    return outputs.stream().map(Var::aval).toList();
  }

  /** Evaluates the graph on {@code args} by binding every equation (so it composes). */
  public List<Tensor> evaluate(List<? extends Tensor> args) {
    if (args.size() != inputs.size()) {
      throw new IllegalArgumentException(
          "graph takes " + inputs.size() + " inputs, got " + args.size());
    }
    Map<Var, Tensor> env = new IdentityHashMap<>();
    for (int k = 0; k < inputs.size(); k++) {
      Tensor a = args.get(k);
      AbstractValue want = inputs.get(k).aval();
      if (!a.shape().equals(want.shape()) || a.dtype() != want.dtype()) {
        throw new IllegalArgumentException(
            "graph input " + k + " must be " + want + ", got " + a.dtype().shortName() + a.shape());
      }
      env.put(inputs.get(k), a);
    }
    for (int k = 0; k < constVars.size(); k++) {
      env.put(constVars.get(k), constValues.get(k));
    }
    // Run eagerly (no trace active, concrete arguments), the intermediates die with this call:
    // their buffers go back to the backend's pool at its end, not when the collector finds them,
    // so the next call of a jitted step reuses them (on a GPU: no device allocation per step).
    boolean releaseTemporaries = TraceStack.depth() == 0;
    for (Tensor a : args) {
      releaseTemporaries &= a instanceof ConcreteTensor;
    }
    List<Tensor> temporaries = releaseTemporaries ? new ArrayList<>() : null;
    for (Equation e : equations) {
      List<Tensor> in = new ArrayList<>(e.inputs().size());
      for (Var v : e.inputs()) {
        in.add(env.get(v));
      }
      List<Tensor> out = e.primitive().bind(in, e.params());
      for (int k = 0; k < out.size(); k++) {
        env.put(e.outputs().get(k), out.get(k));
      }
      if (temporaries != null) {
        temporaries.addAll(out);
      }
    }
    List<Tensor> result = new ArrayList<>(outputs.size());
    for (Var v : outputs) {
      result.add(env.get(v));
    }
    if (temporaries != null && !temporaries.isEmpty()) {
      releaseTemporaries(temporaries, args, result);
    }
    return result;
  }

  /**
   * Releases the concrete {@code temporaries} that are not (by identity) an argument, a constant or
   * a result: a primitive may hand back one of its inputs.
   */
  private void releaseTemporaries(
      List<Tensor> temporaries, List<? extends Tensor> args, List<Tensor> result) {
    Set<Tensor> keep = Collections.newSetFromMap(new IdentityHashMap<>());
    keep.addAll(args);
    keep.addAll(constValues);
    keep.addAll(result);
    for (Tensor t : temporaries) {
      if (t instanceof ConcreteTensor c && !keep.contains(t)) {
        c.rawBuffer().release();
      }
    }
  }

  @Override
  public String toString() {
    Map<Var, String> names = new HashMap<>();
    StringBuilder sb = new StringBuilder("{ lambda ");
    appendDecls(sb, constVars, names);
    sb.append("; ");
    appendDecls(sb, inputs, names);
    sb.append(". let");
    for (Equation e : equations) {
      sb.append("\n    ");
      for (int k = 0; k < e.outputs().size(); k++) {
        Var v = e.outputs().get(k);
        sb.append(k == 0 ? "" : " ").append(name(v, names)).append(':').append(v.aval());
      }
      sb.append(" = ").append(e.primitive().name());
      if (!e.params().asMap().isEmpty()) {
        // Sub-graphs in parameters (fusion clusters, control flow) print indented one level.
        sb.append('[').append(e.params().toString().replace("\n", "\n    ")).append(']');
      }
      for (Var v : e.inputs()) {
        sb.append(' ').append(name(v, names));
      }
    }
    sb.append("\n  in (");
    for (int k = 0; k < outputs.size(); k++) {
      sb.append(k == 0 ? "" : ", ").append(name(outputs.get(k), names));
    }
    return sb.append(") }").toString();
  }

  private static void appendDecls(StringBuilder sb, List<Var> vars, Map<Var, String> names) {
    for (int k = 0; k < vars.size(); k++) {
      Var v = vars.get(k);
      sb.append(k == 0 ? "" : " ").append(name(v, names)).append(':').append(v.aval());
    }
  }

  private static String name(Var v, Map<Var, String> names) {
    return names.computeIfAbsent(v, x -> varName(names.size()));
  }

  private static String varName(int n) {
    StringBuilder s = new StringBuilder();
    do {
      s.insert(0, (char) ('a' + n % 26));
      n = n / 26 - 1;
    } while (n >= 0);
    return s.toString();
  }
}
