/**
 * Arbor core: pytrees, tensors, primitives and traces, transformations, modules and the reference
 * backend.
 */
module dev.arbor {
  requires com.google.common;
  requires io.github.classgraph;

  exports dev.arbor;
  exports dev.arbor.array;
  exports dev.arbor.backend;
  exports dev.arbor.core;
  exports dev.arbor.core.primitives;
  exports dev.arbor.module;
  exports dev.arbor.transform.ad;
  exports dev.arbor.transform.batching;
  exports dev.arbor.transform.jit;
  exports dev.arbor.tree;

  uses dev.arbor.backend.Backend;
}
