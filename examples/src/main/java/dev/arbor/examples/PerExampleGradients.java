package dev.arbor.examples;

import dev.arbor.Arbor;
import dev.arbor.array.Tensor;
import dev.arbor.nn.Activation;
import dev.arbor.nn.Losses;
import dev.arbor.nn.MLP;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.util.Locale;
import java.util.function.Function;

/**
 * Per-example gradients with {@code vmap(grad)}: one gradient per example in a single batched
 * computation, here used for DP-SGD-style clipping of each example's gradient before averaging.
 * Usage: {@code ./arbor demo --main dev.arbor.examples.PerExampleGradients}.
 */
public final class PerExampleGradients {
  private PerExampleGradients() {}

  /** One example: features {@code [F]} and an integer label (a scalar). */
  public record Example(Tensor x, Tensor label) {}

  /** The loss of one example (a batch of one, without the batch axis). */
  static Tensor loss(MLP model, Example e) {
    return Losses.softmaxCrossEntropy(model.call(e.x()), e.label());
  }

  // per-example-begin
  /**
   * The gradient of every example's loss, as one {@code MLP} whose leaves have a leading batch
   * axis: {@code vmap} maps the gradient function over the examples, the model is shared.
   */
  public static MLP perExampleGradients(MLP model, Tensor xs, Tensor labels) {
    Function<Example, MLP> gradOfOne = e -> Arbor.grad((MLP m) -> loss(m, e)).apply(model);
    return Arbor.vmap(gradOfOne).apply(new Example(xs, labels));
  }

  // per-example-end

  /**
   * Clips each example's gradient to global norm {@code maxNorm} and averages them (the gradient
   * step of DP-SGD, without the noise).
   */
  public static MLP clippedMeanGradient(MLP perExample, double maxNorm) {
    Function<MLP, MLP> clip =
        g -> {
          Tensor scale =
              Tensor.scalar(maxNorm)
                  .div(
                      dev.arbor.array.Ops.maximum(
                          Optimizers.globalNorm(g), Tensor.scalar(maxNorm)));
          return dev.arbor.tree.Trees.map(t -> ((Tensor) t).mul(scale), g);
        };
    MLP clipped = Arbor.vmap(clip).apply(perExample);
    return dev.arbor.tree.Trees.map(t -> ((Tensor) t).mean(0), clipped);
  }

  public static void main(String[] args) {
    Key[] k = Key.of(0).split(3);
    MLP model = MLP.init(k[0], Activation.TANH, 4, 8, 3);
    Tensor xs = Random.normal(k[1], 6, 4);
    Tensor labels = Tensor.of(0, 1, 2, 0, 1, 2);
    MLP grads = perExampleGradients(model, xs, labels);
    System.out.println(
        "per-example gradient of the first weight: " + grads.layers().get(0).weight().shape());
    for (int i = 0; i < 6; i++) {
      final int row = i;
      MLP gi = dev.arbor.tree.Trees.map(t -> ((Tensor) t).get(row), grads);
      System.out.printf(
          Locale.ROOT, "example %d: gradient norm %.4f%n", i, Optimizers.globalNorm(gi).item());
    }
    MLP mean = clippedMeanGradient(grads, 0.5);
    System.out.printf(
        Locale.ROOT, "clipped mean gradient norm %.4f%n", Optimizers.globalNorm(mean).item());
  }
}
