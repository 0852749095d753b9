package dev.arbor.nn;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;

/**
 * Elementwise activation functions. An enum, so a layer can hold one as static configuration (it is
 * not a variable); {@link #layer()} wraps one as a module for {@link Sequential}.
 */
public enum Activation {
  /** {@code max(x, 0)}. */
  RELU,
  /** {@code tanh(x)}. */
  TANH,
  /** {@code 1 / (1 + exp(-x))}. */
  SIGMOID,
  /** {@code x * sigmoid(x)} (also called swish). */
  SILU,
  /** GELU, tanh approximation: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
  GELU,
  /** {@code x} unchanged. */
  IDENTITY;

  /** Applies the function elementwise. */
  public Tensor apply(Tensor x) {
    return switch (this) {
      case RELU -> Ops.relu(x);
      case TANH -> Ops.tanh(x);
      case SIGMOID -> Ops.sigmoid(x);
      case SILU -> x.mul(Ops.sigmoid(x));
      case GELU -> {
        Tensor inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
        yield x.mul(0.5).mul(Ops.tanh(inner).add(1.0));
      }
      case IDENTITY -> x;
    };
  }

  /** This activation as a layer without variables. */
  public ActivationLayer layer() {
    return new ActivationLayer(this);
  }
}
