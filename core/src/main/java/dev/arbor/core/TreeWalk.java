package dev.arbor.core;

import dev.arbor.tree.Trees;
import java.util.function.Consumer;

/** Visits the leaves of a pytree (bridges core to {@code dev.arbor.tree}). */
final class TreeWalk {
  private TreeWalk() {}

  /**
   * Calls {@code f} on every leaf of {@code tree} as {@link Trees#leaves} defines them: records,
   * modules, keys, lists, maps and registered node types are walked into.
   */
  static void forEachLeaf(Object tree, Consumer<Object> f) {
    Trees.leaves(tree).forEach(f);
  }
}
