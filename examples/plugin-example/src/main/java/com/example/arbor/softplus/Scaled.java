package com.example.arbor.softplus;

import dev.arbor.tree.PytreeNode;
import dev.arbor.tree.Static;

/**
 * A value with a fixed scale: {@code value} is a child (a leaf when it is a tensor), {@code scale}
 * is aux data (a {@code double}, and {@link Static} besides). Found by scanning because the jar's
 * manifest says {@code Arbor-Plugin: true}; listed by {@code Arbor.describe()}.
 */
@PytreeNode
public final class Scaled {
  private final Object value;
  @Static private final double scale;

  @SuppressWarnings("unused") // Arbor rebuilds through it
  private Scaled() {
    this(null, 1);
  }

  /** {@code value} scaled by {@code scale}. */
  public Scaled(Object value, double scale) {
    this.value = value;
    this.scale = scale;
  }

  /** The value. */
  public Object value() {
    return value;
  }

  /** The scale. */
  public double scale() {
    return scale;
  }
}
