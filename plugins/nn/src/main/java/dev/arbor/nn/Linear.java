package dev.arbor.nn;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import dev.arbor.random.Key;

/**
 * A dense layer {@code y = x W + b} on the last axis: {@code [..., in] -> [..., out]}.
 *
 * <pre>{@code
 * Linear layer = Linear.init(Key.of(0), 784, 256);
 * Tensor y = layer.call(x);               // x: [batch, 784] -> [batch, 256]
 * }</pre>
 *
 * @param weight {@code [in, out]}
 * @param bias {@code [out]}, or {@code null} for no bias
 */
public record Linear(Tensor weight, Tensor bias) implements Module<Tensor, Tensor> {
  // No shape checks in the constructor: transformations rebuild layers with batched leaves (an
  // ensemble's weight is [members, in, out]) or placeholders; call() checks what it uses.

  /** Weights and bias drawn with {@link WeightInit#UNIFORM_FAN_IN} (PyTorch's default). */
  public static Linear init(Key key, int in, int out) {
    return init(key, in, out, WeightInit.UNIFORM_FAN_IN, true);
  }

  /** Weights drawn with {@code weightInit}; the bias, if any, as PyTorch does. */
  public static Linear init(Key key, int in, int out, WeightInit weightInit, boolean useBias) {
    Key[] k = key.split(2);
    Tensor w = weightInit.init(k[0], in, out, in, out);
    Tensor b = useBias ? WeightInit.UNIFORM_FAN_IN.init(k[1], in, out, out) : null;
    return new Linear(w, b);
  }

  /** Input features. */
  public int in() {
    return weight.shape().dim(0);
  }

  /** Output features. */
  public int out() {
    return weight.shape().dim(1);
  }

  @Override
  public Tensor call(Tensor x) {
    if (weight.rank() != 2 || (bias != null && bias.shape().dim(0) != out())) {
      throw new IllegalArgumentException(
          "Linear needs a weight [in, out] and a bias [out], got weight "
              + weight.shape()
              + (bias == null ? "" : " and bias " + bias.shape())
              + " (a batched layer, e.g. an ensemble, is called under vmap)");
    }
    if (x.rank() == 0 || x.shape().dim(x.rank() - 1) != in()) {
      throw new IllegalArgumentException(
          "Linear("
              + in()
              + " -> "
              + out()
              + "): the input's last axis must be "
              + in()
              + ", got input "
              + x.shape());
    }
    Tensor y = x.matmul(weight);
    return bias == null ? y : y.add(bias);
  }
}
