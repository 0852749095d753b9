package dev.arbor.tree;

import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/** One flatten pass: visits nodes depth-first, collecting leaves and building the structure. */
final class Flattener {
  /**
   * The leaf count of the latest flatten on any thread, to size the next buffer (a racy hint: any
   * value is correct, a close one avoids regrowing).
   */
  private static int sizeHint = 16;

  final Registry.Snapshot registry;
  private Object[] leaves;
  private int count;

  /** The previous map node's keys: sibling maps usually share them (and so their aux data). */
  BuiltinKinds.MapKeys lastMapKeys;

  /** The previous unordered map's (sorted) keys: a prediction for the next unordered map. */
  BuiltinKinds.MapKeys lastSortedMapKeys;

  private final Predicate<Object> isLeaf;
  // One-entry caches in front of the registry's ClassValue: trees are mostly a few classes, and
  // leaves (tensors) are usually of one class.
  private Class<?> leafClass;
  private Class<?> nodeClass;
  private NodeKind nodeKind;

  Flattener(Registry.Snapshot registry, Predicate<Object> isLeaf) {
    this.registry = registry;
    this.leaves = new Object[Math.max(16, sizeHint)];
    this.isLeaf = isLeaf;
  }

  private void add(Object leaf) {
    if (count == leaves.length) {
      leaves = Arrays.copyOf(leaves, count * 2);
    }
    leaves[count++] = leaf;
  }

  /** The leaves collected so far, as an unmodifiable list (no copy). */
  List<Object> leaves() {
    sizeHint = count;
    return new FrozenList(leaves, count);
  }

  /** Flattens {@code x} and returns its structure; its leaves are appended to {@link #leaves}. */
  TreeDefNode visit(Object x) {
    if (isLeaf != null && isLeaf.test(x)) {
      add(x);
      return TreeDefNode.LEAF;
    }
    if (x == null) {
      return BuiltinKinds.NULL_DEF;
    }
    Class<?> c = x.getClass();
    if (c == leafClass) {
      add(x);
      return TreeDefNode.LEAF;
    }
    NodeKind kind;
    if (c == nodeClass) {
      kind = nodeKind;
    } else {
      kind = registry.kindOf(c);
      if (kind == NodeKind.LEAF) {
        leafClass = c;
        add(x);
        return TreeDefNode.LEAF;
      }
      nodeClass = c;
      nodeKind = kind;
    }
    return kind.flatten(x, this);
  }
}
