package dev.arbor.transform.jit;

import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.StagingTrace;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * {@code jit}, {@code makeGraph} and {@code evalShape} on flat lists of tensors, and the graph
 * optimization pipeline. The pytree-level entry points are in {@code dev.arbor.Arbor}.
 *
 * <pre>{@code
 * JitFunction<Object> f = Jit.jit(xs -> List.of(Ops.tanh(xs.get(0)).mul(2.0)));
 * List<Tensor> y = f.call(List.of(x));   // traces, optimizes, compiles, caches
 * y = f.call(List.of(x2));               // same shape and dtype: runs the cached executable
 * }</pre>
 *
 * <p>Transformations of a jitted function transform its graph: called with tracers (under {@code
 * grad}, {@code vmap}, or while another {@code jit} is staging), a {@link JitFunction} evaluates
 * its optimized graph equation by equation, so the enclosing transformation sees the primitives.
 */
public final class Jit {
  private Jit() {}

  /** Jits {@code f} with the default configuration. */
  public static JitFunction<Object> jit(Function<List<Tensor>, List<Tensor>> f) {
    return jit("f", f);
  }

  /** Jits {@code f}; {@code name} appears in errors and trace descriptions. */
  public static JitFunction<Object> jit(String name, Function<List<Tensor>, List<Tensor>> f) {
    Objects.requireNonNull(f, "f");
    return jit(name, (args, statics) -> FlatResult.of(f.apply(args)), JitConfig.defaults());
  }

  /**
   * Jits a function with static arguments. A call is traced once per distinct (static key, argument
   * shapes and dtypes, backend) and the compiled executable cached.
   */
  public static <S> JitFunction<S> jit(String name, FlatFunction<S> f, JitConfig config) {
    return new JitFunction<>(name, f, config);
  }

  /** Stages {@code f} on inputs of the given abstract values (nothing is computed on them). */
  public static <S> Staged makeGraph(
      String name, FlatFunction<S> f, List<AbstractValue> inputs, S statics) {
    StagingTrace trace = new StagingTrace(name);
    try {
      List<Tensor> args = new ArrayList<>(inputs.size());
      for (AbstractValue a : inputs) {
        args.add(trace.newInput(a));
      }
      FlatResult r = f.apply(args, statics);
      if (r == null) {
        throw new IllegalArgumentException(name + ": the function returned null");
      }
      for (int k = 0; k < r.outputs().size(); k++) {
        if (r.outputs().get(k) == null) {
          throw new IllegalArgumentException(
              name + ": output " + k + " is null; return a tensor for every output");
        }
      }
      return new Staged(trace.toGraph(r.outputs()), r.structure());
    } finally {
      trace.end();
    }
  }

  /** The graph of {@code f} on inputs of the given abstract values, as staged (unoptimized). */
  public static Graph makeGraph(
      Function<List<Tensor>, List<Tensor>> f, List<AbstractValue> inputs) {
    return makeGraph("makeGraph", (args, s) -> FlatResult.of(f.apply(args)), inputs, null).graph();
  }

  /**
   * The shapes and dtypes {@code f} returns for inputs of the given abstract values, found by
   * staging it: nothing is computed, on the inputs or on closed-over constants (omnistaging).
   */
  public static List<AbstractValue> evalShape(
      Function<List<Tensor>, List<Tensor>> f, List<AbstractValue> inputs) {
    return makeGraph(f, inputs).outputAvals();
  }

  /** {@link #optimize(Graph, JitConfig)} with the default configuration. */
  public static Graph optimize(Graph g) {
    return optimize(g, JitConfig.defaults());
  }

  /**
   * The optimizations jit applies before compiling, except fusion: dead code, common
   * subexpressions, constant folding, then both again on what folding exposed. Evaluating the
   * result equals evaluating {@code g}.
   */
  public static Graph optimize(Graph g, JitConfig config) {
    Graph r = CommonSubexpressions.eliminate(DeadCode.eliminate(g));
    Graph folded = ConstantFolding.fold(r, config.constantFoldLimit());
    if (folded != r) {
      r = DeadCode.eliminate(CommonSubexpressions.eliminate(folded));
    }
    return r;
  }
}
