/**
 * Checkpoints of any pytree in the safetensors format (readable by PyTorch's and JAX's safetensors
 * tools): {@link dev.arbor.nn.checkpoint.Checkpoints}.
 */
package dev.arbor.nn.checkpoint;
