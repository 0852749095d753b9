package dev.arbor.internal;

import dev.arbor.tree.spi.NodeType;
import java.util.List;

/**
 * Lets the plugin loader reach registries whose mutators are not public API (the node-type registry
 * is package-private in {@code dev.arbor.tree}): the registry installs its hook when its package's
 * entry class initializes.
 */
public final class PluginHooks {
  private PluginHooks() {}

  /** Commits a plugin jar's node types and {@code @PytreeNode} classes, all or none. */
  @FunctionalInterface
  public interface NodeTypes {
    /**
     * @throws IllegalArgumentException naming the conflict; nothing is registered then
     */
    void commit(List<NodeType<?>> types, List<Class<?>> annotated, String origin);
  }

  private static volatile NodeTypes nodeTypes;

  /** Called once by {@code dev.arbor.tree.Trees}'s static initializer. */
  public static void setNodeTypes(NodeTypes hook) {
    nodeTypes = hook;
  }

  /** The node-type hook; initializes {@code Trees} if needed. */
  public static NodeTypes nodeTypes() {
    if (nodeTypes == null) {
      try {
        Class.forName("dev.arbor.tree.Trees", true, PluginHooks.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new AssertionError("dev.arbor.tree.Trees is missing", e);
      }
    }
    return nodeTypes;
  }
}
