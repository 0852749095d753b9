/**
 * Optimizers in the style of optax: pure functions over pytrees. An {@link
 * dev.arbor.nn.optim.Optimizer} has {@code init(params) -> state} and {@code update(grads, state,
 * params) -> (updates, state)}; {@link dev.arbor.nn.optim.Optimizers#applyUpdates} adds the updates
 * to the parameters. States are records of tensors (pytrees), so they can be checkpointed, mapped
 * over and passed through transformations.
 *
 * <pre>{@code
 * Optimizer<?> opt = Optimizers.chain(Optimizers.clipByGlobalNorm(1.0), Optimizers.adam(1e-3));
 * var state = opt.init(model);
 * var step = opt.update(grads, state, model);
 * model = Optimizers.applyUpdates(model, step.updates());
 * state = step.state();
 * }</pre>
 *
 * <p>Only float tensor leaves are trained; integer leaves (a {@code Dropout}'s key) are left as
 * they are.
 */
package dev.arbor.nn.optim;
