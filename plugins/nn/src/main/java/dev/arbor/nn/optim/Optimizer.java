package dev.arbor.nn.optim;

/**
 * A gradient transformation (optax's {@code GradientTransformation}): pure, no hidden state.
 *
 * @param <S> the optimizer state, a pytree (record of tensors)
 */
public interface Optimizer<S> {
  /** The initial state for {@code params} (any pytree of tensors). */
  S init(Object params);

  /**
   * Turns {@code grads} into updates (to be added to the parameters with {@link
   * Optimizers#applyUpdates}) and the next state. {@code grads} and {@code params} have the same
   * structure; {@code params} may be {@code null} for optimizers that do not read it (all here but
   * {@link Optimizers#adamw}).
   */
  <P> Step<P, S> update(P grads, S state, P params);

  /** The updates and the next optimizer state. */
  record Step<P, S>(P updates, S state) {}
}
