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
  exports dev.arbor.instrument;
  exports dev.arbor.module;
  exports dev.arbor.plugin;
  exports dev.arbor.random;
  exports dev.arbor.transform;
  exports dev.arbor.transform.ad;
  exports dev.arbor.transform.batching;
  exports dev.arbor.transform.jit;
  exports dev.arbor.tree;
  exports dev.arbor.tree.spi;

  uses dev.arbor.backend.Backend;
  uses dev.arbor.backend.KernelProvider;
  uses dev.arbor.core.PrimitiveProvider;
  uses dev.arbor.instrument.SelfAttacher;
  uses dev.arbor.tree.spi.NodeType;
}
