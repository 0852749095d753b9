/**
 * Neural-network layers as record modules ({@code implements Module<Tensor, Tensor>}), their
 * initializers, activations and losses.
 *
 * <p>A layer is an immutable pytree: its tensors are its variables, its configuration (ints,
 * doubles, booleans, enums, strings) is static. So {@code Arbor.grad(loss).apply(model)} returns a
 * gradient of the same layer type, and an optimizer step is a map over the tree (see {@link
 * dev.arbor.nn.optim.Optimizers}). Layers with state ({@link BatchNorm}'s running statistics,
 * {@link Dropout}'s key) update it with {@code State.assign}: call {@code State.update(model, x)}
 * or {@code State.callAndUpdate(model, x)} to get the model with its new state.
 *
 * <p>Shapes: dense layers act on the last axis ({@code [..., features]}); convolution and pooling
 * take NHWC ({@code [N, H, W, C]}) or one example {@code [H, W, C]} (under {@code vmap}).
 */
package dev.arbor.nn;
