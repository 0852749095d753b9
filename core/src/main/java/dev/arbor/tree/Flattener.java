package dev.arbor.tree;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** One flatten pass: visits nodes depth-first, collecting leaves and building the structure. */
final class Flattener {
  final Registry.Snapshot registry;
  final List<Object> leaves;
  private final Predicate<Object> isLeaf;

  Flattener(Registry.Snapshot registry, Predicate<Object> isLeaf) {
    this.registry = registry;
    this.leaves = new ArrayList<>();
    this.isLeaf = isLeaf;
  }

  /** Flattens {@code x} and returns its structure; its leaves are appended to {@link #leaves}. */
  TreeDefNode visit(Object x) {
    if (isLeaf != null && isLeaf.test(x)) {
      leaves.add(x);
      return TreeDefNode.LEAF;
    }
    if (x == null) {
      return BuiltinKinds.NULL_DEF;
    }
    NodeKind kind = registry.kindOf(x.getClass());
    if (kind == NodeKind.LEAF) {
      leaves.add(x);
      return TreeDefNode.LEAF;
    }
    return kind.flatten(x, this);
  }
}
