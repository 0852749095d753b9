package dev.arbor.core;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;

/**
 * What tracing knows about a tensor: its shape and dtype (JAX's {@code ShapedArray}).
 *
 * @param shape the shape, never null
 * @param dtype the element type, never null
 */
public record AbstractValue(Shape shape, DType dtype) {
  /** Builds from dims. */
  public static AbstractValue of(DType dtype, int... dims) {
    return new AbstractValue(Shape.of(dims), dtype);
  }

  /** Rank of the shape. */
  public int rank() {
    return shape.rank();
  }

  /** Renders like {@code f32[3,4]}. */
  @Override
  public String toString() {
    return dtype.shortName() + shape;
  }
}
