package dev.arbor.core;

import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One primitive operation with everything every transformation needs to know about it: its abstract
 * evaluation (shape/dtype rule, which also validates the inputs), its JVP rule, its transpose rule
 * (linear primitives only), its batching rule, and its reference kernel. Backends register faster
 * kernels keyed by the primitive.
 *
 * <p>Every op in Arbor ends in {@link #bind}; nothing else dispatches on the kind of
 * transformation. A primitive is declared once, with its rules beside it (see {@code
 * dev.arbor.core.primitives}). A missing rule is a named error, never a null pointer.
 *
 * <p>Thread-safety: rules are set while the primitive is declared (class initialization, or a
 * plugin's registration) and read afterwards; they are held in volatile fields.
 */
public final class Primitive {
  /** Computes output abstract values, and rejects bad inputs with a teaching message. */
  @FunctionalInterface
  public interface ShapeRule {
    List<AbstractValue> apply(List<AbstractValue> inputs, Params params);
  }

  /**
   * The JVP rule: given primal inputs and their tangents ({@code null} is a symbolic zero), returns
   * the primal outputs and their tangents ({@code null} for zero). Tangent computations must be
   * linear in the tangents: reverse mode transposes them.
   */
  @FunctionalInterface
  public interface JvpRule {
    JvpResult apply(List<Tensor> primals, List<Tensor> tangents, Params params);
  }

  /** Primal outputs and their tangents ({@code null} = zero). */
  public record JvpResult(List<Tensor> primals, List<Tensor> tangents) {
    /** Single-output convenience. */
    public static JvpResult of(Tensor primal, Tensor tangent) {
      List<Tensor> t = new ArrayList<>(1);
      t.add(tangent);
      return new JvpResult(List.of(primal), t);
    }
  }

  /**
   * The transpose rule of a linear primitive. {@code args} holds, per input, either the known value
   * (a {@link Tensor}) or a {@link Linear} marker for the inputs the equation is linear in; {@code
   * cotangents} holds one cotangent per output ({@code null} = zero). Returns one cotangent per
   * input (null for non-linear inputs or zero).
   */
  @FunctionalInterface
  public interface TransposeRule {
    List<Tensor> apply(List<Tensor> cotangents, List<Object> args, Params params);
  }

  /** Marks an input that a linear equation is linear in; carries its abstract value. */
  public record Linear(AbstractValue aval) {}

  /**
   * The batching rule: {@code dims[i]} is the batch axis of input {@code i} or {@link #NOT_MAPPED}.
   * Returns the outputs and their batch axes.
   */
  @FunctionalInterface
  public interface BatchRule {
    Batched apply(List<Tensor> args, int[] dims, Params params);
  }

  /** The vmapped axis a batching rule runs under: its name (null when unnamed) and its size. */
  public record BatchAxis(String name, int size) {}

  /**
   * The batching rule of a higher-order primitive, which also gets the axis being vmapped: it
   * re-runs its sub-graphs under a batch trace of the same name and size, so that collectives
   * inside them ({@code psum(x, name)} in a scan body) reduce over that axis. It is also called
   * when no input is batched but a sub-graph uses a collective over the axis (all {@code dims} then
   * {@link #NOT_MAPPED}).
   */
  @FunctionalInterface
  public interface AxisBatchRule {
    Batched apply(List<Tensor> args, int[] dims, Params params, BatchAxis axis);
  }

  /**
   * What a primitive does to elements, for graph passes (fusion clustering) and backends that
   * generate code per cluster. Declared by the builders beside each primitive; {@link #OTHER}
   * unless said otherwise.
   */
  public enum Kind {
    /** Output element {@code i} depends only on element {@code i} of each operand (same shape). */
    ELEMENTWISE,
    /** {@code broadcast_in_dim}-like: replicates operand elements into a larger shape. */
    BROADCAST,
    /** Reduces one operand over a set of axes, which are dropped from the shape. */
    REDUCTION,
    /** Anything else (contractions, reshapes, control flow, …): never fused. */
    OTHER
  }

  /** Batch axis value meaning "this value has no batch axis". */
  public static final int NOT_MAPPED = -1;

  /** Outputs of a batching rule with their batch axes. */
  public record Batched(List<Tensor> outputs, int[] dims) {
    /** Single-output convenience. */
    public static Batched of(Tensor out, int dim) {
      return new Batched(List.of(out), new int[] {dim});
    }
  }

  /**
   * How a collective (a primitive with an {@code axis_name} parameter, such as {@code psum})
   * batches when its axis name is the one being vmapped: it reduces or gathers over the batch axis
   * of size {@code axisSize}.
   */
  @FunctionalInterface
  public interface CollectiveRule {
    Batched apply(List<Tensor> args, int[] dims, Params params, int axisSize);
  }

  /** The pure-Java reference kernel: host arrays in, host arrays out. */
  @FunctionalInterface
  public interface ReferenceKernel {
    List<HostArray> apply(List<HostArray> inputs, Params params, List<AbstractValue> outputs);
  }

  /**
   * How a higher-order primitive (one that carries sub-graphs or functions, such as {@code cond} or
   * {@code scan}) runs on concrete tensors: by binding the primitives of its sub-graphs, so that it
   * needs no kernel of its own. The eval trace uses it when the backend has no kernel for the
   * primitive; {@code args} are concrete.
   */
  @FunctionalInterface
  public interface EvalRule {
    List<Tensor> apply(List<Tensor> args, Params params);
  }

  private final String name;
  private final boolean multipleResults;
  private final Class<?> declaredBy;
  private volatile ShapeRule shapeRule;
  private volatile JvpRule jvpRule;
  private volatile TransposeRule transposeRule;
  private volatile BatchRule batchRule;
  private volatile AxisBatchRule axisBatchRule;
  private volatile ReferenceKernel referenceKernel;
  private volatile CollectiveRule collectiveRule;
  private volatile EvalRule evalRule;
  private volatile Kind kind = Kind.OTHER;

  private static final StackWalker WALKER =
      StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

  private Primitive(String name, boolean multipleResults) {
    this.name = Objects.requireNonNull(name);
    this.multipleResults = multipleResults;
    // The first class outside Primitive/Primitives declared it: core's own, or a plugin's class.
    this.declaredBy =
        WALKER.walk(
            frames ->
                frames
                    .map(StackWalker.StackFrame::getDeclaringClass)
                    .filter(c -> c != Primitive.class && c != Primitives.class)
                    .findFirst()
                    .orElse(Primitive.class));
  }

  /**
   * A new single-result primitive, listed in {@link Primitives} (a second primitive with the same
   * name is reported there and not listed).
   */
  public static Primitive single(String name) {
    return Primitives.register(new Primitive(name, false));
  }

  /** A new primitive with several results, listed in {@link Primitives}. */
  public static Primitive multi(String name) {
    return Primitives.register(new Primitive(name, true));
  }

  /** The primitive's name as printed in graphs ({@code tanh}, {@code dot_general}). */
  public String name() {
    return name;
  }

  /** The class whose code declared this primitive (core's, or a plugin's). */
  public Class<?> declaredBy() {
    return declaredBy;
  }

  /** Where this primitive was declared: the jar (or directory) of {@link #declaredBy()}. */
  public String origin() {
    return dev.arbor.internal.PluginJars.origin(declaredBy);
  }

  /** Whether {@link #bind} returns several results. */
  public boolean multipleResults() {
    return multipleResults;
  }

  public Primitive shapeRule(ShapeRule r) {
    this.shapeRule = r;
    return this;
  }

  public Primitive jvp(JvpRule r) {
    this.jvpRule = r;
    return this;
  }

  public Primitive transpose(TransposeRule r) {
    this.transposeRule = r;
    return this;
  }

  public Primitive batch(BatchRule r) {
    this.batchRule = r;
    return this;
  }

  /** Sets the batching rule of a higher-order primitive (see {@link AxisBatchRule}). */
  public Primitive batchWithAxis(AxisBatchRule r) {
    this.axisBatchRule = r;
    return this;
  }

  /** The axis-aware batching rule, or null when the primitive has a plain one. */
  public AxisBatchRule axisBatchRule() {
    return axisBatchRule;
  }

  /** Makes this primitive a collective over its {@code axis_name} parameter. */
  public Primitive collective(CollectiveRule r) {
    this.collectiveRule = r;
    return this;
  }

  /** Declares what this primitive does to elements (default {@link Kind#OTHER}). */
  public Primitive kind(Kind k) {
    this.kind = Objects.requireNonNull(k);
    return this;
  }

  /** What this primitive does to elements; graph passes fuse by it. */
  public Kind kind() {
    return kind;
  }

  /** Whether this is a collective over a named axis. */
  public boolean isCollective() {
    return collectiveRule != null;
  }

  public CollectiveRule collectiveRule() {
    return collectiveRule;
  }

  /** Sets the eager implementation of a higher-order primitive (see {@link EvalRule}). */
  public Primitive eval(EvalRule r) {
    this.evalRule = r;
    return this;
  }

  /** Whether this primitive runs eagerly through an {@link EvalRule} instead of a kernel. */
  public boolean hasEvalRule() {
    return evalRule != null;
  }

  /** The eager implementation of a higher-order primitive. */
  public EvalRule evalRule() {
    EvalRule r = evalRule;
    if (r == null) {
      throw new UnsupportedOperationException("'" + name + "' has no eval rule");
    }
    return r;
  }

  public Primitive reference(ReferenceKernel k) {
    this.referenceKernel = k;
    return this;
  }

  /** Whether each rule is present: shape, jvp, transpose, batch, reference. */
  public boolean hasShapeRule() {
    return shapeRule != null;
  }

  public boolean hasJvp() {
    return jvpRule != null;
  }

  public boolean hasTranspose() {
    return transposeRule != null;
  }

  public boolean hasBatch() {
    return batchRule != null || axisBatchRule != null;
  }

  public boolean hasReference() {
    return referenceKernel != null;
  }

  /** Runs the shape rule (validating inputs). */
  public List<AbstractValue> abstractEval(List<AbstractValue> inputs, Params params) {
    ShapeRule r = shapeRule;
    if (r == null) {
      throw new IllegalStateException("primitive '" + name + "' has no shape rule");
    }
    return r.apply(inputs, params);
  }

  public JvpRule jvpRule() {
    JvpRule r = jvpRule;
    if (r == null) {
      throw new UnsupportedOperationException(
          "no JVP rule for '"
              + name
              + "': it cannot be differentiated (jvp, grad, jacfwd, jacrev)."
              + " Wrap the code in Ops.stopGradient if no derivative is needed, or give the"
              + " enclosing function a customJvp/customVjp.");
    }
    return r;
  }

  public TransposeRule transposeRule() {
    TransposeRule r = transposeRule;
    if (r == null) {
      throw new UnsupportedOperationException(
          "no transpose rule for '"
              + name
              + "': reverse mode (grad, vjp) met it applied to a tangent, so either it is not"
              + " linear or a JVP rule used it non-linearly");
    }
    return r;
  }

  public BatchRule batchRule() {
    BatchRule r = batchRule;
    if (r == null) {
      throw new UnsupportedOperationException(
          "no batching rule for '" + name + "': it cannot be used under vmap yet");
    }
    return r;
  }

  public ReferenceKernel referenceKernel() {
    ReferenceKernel k = referenceKernel;
    if (k == null) {
      throw new UnsupportedOperationException("no reference kernel for '" + name + "'");
    }
    return k;
  }

  /**
   * Applies the primitive: finds the innermost active trace among the inputs and lets it process
   * the primitive. Inputs with no tracer among them are staged into the innermost closed graph
   * being staged ({@code jit}, {@code makeGraph}, a control-flow body), as JAX's omnistaging does,
   * or, outside any, run on a backend.
   */
  public List<Tensor> bind(List<? extends Tensor> args, Params params) {
    Trace top = null;
    for (Tensor a : args) {
      if (a instanceof Tracer t) {
        Trace tr = t.trace();
        tr.checkAlive(this);
        if (top == null || tr.level() > top.level()) {
          top = tr;
        }
      } else if (a == null) {
        throw new NullPointerException("null input to '" + name + "'");
      }
    }
    if (collectiveRule != null || axisBatchRule != null) {
      // A collective belongs to the trace that names its axis even when no input is that trace's
      // tracer (a constant inside vmap, a cotangent in a backward pass); so does a higher-order
      // primitive whose sub-graphs hold such a collective (a scan over constants calling psum).
      Trace owner = TraceStack.claiming(this, params);
      if (owner != null && (top == null || owner.level() > top.level())) {
        top = owner;
      }
    }
    if (top == null) {
      // Omnistaging: constants alone go to the innermost closed graph being staged, if any.
      top = TraceStack.staging();
    }
    if (top == null) {
      top = EvalTrace.INSTANCE;
    }
    List<Tensor> lifted = new ArrayList<>(args.size());
    for (Tensor a : args) {
      lifted.add(top.lift(a));
    }
    return top.process(this, lifted, params);
  }

  /** Applies a single-result primitive. */
  public Tensor bind1(Params params, Tensor... args) {
    return bind(List.of(args), params).get(0);
  }

  /** Applies a single-result primitive without parameters. */
  public Tensor bind1(Tensor... args) {
    return bind(List.of(args), Params.EMPTY).get(0);
  }

  @Override
  public String toString() {
    return name;
  }
}
