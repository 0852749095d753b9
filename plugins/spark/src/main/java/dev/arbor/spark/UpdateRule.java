package dev.arbor.spark;

import dev.arbor.nn.optim.Optimizer;
import dev.arbor.nn.optim.Optimizers;
import java.io.Serializable;
import java.util.function.Supplier;

/**
 * How parameters change given the mean gradient: an optimizer as the trainer uses it. Pure: the
 * optimizer state {@code S} is a pytree of tensors passed in and returned, so every worker of the
 * gang-scheduled path applies the same update to the same state and stays identical.
 *
 * <p>Implementations are shipped to executors with Java serialization (a lambda assigned to this
 * type is serializable). Most callers use {@link #of} with one of arbor-nn's optimizers.
 *
 * @param <P> the parameters
 * @param <S> the optimizer state (any pytree of tensors; an empty list for none)
 */
public interface UpdateRule<P, S> extends Serializable {
  /** The initial optimizer state for {@code params}. */
  S init(P params);

  /** The next parameters and state after one step with mean gradient {@code grads}. */
  Updated<P, S> apply(P params, P grads, S state);

  /** The parameters and optimizer state after a step. */
  record Updated<P, S>(P params, S state) {}

  /**
   * Builds an arbor-nn {@link Optimizer} where it runs. nn's optimizers are not {@code
   * Serializable}; a lambda of this type is, so {@code () -> Optimizers.adam(1e-3)} ships to
   * executors and each builds its own optimizer there.
   */
  @FunctionalInterface
  interface OptimizerFactory<S> extends Supplier<Optimizer<S>>, Serializable {}

  /**
   * An arbor-nn optimizer as an update rule: {@code params + updates} ({@link
   * Optimizers#applyUpdates}) with the updates and state of {@link Optimizer#update}. For example
   * {@code UpdateRule.<Mlp, SgdState>of(() -> Optimizers.sgd(0.1))}.
   */
  static <P, S> UpdateRule<P, S> of(OptimizerFactory<S> factory) {
    return new OptimizerRule<>(factory);
  }

  /** {@link #of}: the optimizer is built once per JVM (lazily, after deserialization). */
  final class OptimizerRule<P, S> implements UpdateRule<P, S> {
    @java.io.Serial private static final long serialVersionUID = 1L;

    private final OptimizerFactory<S> factory;
    private transient volatile Optimizer<S> optimizer;

    OptimizerRule(OptimizerFactory<S> factory) {
      this.factory = java.util.Objects.requireNonNull(factory, "factory");
    }

    private Optimizer<S> optimizer() {
      Optimizer<S> o = optimizer;
      if (o == null) {
        o = java.util.Objects.requireNonNull(factory.get(), "factory returned null");
        optimizer = o;
      }
      return o;
    }

    @Override
    public S init(P params) {
      return optimizer().init(params);
    }

    @Override
    public Updated<P, S> apply(P params, P grads, S state) {
      Optimizer.Step<P, S> step = optimizer().update(grads, state, params);
      return new Updated<>(Optimizers.applyUpdates(params, step.updates()), step.state());
    }
  }
}
