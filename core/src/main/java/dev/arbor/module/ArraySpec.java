package dev.arbor.module;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.tree.Leaf;

/**
 * The shape and dtype of an array without its values: what {@code State.spec} and {@code
 * Arbor.evalShape} return, and what they accept in place of example inputs. A pytree leaf.
 *
 * @param shape the shape
 * @param dtype the element type
 */
@Leaf
public record ArraySpec(Shape shape, DType dtype) {
  /** Shorthand: {@code ArraySpec.of(DType.F32, 3, 4)}. */
  public static ArraySpec of(DType dtype, int... dims) {
    return new ArraySpec(Shape.of(dims), dtype);
  }

  @Override
  public String toString() {
    return dtype.shortName() + shape;
  }
}
