package dev.arbor.nn;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import dev.arbor.module.State;

/**
 * Batch normalization over the last (feature/channel) axis. Training: normalizes with the batch's
 * mean and (biased) variance over every other axis, and moves the running statistics toward them
 * with {@code State.assign} ({@code running = momentum * running + (1 - momentum) * batch}).
 * Inference: normalizes with the running statistics. The running statistics are state, not
 * parameters: they are read through {@code Ops.stopGradient}, so their gradient is exactly zero.
 *
 * <p>With {@code axisName == null} the input is a batch ({@code [N, F]} or {@code [N, H, W, C]}).
 * With an axis name the input is one example ({@code [F]} or {@code [H, W, C]}) inside a {@code
 * vmap} with that axis name, and the batch statistics are {@code Ops.pmean} over it — so {@code
 * vmap(bn::update, 0, null, "batch")} gives the same module as {@code bn.update(batch)}.
 *
 * <pre>{@code
 * BatchNorm bn = BatchNorm.of(64);
 * Updated<Tensor, BatchNorm> u = State.callAndUpdate(bn, x);   // output + new running stats
 * Tensor y = Layers.inferenceMode(u.module(), true).call(x);     // uses the running stats
 * }</pre>
 *
 * @param runningMean {@code [F]}, state
 * @param runningVar {@code [F]}, state
 * @param scale {@code [F]} (gamma), a parameter
 * @param offset {@code [F]} (beta), a parameter
 * @param momentum weight of the old running value, in [0, 1); 0.9 by default (0.99 in Flax)
 * @param eps added to the variance
 * @param inference whether to use the running statistics (and leave them unchanged)
 * @param axisName the vmap axis to reduce over, or {@code null} when the input is a batch
 */
public record BatchNorm(
    Tensor runningMean,
    Tensor runningVar,
    Tensor scale,
    Tensor offset,
    double momentum,
    double eps,
    boolean inference,
    String axisName)
    implements Module<Tensor, Tensor>, InferenceMode {
  public BatchNorm {
    if (!(momentum >= 0 && momentum < 1) || !(eps > 0)) {
      throw new IllegalArgumentException(
          "BatchNorm needs 0 <= momentum < 1 and eps > 0, got " + momentum + ", " + eps);
    }
  }

  /** Training mode, momentum 0.9, eps 1e-5, the input a batch. */
  public static BatchNorm of(int features) {
    return of(features, null);
  }

  /** Training mode, momentum 0.9, eps 1e-5, reducing over vmap axis {@code axisName}. */
  public static BatchNorm of(int features, String axisName) {
    return new BatchNorm(
        Tensor.zeros(features),
        Tensor.ones(features),
        Tensor.ones(features),
        Tensor.zeros(features),
        0.9,
        1e-5,
        false,
        axisName);
  }

  @Override
  public BatchNorm withInference(boolean on) {
    return new BatchNorm(runningMean, runningVar, scale, offset, momentum, eps, on, axisName);
  }

  @Override
  public Tensor call(Tensor x) {
    int features = scale.shape().dim(0);
    if (x.rank() == 0 || x.shape().dim(x.rank() - 1) != features) {
      throw new IllegalArgumentException(
          "BatchNorm(" + features + ") needs the features on the last axis, got " + x.shape());
    }
    Tensor mean = Ops.stopGradient(runningMean);
    Tensor var = Ops.stopGradient(runningVar);
    if (!inference) {
      Tensor batchMean = statistic(x);
      Tensor centered = x.sub(batchMean);
      Tensor batchVar = statistic(centered.mul(centered));
      // The running statistics follow the batch's values, not their derivatives.
      State.assign(
          "runningMean", mean.mul(momentum).add(Ops.stopGradient(batchMean).mul(1 - momentum)));
      State.assign(
          "runningVar", var.mul(momentum).add(Ops.stopGradient(batchVar).mul(1 - momentum)));
      mean = batchMean;
      var = batchVar;
    }
    return x.sub(mean).mul(Ops.rsqrt(var.add(eps))).mul(scale).add(offset);
  }

  /** Mean over every axis but the last, then over the named vmap axis if there is one. */
  private Tensor statistic(Tensor v) {
    if (v.rank() > 1) {
      int[] axes = new int[v.rank() - 1];
      for (int k = 0; k < axes.length; k++) {
        axes[k] = k;
      }
      v = v.mean(axes);
    } else if (axisName == null) {
      throw new IllegalArgumentException(
          "BatchNorm got one example "
              + v.shape()
              + " without an axis name; pass a batch [N, F], or use BatchNorm.of(features, \"batch\")"
              + " inside vmap(..., \"batch\")");
    }
    return axisName == null ? v : Ops.pmean(v, axisName);
  }
}
