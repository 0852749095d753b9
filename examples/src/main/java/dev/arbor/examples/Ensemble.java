package dev.arbor.examples;

import dev.arbor.Arbor;
import dev.arbor.array.Ops;
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
 * An ensemble by {@code vmap} over initializers: {@code Key.splitBatch(n)} makes n keys as one
 * batched key, {@code vmap} of a function that initializes and trains one model returns one {@code
 * MLP} whose every leaf has a leading member axis. Predictions of all members come from one more
 * {@code vmap}. Usage: {@code ./arbor demo --main dev.arbor.examples.Ensemble}.
 */
public final class Ensemble {
  private Ensemble() {}

  /** Noisy samples of {@code y = sin(3x)} on [-1, 1]. */
  public static Tensor[] data(int n) {
    Tensor x =
        Ops.reshape(
            Tensor.arange(n).astype(dev.arbor.array.DType.F32).mul(2.0 / (n - 1)).add(-1.0), n, 1);
    Tensor y = Ops.sin(x.mul(3.0)).add(Random.normal(Key.of(99), n, 1).mul(0.1));
    return new Tensor[] {x, y};
  }

  // ensemble-begin
  /** Initializes one MLP from {@code key} and trains it with Adam on {@code (x, y)}. */
  public static MLP trainOne(Key key, int steps, Tensor x, Tensor y) {
    MLP m = MLP.init(key, Activation.TANH, 1, 16, 1);
    var opt = Optimizers.adam(0.02);
    var state = opt.init(m);
    var grad = Arbor.grad((MLP p) -> Losses.mse(p.call(x), y));
    for (int i = 0; i < steps; i++) {
      var u = opt.update(grad.apply(m), state, m);
      m = Optimizers.applyUpdates(m, u.updates());
      state = u.state();
    }
    return m;
  }

  /**
   * Trains {@code members} MLPs from independent initializations at once: one MLP whose leaves have
   * a leading member axis. Member i is the model {@code trainOne(Key.of(42).split(members)[i])}.
   */
  public static MLP train(int members, int steps, Tensor x, Tensor y) {
    Function<Key, MLP> initAndTrain = key -> trainOne(key, steps, x, y);
    return Arbor.vmap(initAndTrain).apply(Key.of(42).splitBatch(members));
  }

  /** Every member's prediction, {@code [members, n, 1]}. */
  public static Tensor predict(MLP ensemble, Tensor x) {
    return Arbor.vmap((MLP m) -> m.call(x)).apply(ensemble);
  }

  // ensemble-end

  public static void main(String[] args) {
    Tensor[] d = data(32);
    MLP ensemble = train(5, args.length > 0 ? Integer.parseInt(args[0]) : 150, d[0], d[1]);
    System.out.println(
        "first-layer weights, one row per member: " + ensemble.layers().get(0).weight().shape());
    Tensor preds = predict(ensemble, d[0]);
    for (int m = 0; m < 5; m++) {
      System.out.printf(
          Locale.ROOT, "member %d: mse %.4f%n", m, Losses.mse(preds.get(m), d[1]).item());
    }
    System.out.printf(
        Locale.ROOT, "ensemble mean: mse %.4f%n", Losses.mse(preds.mean(0), d[1]).item());
  }
}
