package com.example.arbor.softplus;

/**
 * A closed interval of values (tensors, usually). A plain class, not a record, so Arbor would treat
 * it as a leaf; {@link IntervalNodeType} makes it a node with two children.
 */
public final class Interval {
  private final Object lo;
  private final Object hi;

  /** The interval {@code [lo, hi]}. */
  public Interval(Object lo, Object hi) {
    this.lo = lo;
    this.hi = hi;
  }

  /** The lower end. */
  public Object lo() {
    return lo;
  }

  /** The upper end. */
  public Object hi() {
    return hi;
  }
}
