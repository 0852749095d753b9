package dev.arbor.nn;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;

/**
 * Flattens the axes from {@code startAxis} on into one: {@code Flatten(1)} turns {@code [N, H, W,
 * C]} into {@code [N, H*W*C]}; {@code Flatten(0)} flattens one example (under {@code vmap}).
 *
 * @param startAxis the first axis to flatten, at least 0
 */
public record Flatten(int startAxis) implements Module<Tensor, Tensor> {
  public Flatten {
    if (startAxis < 0) {
      throw new IllegalArgumentException("Flatten needs startAxis >= 0, got " + startAxis);
    }
  }

  /** {@code Flatten(1)}: keeps the batch axis. */
  public Flatten() {
    this(1);
  }

  @Override
  public Tensor call(Tensor x) {
    if (startAxis >= x.rank()) {
      throw new IllegalArgumentException(
          "Flatten("
              + startAxis
              + ") needs a tensor of rank > "
              + startAxis
              + ", got "
              + x.shape());
    }
    int[] d = new int[startAxis + 1];
    System.arraycopy(x.shape().dims(), 0, d, 0, startAxis);
    d[startAxis] = -1;
    return x.reshape(d);
  }
}
