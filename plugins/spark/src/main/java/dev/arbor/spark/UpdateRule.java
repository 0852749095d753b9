package dev.arbor.spark;

import dev.arbor.array.Tensor;
import dev.arbor.tree.Trees;
import java.io.Serializable;
import java.util.List;

/**
 * How parameters change given the mean gradient: an optimizer as the trainer uses it. Pure: the
 * optimizer state {@code S} is a pytree of tensors passed in and returned, so every worker of the
 * gang-scheduled path applies the same update to the same state and stays identical.
 *
 * <p>Implementations are shipped to executors with Java serialization (a lambda assigned to this
 * type is serializable).
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

  /** Plain gradient descent, {@code p - learningRate * g} leafwise; no state (an empty list). */
  static <P> UpdateRule<P, List<Tensor>> sgd(double learningRate) {
    return new UpdateRule<>() {
      @java.io.Serial private static final long serialVersionUID = 1L;

      @Override
      public List<Tensor> init(P params) {
        return List.of();
      }

      @Override
      public Updated<P, List<Tensor>> apply(P params, P grads, List<Tensor> state) {
        P next =
            Trees.map((p, g) -> ((Tensor) p).sub(((Tensor) g).mul(learningRate)), params, grads);
        return new Updated<>(next, state);
      }
    };
  }
}
