package dev.arbor.core;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;

/**
 * A stand-in for a tensor inside a transformation. It knows its abstract value; asking it for
 * concrete data fails with an error that explains why and what to use instead.
 */
public abstract class Tracer implements Tensor {
  /** For subclasses (one per trace kind). */
  protected Tracer() {}

  /** The trace this tracer belongs to. */
  public abstract Trace trace();

  /** The shape and dtype this tracer stands for. */
  public abstract AbstractValue aval();

  @Override
  public final Shape shape() {
    return aval().shape();
  }

  @Override
  public final DType dtype() {
    return aval().dtype();
  }

  /** Concrete data is not available while tracing; this explains why. */
  protected IllegalStateException concretization(String what) {
    return new IllegalStateException(
        what
            + " needs a concrete value, but this tensor is a tracer of "
            + trace().description()
            + " ("
            + aval()
            + "). Inside a transformation, branch with Ops.where or the structured control flow"
            + " (Control.cond, whileLoop, fori, scan) instead of Java control flow on values."
            + (trace().stagesConstants()
                ? " While a jit (or makeGraph, or a control-flow body) is traced, work on"
                    + " constants alone is staged too: compute a value you need now outside the"
                    + " function, or inside try (var now = Trace.evalContext()) { ... }."
                : ""));
  }

  @Override
  public float[] toFloatArray() {
    throw concretization("toFloatArray()");
  }

  @Override
  public double[] toDoubleArray() {
    throw concretization("toDoubleArray()");
  }

  @Override
  public long[] toLongArray() {
    throw concretization("toLongArray()");
  }

  @Override
  public Tensor blockUntilReady() {
    return this;
  }

  @Override
  public String toString() {
    return "Tracer<" + aval() + ", " + trace().description() + ">";
  }
}
