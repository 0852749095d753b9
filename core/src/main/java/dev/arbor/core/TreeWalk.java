package dev.arbor.core;

import java.util.function.Consumer;

/** Visits the leaves of a pytree (bridges core to {@code dev.arbor.tree}). */
final class TreeWalk {
  private TreeWalk() {}

  static void forEachLeaf(Object tree, Consumer<Object> f) {
    if (tree instanceof Iterable<?> it) {
      it.forEach(x -> forEachLeaf(x, f));
    } else if (tree instanceof java.util.Map<?, ?> m) {
      m.values().forEach(x -> forEachLeaf(x, f));
    } else if (tree instanceof Object[] a) {
      for (Object x : a) {
        forEachLeaf(x, f);
      }
    } else {
      f.accept(tree);
    }
  }
}
