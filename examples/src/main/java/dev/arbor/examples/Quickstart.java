package dev.arbor.examples;

import dev.arbor.Arbor;
import dev.arbor.ValueAndGrad;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.tree.Trees;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * Fits a small MLP to {@code y = sin(3x)} with {@code Arbor.valueAndGrad} and plain SGD written as
 * a {@code Trees.map} over the parameter record. Usage: {@code Quickstart [steps]}.
 */
public final class Quickstart {
  private Quickstart() {}

  /** One dense layer: a record, so it is a pytree and its gradient is a {@code Dense} too. */
  public record Dense(Tensor w, Tensor b) {
    Tensor apply(Tensor x) {
      return x.matmul(w).add(b);
    }
  }

  /** The model's parameters. */
  public record Mlp(Dense hidden, Dense out) {
    Tensor apply(Tensor x) {
      return out.apply(Ops.tanh(hidden.apply(x)));
    }
  }

  /** A batch of inputs and targets. */
  public record Batch(Tensor x, Tensor y) {}

  static Tensor loss(Mlp params, Batch batch) {
    Tensor err = params.apply(batch.x()).sub(batch.y());
    return err.mul(err).mean();
  }

  static Tensor randn(Random rng, double scale, int... dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    float[] v = new float[n];
    for (int k = 0; k < n; k++) {
      v[k] = (float) (rng.nextGaussian() * scale);
    }
    return Tensor.fromArray(v, dims);
  }

  /** Trains for {@code steps} steps and returns the final loss. */
  public static double train(int steps, boolean verbose) {
    Random rng = new Random(0);
    int hidden = 32;
    Mlp params =
        new Mlp(
            new Dense(randn(rng, 1.0, 1, hidden), Tensor.zeros(hidden)),
            new Dense(randn(rng, 1.0 / Math.sqrt(hidden), hidden, 1), Tensor.zeros(1)));
    float[] xs = new float[64];
    float[] ys = new float[64];
    for (int k = 0; k < xs.length; k++) {
      xs[k] = -1 + 2f * k / (xs.length - 1);
      ys[k] = (float) Math.sin(3 * xs[k]);
    }
    Batch batch = new Batch(Tensor.fromArray(xs, 64, 1), Tensor.fromArray(ys, 64, 1));
    BiFunction<Mlp, Batch, ValueAndGrad<Mlp>> step = Arbor.valueAndGrad(Quickstart::loss);
    double lr = 0.1;
    double last = Double.NaN;
    for (int i = 0; i <= steps; i++) {
      ValueAndGrad<Mlp> vg = step.apply(params, batch);
      last = vg.value().item();
      params = Trees.map((p, g) -> ((Tensor) p).sub(((Tensor) g).mul(lr)), params, vg.grad());
      if (verbose && i % Math.max(1, steps / 10) == 0) {
        System.out.printf("step %4d  loss %.5f%n", i, last);
      }
    }
    return last;
  }

  public static void main(String[] args) {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    System.out.println("Arbor " + Arbor.version() + " on the '" + Arbor.backend() + "' backend");
    System.out.println("fitting y = sin(3x) with a 1-32-1 tanh MLP, full-batch SGD");
    double loss = train(steps, true);
    System.out.printf("final loss %.5f%n", loss);
  }
}
