/**
 * Arbor core: pytrees, tensors, primitives and traces, transformations, modules and the reference
 * backend.
 */
module dev.arbor {
  requires com.google.common;
  requires io.github.classgraph;

  exports dev.arbor;
  exports dev.arbor.module;
  exports dev.arbor.plugin;
  exports dev.arbor.tree;
  exports dev.arbor.tree.spi;

  uses dev.arbor.tree.spi.NodeType;
}
