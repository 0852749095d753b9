package dev.arbor.core;

import dev.arbor.array.Tensor;
import java.util.List;

/**
 * One active transformation (an interpreter). Traces nest: each gets a level one above the
 * innermost active one on its thread, and {@link Primitive#bind} hands a primitive to the
 * highest-level trace among its inputs. A trace ends when its transformation returns; a tracer of
 * an ended trace is a leak and fails with an error naming the transformation that created it.
 */
public abstract class Trace {
  private final int level;
  private final String description;
  private volatile boolean alive = true;

  /**
   * @param description what created this trace, for error messages ("grad of f at Foo.java:12")
   */
  @SuppressWarnings("this-escape") // the thread's trace stack must hold the trace being built
  protected Trace(String description) {
    this.level = TraceStack.push(this);
    this.description = description;
  }

  /** Level 0 constructor for the eval trace, which is never on the stack. */
  Trace(String description, boolean eval) {
    this.level = 0;
    this.description = description;
  }

  /** The nesting level (eval is 0). */
  public final int level() {
    return level;
  }

  /** What created this trace. */
  public final String description() {
    return description;
  }

  /** Ends this trace: pops it from the thread's stack; its tracers become leaked if used. */
  public void end() {
    if (alive) {
      alive = false;
      TraceStack.pop(this);
    }
  }

  /** Whether the transformation that owns this trace is still running. */
  public final boolean isAlive() {
    return alive;
  }

  final void checkAlive(Primitive p) {
    if (!alive) {
      throw new IllegalStateException(
          "a tracer of "
              + description
              + " was used by '"
              + p.name()
              + "' after that transformation returned: it leaked (stored in a field, a static,"
              + " or a non-pytree object). Return values from the transformed function instead.");
    }
  }

  /**
   * Whether this trace must process {@code p} even when none of its inputs is this trace's tracer:
   * true for a vmap's trace and a collective over its axis name.
   */
  protected boolean claims(Primitive p, Params params) {
    return false;
  }

  /**
   * Whether this trace stages operations whose inputs are all constants (concrete tensors or
   * tracers of lower levels) when it is the innermost such trace ("omnistaging", as in JAX): true
   * for the closed graphs of {@code jit}, {@code makeGraph} and control-flow bodies, so that {@code
   * x.mul(0.5)} under {@code jit} stages the broadcast of 0.5 instead of computing a domain-sized
   * constant while tracing. See {@link TraceStack#staging()}.
   */
  protected boolean stagesConstants() {
    return false;
  }

  /** An {@link #evalContext()}; closing it ends it. */
  public interface EvalContext extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Until the returned context is closed, operations on constants alone run at once on a backend
   * even while a {@code jit} (or another closed graph) is being staged; transformations started
   * inside stage as usual. For work that must be concrete while an outer transformation traces,
   * such as constant folding during a nested {@code jit}'s compile. Use in try-with-resources on
   * the thread that opened it.
   */
  public static EvalContext evalContext() {
    return TraceStack.evalContext();
  }

  /** Brings a value of a lower level (a concrete tensor or an outer tracer) into this trace. */
  protected abstract Tensor pure(Tensor value);

  /** Processes one primitive whose inputs are all this trace's tracers (after lifting). */
  protected abstract List<Tensor> process(Primitive p, List<Tensor> args, Params params);

  final Tensor lift(Tensor x) {
    if (x instanceof Tracer t && t.trace() == this) {
      return x;
    }
    return pure(x);
  }

  @Override
  public String toString() {
    return description + "@" + level;
  }
}
