/**
 * Pytree node types for Guava's immutable collections. Put the jar on the class or module path;
 * Arbor finds the node types through {@link java.util.ServiceLoader}.
 */
module dev.arbor.guava {
  requires dev.arbor;
  requires com.google.common;

  provides dev.arbor.tree.spi.NodeType with
      dev.arbor.guava.ImmutableListNodeType,
      dev.arbor.guava.ImmutableMapNodeType,
      dev.arbor.guava.ImmutableSortedMapNodeType;
}
