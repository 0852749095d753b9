package dev.arbor.nn;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.module.Module;

/**
 * Layer normalization over the last axis: {@code (x - mean) / sqrt(var + eps) * scale + offset},
 * statistics per example (so it needs no batch and no state).
 *
 * @param scale {@code [F]}
 * @param offset {@code [F]}
 * @param eps added to the variance, &gt; 0
 */
public record LayerNorm(Tensor scale, Tensor offset, double eps) implements Module<Tensor, Tensor> {
  public LayerNorm {
    if (!(eps > 0)) {
      throw new IllegalArgumentException("LayerNorm needs eps > 0, got " + eps);
    }
  }

  /** Scale 1, offset 0, eps 1e-5. */
  public static LayerNorm of(int features) {
    return new LayerNorm(Tensor.ones(features), Tensor.zeros(features), 1e-5);
  }

  @Override
  public Tensor call(Tensor x) {
    int last = x.rank() - 1;
    int[] keep = x.shape().dims();
    keep[last] = 1;
    Tensor mean = x.mean(last).reshape(keep);
    Tensor centered = x.sub(mean);
    Tensor var = centered.mul(centered).mean(last).reshape(keep);
    return centered.mul(Ops.rsqrt(var.add(eps))).mul(scale).add(offset);
  }
}
