package dev.arbor.spark.examples;

import dev.arbor.array.Tensor;
import dev.arbor.examples.fashion.FashionMnist;
import dev.arbor.examples.fashion.FashionMnistDemo;
import dev.arbor.module.Module;
import dev.arbor.nn.Losses;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.nn.optim.Optimizers.AdamState;
import dev.arbor.random.Key;
import dev.arbor.spark.DataParallel;
import dev.arbor.spark.UpdateRule;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The Fashion-MNIST demo's MLP (784-256-128-100-10, ReLU, Adam) trained data-parallel on Spark:
 * {@code ./arbor spark-demo [--master local[2]] [--epochs 1] [--partitions 2] [--shard 64] [--lr
 * 1e-3] [--train N] [--test N] [--data DIR|bundled]} (bundled 6,000/1,000 subset by default).
 * Prints the loss as it trains and the test accuracy.
 */
public final class SparkFashionMnist {
  private SparkFashionMnist() {}

  /** A shard: images f32[n,784] and labels i32[n]. */
  public record Batch(Tensor x, Tensor y) implements Serializable {}

  /** Mean softmax cross-entropy of the model on a shard. */
  static Tensor loss(Module<Tensor, Tensor> model, Batch b) {
    return Losses.softmaxCrossEntropy(model.call(b.x()), b.y());
  }

  /** The options; {@link #parse} reads them from the command line. */
  public record Options(
      String master,
      int epochs,
      int partitions,
      int shard,
      double lr,
      int train,
      int test,
      String data,
      long seed) {
    static Options parse(String[] args) {
      String master = "local[2]";
      int epochs = 1;
      int partitions = 2;
      int shard = 64;
      double lr = 1e-3;
      int train = Integer.MAX_VALUE;
      int test = Integer.MAX_VALUE;
      String data = "bundled";
      for (int i = 0; i < args.length; i += 2) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value after " + args[i]);
        }
        String v = args[i + 1];
        switch (args[i]) {
          case "--master" -> master = v;
          case "--epochs" -> epochs = Integer.parseInt(v);
          case "--partitions" -> partitions = Integer.parseInt(v);
          case "--shard" -> shard = Integer.parseInt(v);
          case "--lr" -> lr = Double.parseDouble(v);
          case "--train" -> train = Integer.parseInt(v);
          case "--test" -> test = Integer.parseInt(v);
          case "--data" -> data = v;
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      return new Options(master, epochs, partitions, shard, lr, train, test, data, 0);
    }
  }

  /** What a run gives: the loss of every step and the final test accuracy. */
  public record Result(java.util.List<Double> losses, double testAccuracy) {}

  public static void main(String[] args) throws Exception {
    run(Options.parse(args), System.out);
  }

  public static Result run(Options o, PrintStream out) throws Exception {
    FashionMnist.Splits splits = FashionMnist.load(Path.of(o.data()));
    FashionMnist train = splits.train().head(o.train());
    FashionMnist test = splits.test().head(o.test());
    int n = train.size();
    Batch all =
        new Batch(
            Tensor.fromArray(train.images(), n, FashionMnist.PIXELS), Tensor.of(train.labels()));
    Module<Tensor, Tensor> model =
        FashionMnistDemo.model(FashionMnistDemo.ModelKind.mlp, Key.of(o.seed()));
    out.printf(
        Locale.ROOT,
        "Fashion-MNIST (%s): %d train / %d test; MLP on %s, %d partitions x %d = global batch %d,"
            + " Adam lr %s, %d epoch(s)%n",
        splits.source(),
        n,
        test.size(),
        o.master(),
        o.partitions(),
        o.shard(),
        o.partitions() * o.shard(),
        o.lr(),
        o.epochs());
    SparkConf conf = new SparkConf().setMaster(o.master()).setAppName("arbor-fashion-mnist");
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      sc.setLogLevel("WARN");
      double lr = o.lr();
      var trained =
          DataParallel.of(
                  SparkFashionMnist::loss,
                  UpdateRule.<Module<Tensor, Tensor>, AdamState>of(() -> Optimizers.adam(lr)))
              .onStep(
                  r -> {
                    if (r.step() % 10 == 0) {
                      out.printf(
                          Locale.ROOT,
                          "epoch %d step %3d  loss %.4f  %.0f examples/s%n",
                          r.epoch(),
                          r.step(),
                          r.loss(),
                          r.examplesPerSecond());
                    }
                  })
              .fit(DataParallel.shard(sc, all, o.partitions(), o.shard()), model, o.epochs());
      double acc =
          FashionMnistDemo.accuracy(trained.params(), test, FashionMnistDemo.ModelKind.mlp);
      out.printf(Locale.ROOT, "test accuracy %.1f%%%n", 100 * acc);
      return new Result(trained.steps().stream().map(s -> s.loss()).toList(), acc);
    }
  }
}
