/**
 * Arbor core: pytrees, tensors, primitives and traces, transformations, modules and the reference
 * backend.
 */
module dev.arbor {
  requires com.google.common;
  requires io.github.classgraph;

  exports dev.arbor;
}
