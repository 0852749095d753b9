package dev.arbor.nn;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import dev.arbor.random.Key;
import dev.arbor.random.Random;

/**
 * A lookup table: integer ids {@code [...]} to vectors {@code [..., dim]} (rows of {@code weight}).
 * Its gradient is a scatter-add into the used rows.
 *
 * @param weight {@code [vocabulary, dim]}
 */
public record Embedding(Tensor weight) implements Module<Tensor, Tensor> {
  /** Rows drawn from {@code N(0, 1)}, as PyTorch and Equinox do. */
  public static Embedding init(Key key, int vocabulary, int dim) {
    return new Embedding(Random.normal(key, vocabulary, dim));
  }

  @Override
  public Tensor call(Tensor ids) {
    if (weight.rank() != 2) {
      throw new IllegalArgumentException(
          "Embedding needs a weight [vocabulary, dim], got " + weight.shape());
    }
    if (ids.dtype().isFloating() || ids.dtype() == DType.BOOL) {
      throw new IllegalArgumentException(
          "Embedding takes integer ids (I32/I64), got " + ids.dtype() + ids.shape());
    }
    return Ops.take(weight, ids, 0);
  }
}
