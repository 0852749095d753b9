package dev.arbor.tree;

import dev.arbor.tree.spi.NodeType;
import java.util.Arrays;
import java.util.List;

/** A built-in or reflective node kind seen through the {@link NodeType} interface. */
final class KindNodeType<T> implements NodeType<T> {
  private final Class<T> type;
  private final NodeKind kind;

  KindNodeType(Class<T> type, NodeKind kind) {
    this.type = type;
    this.kind = kind;
  }

  @Override
  public Class<T> type() {
    return type;
  }

  @Override
  public Children flatten(T node) {
    NodeKind.Split s = kind.split(node);
    return new Children(Arrays.asList(s.children()), s.aux());
  }

  @Override
  @SuppressWarnings("unchecked")
  public T unflatten(Object aux, List<?> children) {
    return (T) kind.rebuild(aux, children.toArray());
  }

  @Override
  public List<KeyPath> keys(T node) {
    return kind.keys(node, kind.split(node));
  }

  @Override
  public String toString() {
    return "built-in node type for " + type.getName();
  }
}
