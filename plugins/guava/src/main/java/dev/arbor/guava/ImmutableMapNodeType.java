package dev.arbor.guava;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.arbor.tree.KeyPath;
import dev.arbor.tree.spi.NodeType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ImmutableMap} (and its subclasses, except {@code ImmutableSortedMap} which has its own) as
 * a pytree node: the values are the children in the map's iteration (insertion) order; the list of
 * keys is the aux data, so the key order is part of the structure. Children are named {@code
 * ['key']}.
 *
 * <p>A rebuild with {@code null} holes is an unmodifiable insertion-ordered {@code java.util} map.
 */
public final class ImmutableMapNodeType implements NodeType<Map<?, ?>> {
  /** Creates the node type (ServiceLoader calls this). */
  public ImmutableMapNodeType() {}

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Class<Map<?, ?>> type() {
    return (Class) ImmutableMap.class;
  }

  @Override
  public Children flatten(Map<?, ?> node) {
    return new Children(ImmutableList.copyOf(node.values()), ImmutableList.copyOf(node.keySet()));
  }

  @Override
  public Map<?, ?> unflatten(Object aux, List<?> children) {
    List<?> keys = (List<?>) aux;
    if (children.contains(null)) {
      Map<Object, Object> out = LinkedHashMap.newLinkedHashMap(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        out.put(keys.get(i), children.get(i));
      }
      return Collections.unmodifiableMap(out);
    }
    ImmutableMap.Builder<Object, Object> out = ImmutableMap.builderWithExpectedSize(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      out.put(keys.get(i), children.get(i));
    }
    return out.buildOrThrow();
  }

  @Override
  public List<KeyPath> keys(Map<?, ?> node) {
    List<KeyPath> keys = new ArrayList<>(node.size());
    for (Object k : node.keySet()) {
      keys.add(KeyPath.root().key(k));
    }
    return keys;
  }
}
