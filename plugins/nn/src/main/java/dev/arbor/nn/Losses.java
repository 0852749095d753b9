package dev.arbor.nn;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;

/**
 * Loss functions, each returning the mean over the batch (a float scalar, ready for {@code
 * Arbor.grad}), and {@link #accuracy}.
 */
public final class Losses {
  private Losses() {}

  /**
   * Softmax cross-entropy from unnormalized {@code logits [..., K]} and integer class {@code labels
   * [...]}: {@code mean(logSumExp(logits) - logits[label])}. Stable for large logits (no {@code
   * exp} overflow: logSumExp subtracts the maximum).
   */
  public static Tensor softmaxCrossEntropy(Tensor logits, Tensor labels) {
    int last = logits.rank() - 1;
    int k = logits.shape().dim(last);
    requireLabels(logits, labels, "softmaxCrossEntropy");
    Tensor logZ = Ops.logSumExp(logits, last);
    Tensor picked = logits.mul(Ops.oneHot(labels, k).astype(logits.dtype())).sum(last);
    return logZ.sub(picked).mean();
  }

  /** Mean squared error {@code mean((prediction - target)^2)}; shapes broadcast. */
  public static Tensor mse(Tensor prediction, Tensor target) {
    Tensor d = prediction.sub(target);
    return d.mul(d).mean();
  }

  /**
   * Binary cross-entropy from logits {@code x} and targets {@code z} in [0, 1]: {@code mean(max(x,
   * 0) - x z + log(1 + exp(-|x|)))}, the stable form of {@code -z log(sigmoid(x)) - (1 - z) log(1 -
   * sigmoid(x))}.
   */
  public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor targets) {
    Tensor z = targets.dtype().isFloating() ? targets : targets.astype(logits.dtype());
    Tensor relu = Ops.relu(logits);
    Tensor softplus = Ops.log1p(Ops.exp(Ops.abs(logits).neg()));
    return relu.sub(logits.mul(z)).add(softplus).mean();
  }

  /** The fraction of rows whose largest logit is at the label (F32 scalar). */
  public static Tensor accuracy(Tensor logits, Tensor labels) {
    requireLabels(logits, labels, "accuracy");
    Tensor predicted = Ops.argmax(logits, logits.rank() - 1);
    return Ops.equal(predicted.astype(DType.I64), labels.astype(DType.I64))
        .astype(DType.F32)
        .mean();
  }

  private static void requireLabels(Tensor logits, Tensor labels, String what) {
    if (labels.dtype().isFloating() || labels.dtype() == DType.BOOL) {
      throw new IllegalArgumentException(
          what + " takes integer class labels (I32/I64), got " + labels.dtype() + labels.shape());
    }
    if (labels.rank() != logits.rank() - 1) {
      throw new IllegalArgumentException(
          what
              + ": labels "
              + labels.shape()
              + " must have the logits' shape "
              + logits.shape()
              + " without the class axis");
    }
  }
}
