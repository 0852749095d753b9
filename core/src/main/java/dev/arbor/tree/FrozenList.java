package dev.arbor.tree;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * The unmodifiable list unflatten builds: one array, no copy, {@code null} elements allowed
 * (partition holes), equality as any {@code List}.
 */
final class FrozenList extends AbstractList<Object> implements RandomAccess {
  private final Object[] elements;
  private final int size;

  /** Wraps {@code elements}, which the caller must not modify afterwards. */
  FrozenList(Object[] elements) {
    this(elements, elements.length);
  }

  /** Wraps the first {@code size} of {@code elements}, which the caller must not modify. */
  FrozenList(Object[] elements, int size) {
    this.elements = elements;
    this.size = size;
  }

  @Override
  public Object get(int index) {
    java.util.Objects.checkIndex(index, size);
    return elements[index];
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public Object[] toArray() {
    return java.util.Arrays.copyOf(elements, size);
  }

  /**
   * The elements without copying when the array is exactly full (callers must not modify it), else
   * a copy.
   */
  Object[] array() {
    return size == elements.length ? elements : toArray();
  }
}
