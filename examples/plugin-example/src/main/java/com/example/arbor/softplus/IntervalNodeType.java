package com.example.arbor.softplus;

import dev.arbor.tree.KeyPath;
import dev.arbor.tree.spi.NodeType;
import java.util.List;

/**
 * Makes {@link Interval} a pytree node with children {@code lo} and {@code hi}. Contributed through
 * ServiceLoader: {@code META-INF/services/dev.arbor.tree.spi.NodeType} on the class path, {@code
 * provides} in {@code module-info.java} on the module path.
 */
public final class IntervalNodeType implements NodeType<Interval> {
  /** Public for ServiceLoader. */
  public IntervalNodeType() {}

  @Override
  public Class<Interval> type() {
    return Interval.class;
  }

  @Override
  public Children flatten(Interval node) {
    return new Children(List.of(node.lo(), node.hi()), null);
  }

  @Override
  public Interval unflatten(Object aux, List<?> children) {
    return new Interval(children.get(0), children.get(1));
  }

  @Override
  public List<KeyPath> keys(Interval node) {
    return List.of(KeyPath.root().field("lo"), KeyPath.root().field("hi"));
  }
}
