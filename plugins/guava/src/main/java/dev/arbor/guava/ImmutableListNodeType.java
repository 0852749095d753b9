package dev.arbor.guava;

import com.google.common.collect.ImmutableList;
import dev.arbor.tree.spi.NodeType;
import java.util.Collections;
import java.util.List;

/**
 * {@code ImmutableList} (and its subclasses) as a pytree node: the elements are the children, in
 * order; there is no aux data, so an {@code ImmutableList} and a {@code List.of} of the same length
 * have different structures only by node type.
 *
 * <p>Typed over {@code List} because a rebuild with {@code null} holes (from {@code
 * Trees.partition}) cannot be an {@code ImmutableList}: it is an unmodifiable {@code java.util}
 * list instead.
 */
public final class ImmutableListNodeType implements NodeType<List<?>> {
  /** Creates the node type (ServiceLoader calls this). */
  public ImmutableListNodeType() {}

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Class<List<?>> type() {
    return (Class) ImmutableList.class;
  }

  @Override
  public Children flatten(List<?> node) {
    return new Children(node, null);
  }

  @Override
  public List<?> unflatten(Object aux, List<?> children) {
    return children.contains(null)
        ? Collections.unmodifiableList(children)
        : ImmutableList.copyOf(children);
  }
}
