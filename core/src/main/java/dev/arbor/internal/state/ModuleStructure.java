package dev.arbor.internal.state;

import dev.arbor.tree.KeyPath;
import dev.arbor.tree.Trees;
import dev.arbor.tree.spi.NodeType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A record or class module seen as a pytree node ({@link Trees}): its variables are the node's
 * children, named by their key paths, and it is rebuilt through the node's {@link NodeType}. So the
 * child/aux rule is exactly the pytree one ({@code @Static}, transient, registered node types
 * included), and a module is rebuilt the same way by {@code update} and by {@code Trees.map}.
 */
final class ModuleStructure {
  private ModuleStructure() {}

  /** The children of {@code module} by name, in flatten order; unmodifiable. */
  static Map<String, Object> variables(Object module) {
    NodeType<Object> type = nodeType(module);
    if (type == null) {
      return Map.of();
    }
    List<?> children = type.flatten(module).children();
    if (children.isEmpty()) {
      return Map.of();
    }
    List<KeyPath> keys = type.keys(module);
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < children.size(); i++) {
      out.put(name(keys.get(i)), children.get(i));
    }
    return Collections.unmodifiableSequencedMap(out);
  }

  /**
   * {@code module} with {@code assigned} children replaced (by name) and every object identical to
   * a key of {@code replacements} replaced inside its children; {@code module} itself if nothing
   * changed. Either map may be {@code null}.
   */
  static Object rebuild(
      Object module, Map<String, Object> assigned, IdentityHashMap<Object, Object> replacements) {
    NodeType<Object> type = nodeType(module);
    if (type == null) {
      return module;
    }
    NodeType.Children split = type.flatten(module);
    List<KeyPath> keys = type.keys(module);
    Object[] values = split.children().toArray();
    boolean changed = false;
    for (int i = 0; i < values.length; i++) {
      String name = name(keys.get(i));
      if (assigned != null && assigned.containsKey(name)) {
        values[i] = assigned.get(name);
        changed = true;
      }
      if (replacements != null) {
        Object replaced = replace(values[i], replacements);
        changed |= replaced != values[i];
        values[i] = replaced;
      }
    }
    if (!changed) {
      return module;
    }
    try {
      return type.unflatten(split.aux(), Collections.unmodifiableList(Arrays.asList(values)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot rebuild "
              + Describe.type(module.getClass())
              + " with its updated state "
              + names(keys)
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Replaces, by identity, every object of {@code tree} that is a key of {@code replacements},
   * wherever {@link Trees} reaches it (lists, maps, records, modules, registered node types, ...).
   * Returns {@code tree} itself when nothing inside it was replaced.
   */
  static Object replace(Object tree, IdentityHashMap<Object, Object> replacements) {
    if (tree == null) {
      return null;
    }
    if (replacements.containsKey(tree)) {
      return replacements.get(tree);
    }
    Trees.Flat flat = Trees.flatten(tree, replacements::containsKey);
    List<Object> leaves = new ArrayList<>(flat.leaves());
    boolean changed = false;
    for (int i = 0; i < leaves.size(); i++) {
      Object leaf = leaves.get(i);
      if (leaf != null && replacements.containsKey(leaf)) {
        leaves.set(i, replacements.get(leaf));
        changed = true;
      }
    }
    return changed ? Trees.unflatten(flat.treeDef(), leaves) : tree;
  }

  @SuppressWarnings("unchecked")
  private static NodeType<Object> nodeType(Object module) {
    Optional<NodeType<?>> type = Trees.nodeTypeOf(module.getClass());
    return (NodeType<Object>) type.orElse(null);
  }

  /**
   * A child's variable name: its field name, else its rendered key ({@code [0]}, {@code ['k']}).
   */
  private static String name(KeyPath key) {
    if (key.size() == 1 && key.entries().get(0) instanceof KeyPath.Field f) {
      return f.name();
    }
    return key.toString();
  }

  private static List<String> names(List<KeyPath> keys) {
    return keys.stream().map(ModuleStructure::name).toList();
  }
}
