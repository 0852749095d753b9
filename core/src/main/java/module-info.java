/**
 * Arbor core: pytrees, tensors, primitives and traces, transformations, modules and the reference
 * backend.
 */
module dev.arbor {
  requires com.google.common;
  requires io.github.classgraph;

  exports dev.arbor;
  exports dev.arbor.module;
  exports dev.arbor.instrument;
  exports dev.arbor.random;

  uses dev.arbor.instrument.SelfAttacher;
}
