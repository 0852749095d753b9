package dev.arbor.random;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Structural;
import dev.arbor.core.primitives.Threefry;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A PRNG key for the Threefry-2x32 generator: an immutable value holding an {@code I32[..., 2]}
 * tensor of uint32 words (one key, or a batch of keys along leading axes). Keys are derived, never
 * mutated: use each key once, and {@link #split} it to get more. The algorithms are JAX's with
 * {@code jax_threefry_partitionable} (its default since JAX 0.5): {@code Key.of(seed)} is JAX's
 * {@code PRNGKey(seed)} with 64-bit seeds, and split/foldIn give JAX's keys.
 *
 * <p>Key data may be a tracer: keys flow through {@code vmap} (a {@link #splitBatch} key) and
 * {@code jit} like any tensor. Thread-safe (immutable).
 *
 * <pre>{@code
 * Key key = Key.of(42);
 * Key[] ks = key.split(2);
 * Tensor w = Random.normal(ks[0], 3, 4);
 * }</pre>
 */
@dev.arbor.tree.PytreeNode
public final class Key {
  private final Tensor data;

  /** For unflattening (a pytree node with one child, {@code data}), so keys batch under vmap. */
  private Key() {
    this.data = null;
  }

  /**
   * Wraps key data.
   *
   * @param data an {@code I32[..., 2]} tensor of uint32 words, never null
   */
  public Key(Tensor data) {
    Objects.requireNonNull(data, "key data");
    if (data.dtype() != DType.I32 || data.rank() < 1 || data.shape().dim(-1) != 2) {
      throw new IllegalArgumentException(
          "a Key holds I32[..., 2] data (pairs of uint32 words), got "
              + data.dtype().shortName()
              + data.shape()
              + "; make one with Key.of(seed)");
    }
    this.data = data;
  }

  /** JAX's {@code PRNGKey(seed)}: the words {@code (seed >>> 32, seed & 0xFFFFFFFF)}. */
  public static Key of(long seed) {
    return new Key(Tensor.of((int) (seed >>> 32), (int) seed));
  }

  /** The {@code I32[..., 2]} key data. */
  public Tensor data() {
    return data;
  }

  /** {@code n} new keys, independent of each other and of this one (which should not be reused). */
  public Key[] split(int n) {
    requireSingle("split");
    requireCount("split", n);
    Tensor k0 = word(0);
    Tensor k1 = word(1);
    Tensor zero = Tensor.scalar(0, DType.I32);
    Key[] keys = new Key[n];
    for (int i = 0; i < n; i++) {
      List<Tensor> y = Threefry.threefry2x32(List.of(k0, k1, zero, Tensor.scalar(i, DType.I32)));
      keys[i] = fromWords(y.get(0), y.get(1));
    }
    return keys;
  }

  /**
   * The same {@code n} keys as {@link #split}, as one key with data {@code I32[n, 2]}: what {@code
   * vmap} maps over.
   */
  public Key splitBatch(int n) {
    requireSingle("splitBatch");
    requireCount("splitBatch", n);
    Tensor k0 = Ops.broadcastTo(word(0), n);
    Tensor k1 = Ops.broadcastTo(word(1), n);
    Tensor hi = Tensor.full(0, DType.I32, n);
    Tensor lo = Generators.iota(DType.I32, new int[] {n}, 0);
    List<Tensor> y = Threefry.threefry2x32(List.of(k0, k1, hi, lo));
    return fromWords(y.get(0), y.get(1));
  }

  /** A new key mixing {@code value} into this one (JAX's {@code fold_in}). */
  public Key foldIn(long value) {
    requireSingle("foldIn");
    List<Tensor> y =
        Threefry.threefry2x32(
            List.of(
                word(0),
                word(1),
                Tensor.scalar((int) (value >>> 32), DType.I32),
                Tensor.scalar((int) value, DType.I32)));
    return fromWords(y.get(0), y.get(1));
  }

  /** Word {@code i} (0 or 1) of every key: {@code data[..., i]}. */
  Tensor word(int i) {
    // A masked sum over the last axis picks one word using only elementwise primitives and a
    // reduction, all of which batch and stage.
    int[] dims = data.shape().dims();
    Tensor pick =
        Elementwise.eq(
            Generators.iota(DType.I32, dims, dims.length - 1), Tensor.full(i, DType.I32, dims));
    Tensor masked = Elementwise.select(pick, data, Tensor.full(0, DType.I32, dims));
    return Reductions.sum(masked, dims.length - 1);
  }

  /** A key (or keys) from its two words, each of the batch shape. */
  static Key fromWords(Tensor w0, Tensor w1) {
    int[] s = w0.shape().dims();
    int[] out = new int[s.length + 1];
    System.arraycopy(s, 0, out, 0, s.length);
    out[s.length] = 2;
    int[] bdims = new int[s.length];
    for (int k = 0; k < s.length; k++) {
      bdims[k] = k;
    }
    Tensor first =
        Elementwise.eq(Generators.iota(DType.I32, out, s.length), Tensor.full(0, DType.I32, out));
    return new Key(
        Elementwise.select(
            first,
            Structural.broadcastInDim(w0, out, bdims),
            Structural.broadcastInDim(w1, out, bdims)));
  }

  void requireSingle(String op) {
    if (data.rank() != 1) {
      throw new IllegalArgumentException(
          op
              + " needs a single key (data I32[2]), got a batch of keys "
              + data.dtype().shortName()
              + data.shape()
              + "; vmap over the batch axis instead");
    }
  }

  private static void requireCount(String op, int n) {
    if (n < 0) {
      throw new IllegalArgumentException(op + ": the number of keys must be >= 0, got " + n);
    }
  }

  /**
   * Keys with concrete data are equal when their data has the same shape and words (keys are
   * values, and {@code State.init} callers compare them); keys holding tracers are equal only to
   * themselves.
   */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Key k)) {
      return false;
    }
    if (k.data == data) {
      return true;
    }
    return data instanceof ConcreteTensor
        && k.data instanceof ConcreteTensor
        && data.shape().equals(k.data.shape())
        && Arrays.equals(data.toLongArray(), k.data.toLongArray());
  }

  @Override
  public int hashCode() {
    return data instanceof ConcreteTensor
        ? Arrays.hashCode(data.toLongArray())
        : System.identityHashCode(data);
  }

  /** Renders the words, e.g. {@code Key[0, 42]}, or the shape for traced/batched keys. */
  @Override
  public String toString() {
    if (data.rank() == 1 && data instanceof ConcreteTensor) {
      long[] w = data.toLongArray();
      return "Key[" + (w[0] & 0xFFFFFFFFL) + ", " + (w[1] & 0xFFFFFFFFL) + "]";
    }
    return "Key(" + data + ")";
  }
}
