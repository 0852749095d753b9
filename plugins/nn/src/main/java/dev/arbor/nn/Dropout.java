package dev.arbor.nn;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import dev.arbor.module.State;
import dev.arbor.random.Key;
import dev.arbor.random.Random;

/**
 * Dropout: in training, zeroes each element with probability {@code rate} and scales the rest by
 * {@code 1 / (1 - rate)}; in inference, the identity. The layer holds its PRNG key as state: each
 * call splits it, uses one half and assigns the other ({@code State.assign("key", ...)}), so {@code
 * State.update(model, x)} returns a model whose next call draws a fresh mask. Outside a state
 * context the key is not advanced: calling {@code call} twice gives the same mask. For a key per
 * call instead, use {@link #apply(Tensor, double, Key)}.
 *
 * <p>The key's data is an integer tensor: it gets no gradient, and the optimizers in {@code
 * dev.arbor.nn.optim} leave integer leaves unchanged.
 *
 * @param rate the drop probability, in [0, 1)
 * @param inference whether to pass the input through unchanged
 * @param key the key of the next mask
 */
public record Dropout(double rate, boolean inference, Key key)
    implements Module<Tensor, Tensor>, InferenceMode {
  public Dropout {
    if (!(rate >= 0 && rate < 1)) {
      throw new IllegalArgumentException("Dropout needs 0 <= rate < 1, got " + rate);
    }
    if (key == null) {
      throw new IllegalArgumentException("Dropout needs a Key (Key.of(seed)), got null");
    }
  }

  /** Training mode. */
  public static Dropout of(double rate, Key key) {
    return new Dropout(rate, false, key);
  }

  @Override
  public Dropout withInference(boolean on) {
    return new Dropout(rate, on, key);
  }

  @Override
  public Tensor call(Tensor x) {
    if (inference || rate == 0) {
      return x;
    }
    Key[] k = key.split(2);
    State.assign("key", k[0]);
    return apply(x, rate, k[1]);
  }

  /** Dropout of {@code x} with a mask drawn from {@code key} (training behaviour). */
  public static Tensor apply(Tensor x, double rate, Key key) {
    if (rate == 0) {
      return x;
    }
    Tensor keep = Random.bernoulli(key, 1 - rate, x.shape().dims());
    return Ops.where(keep, x.mul(1 / (1 - rate)), Tensor.scalar(0, x.dtype()));
  }
}
