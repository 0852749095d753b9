package dev.arbor.examples;

import dev.arbor.Arbor;
import dev.arbor.ValueAndGrad;
import dev.arbor.array.Tensor;
import dev.arbor.module.State;
import dev.arbor.nn.Activation;
import dev.arbor.nn.BatchNorm;
import dev.arbor.nn.Conv2d;
import dev.arbor.nn.Dropout;
import dev.arbor.nn.Flatten;
import dev.arbor.nn.Layers;
import dev.arbor.nn.Linear;
import dev.arbor.nn.Losses;
import dev.arbor.nn.MLP;
import dev.arbor.nn.MaxPool2d;
import dev.arbor.nn.Padding;
import dev.arbor.nn.Sequential;
import dev.arbor.nn.checkpoint.Checkpoints;
import dev.arbor.nn.optim.Optimizer;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.nn.optim.Schedule;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * A tour of arbor-nn, the source of the snippets in {@code docs/nn.md}: building layers, a training
 * loop with a chained optimizer and a schedule, and a checkpoint round trip. Usage: {@code ./arbor
 * demo --main dev.arbor.examples.NnTour}.
 */
public final class NnTour {
  private NnTour() {}

  /** A batch of images and integer labels. */
  public record Batch(Tensor x, Tensor y) {}

  // layers-begin
  static Sequential convnet(Key key) {
    Key[] k = key.split(4);
    return Sequential.of(
        Conv2d.init(k[0], 1, 8, 3, 1, Padding.SAME), // [N, 28, 28, 1] -> [N, 28, 28, 8]
        BatchNorm.of(8), //                             running statistics are state
        Activation.RELU.layer(),
        new MaxPool2d(2), //                            -> [N, 14, 14, 8]
        new Flatten(), //                               -> [N, 1568]
        Dropout.of(0.2, k[1]), //                       holds its key as state
        Linear.init(k[2], 14 * 14 * 8, 10));
  }

  static MLP mlp(Key key) {
    return MLP.init(key, Activation.RELU, 784, 256, 128, 10); // He-normal weights
  }

  // layers-end

  /** Trains the MLP on random data for {@code steps} steps; returns the first and last loss. */
  public static double[] train(int steps) {
    Key[] k = Key.of(0).split(3);
    Batch batch =
        new Batch(Random.normal(k[1], 64, 784), Random.categorical(k[2], Tensor.zeros(64, 10), 1));
    // train-begin
    MLP model = mlp(k[0]);
    Optimizer<Optimizers.ChainState> opt =
        Optimizers.chain(
            Optimizers.clipByGlobalNorm(1.0),
            Optimizers.adamw(
                Schedule.warmupCosineDecay(1e-3, 10, 1000, 1e-5), 0.9, 0.999, 1e-8, 1e-4));
    Optimizers.ChainState state = opt.init(model);
    BiFunction<MLP, Batch, ValueAndGrad<MLP>> lossAndGrad =
        Arbor.valueAndGrad((MLP m, Batch b) -> Losses.softmaxCrossEntropy(m.call(b.x()), b.y()));
    double first = Double.NaN;
    double last = Double.NaN;
    for (int step = 0; step < steps; step++) {
      ValueAndGrad<MLP> vg = lossAndGrad.apply(model, batch);
      Optimizer.Step<MLP, Optimizers.ChainState> u = opt.update(vg.grad(), state, model);
      model = Optimizers.applyUpdates(model, u.updates());
      state = u.state();
      last = vg.value().item();
      first = step == 0 ? last : first;
    }
    // train-end
    return new double[] {first, last};
  }

  /** Saves a model with its optimizer state and loads it back into a fresh template. */
  public static MLP checkpointRoundTrip(Path file) throws IOException {
    MLP model = mlp(Key.of(1));
    // checkpoint-begin
    record Checkpoint(MLP model, Optimizers.AdamState opt) {}
    Optimizer<Optimizers.AdamState> adam = Optimizers.adam(1e-3);
    Checkpoints.save(file, new Checkpoint(model, adam.init(model)));
    // names are key paths: ".model.layers[0].weight", ".opt.count", ".opt.mu.layers[0].bias", ...
    Checkpoint template = new Checkpoint(mlp(Key.of(2)), adam.init(mlp(Key.of(2))));
    Checkpoint restored = Checkpoints.load(file, template); // shapes checked against the template
    // checkpoint-end
    return restored.model();
  }

  public static void main(String[] args) throws IOException {
    Sequential net = convnet(Key.of(0));
    Tensor images = Random.normal(Key.of(1), 4, 28, 28, 1);
    Sequential updated = State.update(net, images);
    System.out.println(
        "convnet output " + Layers.inferenceMode(updated, true).call(images).shape());
    double[] losses = train(30);
    System.out.printf(
        Locale.ROOT, "MLP loss on a random batch: %.4f -> %.4f%n", losses[0], losses[1]);
    Path file = Files.createTempFile("arbor-tour", ".safetensors");
    MLP restored = checkpointRoundTrip(file);
    System.out.println(
        "restored "
            + Checkpoints.read(file).keySet().size()
            + " tensors; first weight "
            + restored.layers().get(0).weight().shape());
    Files.delete(file);
  }
}
