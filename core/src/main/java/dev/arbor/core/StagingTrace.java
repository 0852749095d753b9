package dev.arbor.core;

import dev.arbor.array.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records primitives into a {@link Graph} instead of running them (used by {@code makeGraph},
 * {@code jit}, and reverse mode, which stages tangent computations to transpose them). Values from
 * outside (concrete tensors or tracers of enclosing transformations) become constants of the graph.
 */
public final class StagingTrace extends Trace {
  private final List<Var> inputs = new ArrayList<>();
  private final List<Var> constVars = new ArrayList<>();
  private final List<Tensor> constValues = new ArrayList<>();
  private final Map<Tensor, GraphTracer> constants = new IdentityHashMap<>();
  private final List<Equation> equations = new ArrayList<>();

  private final boolean claimsCollectives;

  /**
   * Starts staging a closed graph ({@code jit}, {@code makeGraph}, control-flow bodies); call
   * {@link #end()} (in a finally block) when done. Collectives met while staging are staged even
   * when their operands are constants (see {@link #claims}), and so is every operation on constants
   * alone while this is the innermost closed graph being staged ({@link Trace#stagesConstants}).
   */
  public StagingTrace(String description) {
    this(description, true);
  }

  /**
   * @param claimsCollectives whether this stages a closed graph: collectives with constant operands
   *     are staged here rather than going to the vmap trace that names their axis, and operations
   *     on constants alone are staged here too. Reverse mode's tangent staging passes false: primal
   *     computations run while it is active and must stay primal.
   */
  public StagingTrace(String description, boolean claimsCollectives) {
    super(description);
    this.claimsCollectives = claimsCollectives;
  }

  /**
   * A closed graph must hold every collective called while it is staged: going straight to the vmap
   * trace that names the axis (as a collective of constants otherwise does) would capture that
   * trace's tracer as a constant of the graph, i.e. compute it outside the loop body or jitted
   * function it was written in. Staged, it reduces over the axis when the graph is batched. The
   * same holds for a higher-order primitive whose sub-graphs hold a collective.
   */
  @Override
  protected boolean claims(Primitive p, Params params) {
    if (!claimsCollectives) {
      return false;
    }
    return p.isCollective() || (p.axisBatchRule() != null && Graph.usesCollective(params, null));
  }

  @Override
  protected boolean stagesConstants() {
    return claimsCollectives;
  }

  /** A new graph input. */
  public Tensor newInput(AbstractValue aval) {
    Var v = new Var(aval);
    inputs.add(v);
    return new GraphTracer(this, v);
  }

  /** Builds the graph with the given outputs (tracers of this trace or outside values). */
  public Graph toGraph(List<? extends Tensor> outs) {
    List<Var> outVars = new ArrayList<>(outs.size());
    for (Tensor t : outs) {
      outVars.add(((GraphTracer) lift(t)).var);
    }
    return new Graph(inputs, constVars, constValues, equations, outVars);
  }

  /** Whether {@code t} is a tracer of this trace. */
  public boolean owns(Tensor t) {
    return t instanceof GraphTracer g && g.trace == this;
  }

  @Override
  protected Tensor pure(Tensor value) {
    GraphTracer existing = constants.get(value);
    if (existing != null) {
      return existing;
    }
    AbstractValue aval = value instanceof Tracer t ? t.aval() : ((ConcreteTensor) value).aval();
    Var v = new Var(aval);
    constVars.add(v);
    constValues.add(value);
    GraphTracer g = new GraphTracer(this, v);
    constants.put(value, g);
    return g;
  }

  @Override
  protected List<Tensor> process(Primitive p, List<Tensor> args, Params params) {
    List<Var> in = new ArrayList<>(args.size());
    List<AbstractValue> avals = new ArrayList<>(args.size());
    for (Tensor a : args) {
      Var v = ((GraphTracer) a).var;
      in.add(v);
      avals.add(v.aval());
    }
    List<AbstractValue> outAvals = p.abstractEval(avals, params);
    List<Var> outVars = new ArrayList<>(outAvals.size());
    List<Tensor> result = new ArrayList<>(outAvals.size());
    for (AbstractValue av : outAvals) {
      Var v = new Var(av);
      outVars.add(v);
      result.add(new GraphTracer(this, v));
    }
    equations.add(new Equation(p, in, params, outVars));
    return result;
  }

  static final class GraphTracer extends Tracer {
    final StagingTrace trace;
    final Var var;

    GraphTracer(StagingTrace trace, Var var) {
      this.trace = trace;
      this.var = var;
    }

    @Override
    public Trace trace() {
      return trace;
    }

    @Override
    public AbstractValue aval() {
      return var.aval();
    }
  }
}
