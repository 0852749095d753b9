package dev.arbor.guava;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import dev.arbor.tree.KeyPath;
import dev.arbor.tree.spi.NodeType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@code ImmutableSortedMap} as a pytree node: the values are the children in key order; the keys
 * and the comparator are the aux data (comparators compare with {@code equals}: Guava's natural
 * ordering is a singleton; a lambda comparator makes structures equal only with itself).
 *
 * <p>A rebuild with {@code null} holes is an unmodifiable {@code TreeMap} with the same comparator.
 */
public final class ImmutableSortedMapNodeType implements NodeType<SortedMap<?, ?>> {
  /** Creates the node type (ServiceLoader calls this). */
  public ImmutableSortedMapNodeType() {}

  /**
   * The aux data: keys in order and the comparator.
   *
   * @param keys the keys, in the map's order
   * @param comparator the map's comparator
   */
  record SortedKeys(ImmutableList<Object> keys, Comparator<Object> comparator) {
    @Override
    public String toString() {
      return keys.toString();
    }
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Class<SortedMap<?, ?>> type() {
    return (Class) ImmutableSortedMap.class;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Children flatten(SortedMap<?, ?> node) {
    return new Children(
        ImmutableList.copyOf(node.values()),
        new SortedKeys(
            ImmutableList.copyOf(node.keySet()), (Comparator<Object>) node.comparator()));
  }

  @Override
  public SortedMap<?, ?> unflatten(Object aux, List<?> children) {
    SortedKeys sorted = (SortedKeys) aux;
    if (children.contains(null)) {
      TreeMap<Object, Object> out = new TreeMap<>(sorted.comparator());
      for (int i = 0; i < sorted.keys().size(); i++) {
        out.put(sorted.keys().get(i), children.get(i));
      }
      return Collections.unmodifiableSortedMap(out);
    }
    ImmutableSortedMap.Builder<Object, Object> out =
        new ImmutableSortedMap.Builder<>(sorted.comparator());
    for (int i = 0; i < sorted.keys().size(); i++) {
      out.put(sorted.keys().get(i), children.get(i));
    }
    return out.buildOrThrow();
  }

  @Override
  public List<KeyPath> keys(SortedMap<?, ?> node) {
    List<KeyPath> keys = new ArrayList<>(node.size());
    for (Map.Entry<?, ?> e : node.entrySet()) {
      keys.add(KeyPath.root().key(e.getKey()));
    }
    return keys;
  }
}
