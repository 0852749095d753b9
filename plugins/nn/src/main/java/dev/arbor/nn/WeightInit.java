package dev.arbor.nn;

import dev.arbor.random.Key;
import dev.arbor.random.Random;

/**
 * How a weight tensor is drawn from a key, given its fan-in and fan-out (for a dense {@code [in,
 * out]} weight: {@code in} and {@code out}; for an HWIO kernel: {@code KH*KW*I} and {@code
 * KH*KW*O}). All return F32.
 *
 * <pre>{@code
 * Tensor w = WeightInit.HE_NORMAL.init(key, 784, 256, 784, 256);
 * }</pre>
 */
@FunctionalInterface
public interface WeightInit {
  /** A tensor of shape {@code dims} drawn from {@code key}. */
  dev.arbor.array.Tensor init(Key key, int fanIn, int fanOut, int... dims);

  /** Glorot (Xavier) uniform: {@code U(-l, l)}, {@code l = sqrt(6 / (fanIn + fanOut))}. */
  WeightInit GLOROT_UNIFORM =
      (key, fanIn, fanOut, dims) -> {
        double l = Math.sqrt(6.0 / (fanIn + fanOut));
        return Random.uniform(key, dims, -l, l);
      };

  /** Glorot (Xavier) normal: {@code N(0, 2 / (fanIn + fanOut))}. */
  WeightInit GLOROT_NORMAL =
      (key, fanIn, fanOut, dims) -> Random.normal(key, dims).mul(Math.sqrt(2.0 / (fanIn + fanOut)));

  /** He (Kaiming) normal, for ReLU layers: {@code N(0, 2 / fanIn)}. */
  WeightInit HE_NORMAL =
      (key, fanIn, fanOut, dims) -> Random.normal(key, dims).mul(Math.sqrt(2.0 / fanIn));

  /** He (Kaiming) uniform: {@code U(-l, l)}, {@code l = sqrt(6 / fanIn)}. */
  WeightInit HE_UNIFORM =
      (key, fanIn, fanOut, dims) -> {
        double l = Math.sqrt(6.0 / fanIn);
        return Random.uniform(key, dims, -l, l);
      };

  /** LeCun normal: {@code N(0, 1 / fanIn)}. */
  WeightInit LECUN_NORMAL =
      (key, fanIn, fanOut, dims) -> Random.normal(key, dims).mul(Math.sqrt(1.0 / fanIn));

  /**
   * PyTorch's and Equinox's default for dense and convolution layers (weights and biases): {@code
   * U(-1/sqrt(fanIn), 1/sqrt(fanIn))}.
   */
  WeightInit UNIFORM_FAN_IN =
      (key, fanIn, fanOut, dims) -> {
        double l = 1 / Math.sqrt(fanIn);
        return Random.uniform(key, dims, -l, l);
      };
}
