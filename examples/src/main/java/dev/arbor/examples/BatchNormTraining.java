package dev.arbor.examples;

import dev.arbor.Arbor;
import dev.arbor.GradAndAux;
import dev.arbor.WithAux;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.module.State;
import dev.arbor.module.Updated;
import dev.arbor.nn.Activation;
import dev.arbor.nn.BatchNorm;
import dev.arbor.nn.Layers;
import dev.arbor.nn.Linear;
import dev.arbor.nn.Losses;
import dev.arbor.nn.Sequential;
import dev.arbor.nn.optim.Optimizer;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.util.Locale;

/**
 * BatchNorm's state threaded through training: each step differentiates the loss and, in the same
 * pass, returns the model with its new running statistics ({@code State.callAndUpdate} inside
 * {@code gradWithAux}); the optimizer's updates are applied to that updated model. Evaluation
 * switches to the running statistics with {@code Layers.inferenceMode}. Usage: {@code ./arbor demo
 * --main dev.arbor.examples.BatchNormTraining}.
 */
public final class BatchNormTraining {
  private BatchNormTraining() {}

  /** Two noisy, shifted and scaled classes in 2-d (features far from zero mean, unit scale). */
  public static Tensor[] data(Key key, int n) {
    Key[] k = key.split(2);
    Tensor labels = Ops.astype(Random.bernoulli(k[0], 0.5, n), dev.arbor.array.DType.I32);
    Tensor centre = labels.astype(dev.arbor.array.DType.F32).mul(2.0).add(-1.0).reshape(n, 1);
    Tensor x = Random.normal(k[1], n, 2).add(centre.mul(Tensor.of(1.5f, -1.5f)));
    return new Tensor[] {x.mul(Tensor.of(10f, 0.1f)).add(Tensor.of(50f, -3f)), labels};
  }

  /** The trained model and its accuracy on the training data in inference mode. */
  public record Trained(Sequential model, double accuracy) {}

  // batchnorm-begin
  public static Trained train(int steps) {
    Key[] k = Key.of(0).split(3);
    Sequential model =
        Sequential.of(
            Linear.init(k[0], 2, 16),
            BatchNorm.of(16),
            Activation.RELU.layer(),
            Linear.init(k[1], 16, 2));
    Tensor[] d = data(k[2], 256);
    Tensor x = d[0];
    Tensor y = d[1];
    Optimizer<Optimizers.AdamState> opt = Optimizers.adam(0.01);
    Optimizers.AdamState state = opt.init(model);
    for (int step = 0; step < steps; step++) {
      GradAndAux<Sequential, Sequential> g =
          Arbor.gradWithAux(
                  (Sequential m) -> {
                    Updated<Tensor, Sequential> u = State.callAndUpdate(m, x); // output + new stats
                    return new WithAux<>(Losses.softmaxCrossEntropy(u.output(), y), u.module());
                  })
              .apply(model);
      var update = opt.update(g.grad(), state, model);
      model = Optimizers.applyUpdates(g.aux(), update.updates()); // new stats + new parameters
      state = update.state();
    }
    Sequential eval = Layers.inferenceMode(model, true); // normalize with the running statistics
    return new Trained(model, Losses.accuracy(eval.call(x), y).item());
  }

  // batchnorm-end

  public static void main(String[] args) {
    Trained t = train(args.length > 0 ? Integer.parseInt(args[0]) : 100);
    BatchNorm bn = (BatchNorm) t.model().layers().get(1);
    System.out.println("running mean (first 4): " + bn.runningMean().slice(0, 0, 4));
    System.out.printf(Locale.ROOT, "accuracy in inference mode: %.3f%n", t.accuracy());
  }
}
