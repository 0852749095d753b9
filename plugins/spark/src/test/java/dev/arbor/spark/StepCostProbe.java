package dev.arbor.spark;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.nn.optim.Optimizers.SgdState;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Measures the cost per step of both all-reduce paths (not a test; the numbers in
 * docs/distributed.md come from it). A 784-128-10 tanh MLP (~100k parameters), 2 partitions of
 * shards of 64 examples, 20 steps per epoch, 3 epochs; reports the median step of the last two.
 *
 * <p>Args: {@code [master]} (default {@code local[2]}).
 */
public final class StepCostProbe {
  private StepCostProbe() {}

  record Net(Tensor w1, Tensor b1, Tensor w2, Tensor b2) {}

  record Batch(Tensor x, Tensor y) implements Serializable {}

  static Tensor loss(Net p, Batch b) {
    Tensor h = Ops.tanh(b.x().matmul(p.w1()).add(p.b1()));
    Tensor err = h.matmul(p.w2()).add(p.b2()).sub(b.y());
    return err.mul(err).mean();
  }

  public static void main(String[] args) {
    String master = args.length > 0 ? args[0] : "local[2]";
    Key[] k = Key.of(0).split(4);
    Net init =
        new Net(
            Random.normal(k[0], 784, 128).mul(0.03),
            Tensor.zeros(128),
            Random.normal(k[1], 128, 10).mul(0.1),
            Tensor.zeros(10));
    Batch data =
        new Batch(Random.normal(k[2], 2 * 64 * 20, 784), Random.normal(k[3], 2 * 64 * 20, 10));
    try (var sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster(master)
                .setAppName("StepCostProbe")
                .set("spark.ui.showConsoleProgress", "false"))) {
      JavaRDD<Batch> shards = DataParallel.shard(sc, data, 2, 64).cache();
      for (DataParallel.AllReduce path : DataParallel.AllReduce.values()) {
        long t0 = System.nanoTime();
        var trained =
            DataParallel.of(
                    StepCostProbe::loss, UpdateRule.<Net, SgdState>of(() -> Optimizers.sgd(0.05)))
                .withAllReduce(path)
                .fit(shards, init, 3);
        double wall = (System.nanoTime() - t0) / 1e9;
        List<Double> last =
            trained.steps().stream()
                .filter(r -> r.epoch() >= 1)
                .map(StepReport::seconds)
                .sorted()
                .toList();
        System.out.printf(
            Locale.ROOT,
            "%s on %s: median step %.1f ms (min %.1f, max %.1f) over epochs 2-3; 3 epochs x 20"
                + " steps in %.1f s; loss %.4f -> %.4f%n",
            path,
            master,
            1e3 * last.get(last.size() / 2),
            1e3 * last.getFirst(),
            1e3 * last.getLast(),
            wall,
            trained.steps().getFirst().loss(),
            trained.steps().getLast().loss());
      }
    }
  }
}
