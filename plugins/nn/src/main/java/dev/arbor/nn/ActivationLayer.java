package dev.arbor.nn;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;

/**
 * An {@link Activation} as a layer (no variables), for {@link Sequential}: {@code
 * Activation.RELU.layer()}.
 *
 * @param function the activation; not null
 */
public record ActivationLayer(Activation function) implements Module<Tensor, Tensor> {
  public ActivationLayer {
    if (function == null) {
      throw new IllegalArgumentException("ActivationLayer needs an Activation, got null");
    }
  }

  @Override
  public Tensor call(Tensor x) {
    return function.apply(x);
  }
}
