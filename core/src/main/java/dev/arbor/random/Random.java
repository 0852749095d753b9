package dev.arbor.random;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Sorting;
import dev.arbor.core.primitives.Threefry;
import java.util.List;

/**
 * Samples from a {@link Key}, following {@code jax.random}'s algorithms (threefry partitionable
 * mode): random bits are {@code threefry2x32(key, (hi, lo) of each element's index)}, uniforms take
 * the top mantissa bits, normals are {@code sqrt(2) * erfinv(u)} for {@code u} uniform on {@code
 * (-1, 1)}. Results are F32 unless a {@link DType} is given. Values agree with JAX's up to float
 * rounding in the last place of transcendental functions (the bits are identical).
 *
 * <p>Pure functions: the same key gives the same numbers, on every thread. Use a key once; {@link
 * Key#split} it for more.
 */
public final class Random {
  private Random() {}

  /** 32 uniformly random bits per element, as I32 (read as uint32). */
  public static Tensor bits(Key key, int... dims) {
    List<Tensor> y = hashIndices(key, dims);
    return Elementwise.xor(y.get(0), y.get(1));
  }

  /** 64 uniformly random bits per element, as I64 (read as uint64). */
  public static Tensor bits64(Key key, int... dims) {
    List<Tensor> y = hashIndices(key, dims);
    Tensor hi = Elementwise.convert(y.get(0), DType.I64);
    Tensor lo = Elementwise.convert(y.get(1), DType.I64);
    Tensor low32 = Elementwise.and(lo, Tensor.full(0xFFFFFFFFL, DType.I64, dims));
    return Elementwise.or(Elementwise.shiftLeft(hi, Tensor.full(32, DType.I64, dims)), low32);
  }

  private static List<Tensor> hashIndices(Key key, int[] dims) {
    key.requireSingle("random");
    long size = 1;
    for (int d : dims) {
      size *= d;
    }
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("too many random values requested: " + size);
    }
    Tensor k0 = Ops.broadcastTo(key.word(0), dims);
    Tensor k1 = Ops.broadcastTo(key.word(1), dims);
    Tensor hi = Tensor.full(0, DType.I32, dims);
    Tensor lo = Ops.reshape(Generators.iota(DType.I32, new int[] {(int) size}, 0), dims);
    return Threefry.threefry2x32(List.of(k0, k1, hi, lo));
  }

  /** Uniform on {@code [0, 1)}, F32. */
  public static Tensor uniform(Key key, int... dims) {
    return uniform(key, DType.F32, dims, 0, 1);
  }

  /** Uniform on {@code [0, 1)} of a float dtype. */
  public static Tensor uniform(Key key, DType dtype, int... dims) {
    return uniform(key, dtype, dims, 0, 1);
  }

  /**
   * Uniform on {@code [minval, maxval)}, F32. The dims are an explicit array here: with varargs,
   * {@code uniform(key, -2, 3, 100)} would silently mean the shape {@code [-2, 3, 100]}.
   */
  public static Tensor uniform(Key key, int[] dims, double minval, double maxval) {
    return uniform(key, DType.F32, dims, minval, maxval);
  }

  /**
   * Uniform on {@code [minval, maxval)} of a float dtype: the top 23 (F32) or 52 (F64) of the
   * random bits as a mantissa in {@code [0, 1)}, scaled, and clamped below at {@code minval}.
   */
  public static Tensor uniform(Key key, DType dtype, int[] dims, double minval, double maxval) {
    requireFloat("uniform", dtype);
    Tensor unit;
    if (dtype == DType.F32) {
      Tensor m =
          Elementwise.shiftRightLogical(bits(key, dims), Tensor.full(32 - 23, DType.I32, dims));
      unit = Ops.astype(m, DType.F32).mul(0x1p-23);
    } else {
      Tensor m =
          Elementwise.shiftRightLogical(bits64(key, dims), Tensor.full(64 - 52, DType.I64, dims));
      unit = Ops.astype(m, DType.F64).mul(0x1p-52);
    }
    Tensor lo = Tensor.scalar(minval, dtype);
    Tensor hi = Tensor.scalar(maxval, dtype);
    Tensor scaled = Ops.add(Ops.mul(unit, Ops.sub(hi, lo)), lo);
    return Ops.maximum(lo, scaled);
  }

  /** Standard normal, F32. */
  public static Tensor normal(Key key, int... dims) {
    return normal(key, DType.F32, dims);
  }

  /** Standard normal of a float dtype: {@code sqrt(2) * erfinv(u)}, u uniform on (-1, 1). */
  public static Tensor normal(Key key, DType dtype, int... dims) {
    requireFloat("normal", dtype);
    double lo = dtype == DType.F32 ? Math.nextUp(-1.0f) : Math.nextUp(-1.0);
    Tensor u = uniform(key, dtype, dims, lo, 1);
    return Elementwise.erfInv(u).mul(Math.sqrt(2));
  }

  /** BOOL samples that are true with probability {@code p}. */
  public static Tensor bernoulli(Key key, double p, int... dims) {
    return Ops.less(uniform(key, dims), Tensor.scalar(p));
  }

  /** BOOL samples, true with probability {@code p} (broadcast to {@code dims}). */
  public static Tensor bernoulli(Key key, Tensor p, int... dims) {
    DType t = p.dtype().isFloating() ? p.dtype() : DType.F32;
    return Ops.less(uniform(key, t, dims), p);
  }

  /**
   * Indices (I32) sampled from the categorical distributions whose unnormalized log-probabilities
   * lie along {@code axis} of {@code logits} (which is dropped), by the Gumbel-max trick as JAX
   * does.
   */
  public static Tensor categorical(Key key, Tensor logits, int axis) {
    DType t = logits.dtype().isFloating() ? logits.dtype() : DType.F32;
    double tiny = t == DType.F32 ? Float.MIN_NORMAL : Double.MIN_NORMAL;
    Tensor u = uniform(key, t, logits.shape().dims(), tiny, 1);
    Tensor gumbel = Ops.neg(Ops.log(Ops.neg(Ops.log(u))));
    return Reductions.argmax(Ops.add(gumbel, logits), axis);
  }

  /**
   * A random permutation of {@code 0..n-1} (I32), as JAX's {@code permutation(key, n)}: rounds of
   * stable sorts by fresh 32-bit random keys, enough rounds that ties are improbable.
   */
  public static Tensor permutation(Key key, int n) {
    if (n < 0) {
      throw new IllegalArgumentException("permutation: n must be >= 0, got " + n);
    }
    int rounds = (int) Math.ceil(3 * Math.log(Math.max(1, n)) / Math.log(4294967295.0));
    Tensor x = Generators.iota(DType.I32, new int[] {n}, 0);
    Key k = key;
    for (int r = 0; r < rounds; r++) {
      Key[] ks = k.split(2);
      k = ks[0];
      // Sort keys are uint32: widen to I64 (zero-extended) so signed order is unsigned order.
      Tensor sortKeys =
          Elementwise.and(
              Elementwise.convert(bits(ks[1], n), DType.I64),
              Tensor.full(0xFFFFFFFFL, DType.I64, n));
      x = Sorting.sort(List.of(sortKeys, x), 0).get(1);
    }
    return x;
  }

  private static void requireFloat(String op, DType t) {
    if (!t.isFloating()) {
      throw new IllegalArgumentException(
          op + " samples floats: dtype must be F32 or F64, got " + t);
    }
  }
}
