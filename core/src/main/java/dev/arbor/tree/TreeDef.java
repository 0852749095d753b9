package dev.arbor.tree;

import java.util.List;

/**
 * The structure of a pytree: every node's kind and aux data, with holes where the leaves go.
 *
 * <p>An immutable value: two structures are {@code equals} (with equal {@code hashCode}) when they
 * have the same node kinds, the same aux data (compared with {@code equals}) and the same shape.
 * The concrete collection class does not matter ({@code ArrayList} and {@code List.of} flatten
 * alike), the record or class does. This makes a {@code TreeDef} usable as a cache key (the jit
 * cache uses it). Thread-safe.
 *
 * <p>{@code toString()} renders the structure with {@code *} for leaves, e.g. {@code Record
 * Dense{w: *, b: *}} or {@code Map{'bias': *, 'w': *}}.
 */
public sealed interface TreeDef permits TreeDefNode {

  /** The number of leaves this structure holds. */
  int numLeaves();

  /**
   * Builds a tree of this structure from {@code leaves}, in flatten order.
   *
   * @throws IllegalArgumentException if {@code leaves} does not hold exactly {@link #numLeaves()}
   *     elements, or a node (e.g. a record constructor) rejects its new children; the message names
   *     the key path
   */
  <T> T unflatten(List<?> leaves);
}
