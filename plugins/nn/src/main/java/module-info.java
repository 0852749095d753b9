/**
 * Arbor nn: layers as record modules, losses, optax-style optimizers over pytrees, and safetensors
 * checkpoints of any pytree.
 */
module dev.arbor.nn {
  requires transitive dev.arbor;

  exports dev.arbor.nn;
  exports dev.arbor.nn.optim;
  exports dev.arbor.nn.checkpoint;

  // Arbor rebuilds records (layers, optimizer states) through their canonical constructors.
  opens dev.arbor.nn to
      dev.arbor;
  opens dev.arbor.nn.optim to
      dev.arbor;
}
