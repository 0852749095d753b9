package dev.arbor.nn.optim;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;

/**
 * A learning-rate schedule: the rate at an optimizer step count (a scalar tensor, 0 at the first
 * update), as an F32 scalar. Computed with tensor ops, so it also works when the count is traced.
 */
@FunctionalInterface
public interface Schedule {
  /** The learning rate at {@code count} (an integer or float scalar tensor). */
  Tensor at(Tensor count);

  /** The learning rate at step {@code count}, as a double. */
  default double at(long count) {
    return at(Tensor.scalar(count, DType.I32)).item();
  }

  /** The same rate at every step. */
  static Schedule constant(double rate) {
    return count -> Tensor.scalar(rate);
  }

  /**
   * {@code init * decayRate^(count / decaySteps)}; with {@code staircase}, the exponent is rounded
   * down (the rate drops every {@code decaySteps}).
   */
  static Schedule exponentialDecay(
      double init, int decaySteps, double decayRate, boolean staircase) {
    requirePositive(decaySteps, "exponentialDecay decaySteps");
    return count -> {
      Tensor p = f32(count).mul(1.0 / decaySteps);
      if (staircase) {
        p = Ops.floor(p);
      }
      return Ops.exp(p.mul(Math.log(decayRate))).mul(init);
    };
  }

  /**
   * Cosine decay from {@code init} to {@code init * alpha} over {@code decaySteps}, constant
   * afterwards.
   */
  static Schedule cosineDecay(double init, int decaySteps, double alpha) {
    requirePositive(decaySteps, "cosineDecay decaySteps");
    return count -> {
      Tensor t = Ops.minimum(f32(count), Tensor.scalar(decaySteps)).mul(Math.PI / decaySteps);
      Tensor cosine = Ops.cos(t).add(1.0).mul(0.5);
      return cosine.mul(1 - alpha).add(alpha).mul(init);
    };
  }

  /**
   * Linear warm-up from 0 to {@code peak} over {@code warmupSteps}, then cosine decay to {@code
   * end} at step {@code totalSteps} (optax's {@code warmup_cosine_decay_schedule}).
   */
  static Schedule warmupCosineDecay(double peak, int warmupSteps, int totalSteps, double end) {
    requirePositive(warmupSteps, "warmupCosineDecay warmupSteps");
    if (totalSteps <= warmupSteps) {
      throw new IllegalArgumentException(
          "warmupCosineDecay needs totalSteps > warmupSteps, got "
              + totalSteps
              + " <= "
              + warmupSteps);
    }
    return count -> {
      Tensor c = f32(count);
      Tensor warm = c.mul(peak / warmupSteps);
      Tensor t =
          Ops.minimum(
                  Ops.maximum(c.add(-warmupSteps), Tensor.scalar(0)),
                  Tensor.scalar(totalSteps - warmupSteps))
              .mul(Math.PI / (totalSteps - warmupSteps));
      Tensor decayed = Ops.cos(t).add(1.0).mul(0.5 * (peak - end)).add(end);
      return Ops.where(Ops.less(c, Tensor.scalar(warmupSteps)), warm, decayed);
    };
  }

  private static Tensor f32(Tensor count) {
    return count.dtype() == DType.F32 ? count : count.astype(DType.F32);
  }

  private static void requirePositive(int n, String what) {
    if (n <= 0) {
      throw new IllegalArgumentException(what + " must be > 0, got " + n);
    }
  }
}
