package dev.arbor.tree;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * The unmodifiable list unflatten builds: one array, no copy, {@code null} elements allowed
 * (partition holes), equality as any {@code List}.
 */
final class FrozenList extends AbstractList<Object> implements RandomAccess {
  private final Object[] elements;

  /** Wraps {@code elements}, which the caller must not modify afterwards. */
  FrozenList(Object[] elements) {
    this.elements = elements;
  }

  @Override
  public Object get(int index) {
    return elements[index];
  }

  @Override
  public int size() {
    return elements.length;
  }

  @Override
  public Object[] toArray() {
    return elements.clone();
  }
}
