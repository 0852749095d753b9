package dev.arbor.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.arbor.Arbor;
import dev.arbor.ValueAndGrad;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import dev.arbor.tree.Trees;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** The model, data and single-machine reference training the Spark tests compare against. */
final class Training {
  private Training() {}

  /** Parameters: deliberately not Serializable (shipped through SerializedTree). */
  record Mlp(Tensor w1, Tensor b1, Tensor w2, Tensor b2) {}

  /** A shard of examples: x f32[n,4], y f32[n,3]. Shards travel in RDDs, so Serializable. */
  record Batch(Tensor x, Tensor y) implements Serializable {}

  static Mlp init(long seed) {
    Key[] k = Key.of(seed).split(2);
    return new Mlp(
        Random.normal(k[0], 4, 8).mul(0.5),
        Tensor.zeros(8),
        Random.normal(k[1], 8, 3).mul(0.5),
        Tensor.zeros(3));
  }

  static Tensor loss(Mlp p, Batch b) {
    Tensor h = Ops.tanh(b.x().matmul(p.w1()).add(p.b1()));
    Tensor err = h.matmul(p.w2()).add(p.b2()).sub(b.y());
    return err.mul(err).mean();
  }

  static Batch data(long seed, int n) {
    Key[] k = Key.of(seed).split(2);
    Tensor x = Random.normal(k[0], n, 4);
    Tensor y = Ops.sin(x.slice(1, 0, 3)).add(Random.normal(k[1], n, 3).mul(0.1));
    return new Batch(x, y);
  }

  /** Examples {@code [from, to)}. */
  static Batch slice(Batch b, int from, int to) {
    return new Batch(b.x().slice(0, from, to), b.y().slice(0, from, to));
  }

  record Reference(Mlp params, List<Double> losses) {}

  /**
   * Single-machine SGD where step {@code s} trains on the concatenation of shard {@code s} of every
   * partition that has one: the global batch the data-parallel paths see.
   */
  static Reference train(List<List<Batch>> partitions, Mlp params, double lr, int epochs) {
    var vg = Arbor.valueAndGrad(Training::loss);
    int steps = partitions.stream().mapToInt(List::size).max().orElseThrow();
    List<Double> losses = new ArrayList<>();
    for (int e = 0; e < epochs; e++) {
      for (int s = 0; s < steps; s++) {
        List<Tensor> xs = new ArrayList<>();
        List<Tensor> ys = new ArrayList<>();
        for (List<Batch> p : partitions) {
          if (s < p.size()) {
            xs.add(p.get(s).x());
            ys.add(p.get(s).y());
          }
        }
        Batch global =
            new Batch(
                Ops.concat(0, xs.toArray(Tensor[]::new)), Ops.concat(0, ys.toArray(Tensor[]::new)));
        ValueAndGrad<Mlp> r = vg.apply(params, global);
        losses.add(r.value().item());
        params = Trees.map((p, g) -> ((Tensor) p).sub(((Tensor) g).mul(lr)), params, r.grad());
      }
    }
    return new Reference(params, losses);
  }

  static void assertClose(Mlp expected, Mlp actual, double tol) {
    List<Object> e = Trees.leaves(expected);
    List<Object> a = Trees.leaves(actual);
    assertEquals(e.size(), a.size());
    for (int k = 0; k < e.size(); k++) {
      assertArrayEquals(
          ((Tensor) e.get(k)).toFloatArray(),
          ((Tensor) a.get(k)).toFloatArray(),
          (float) tol,
          "leaf " + k);
    }
  }

  static void assertLossesClose(List<Double> expected, List<StepReport> steps, double tol) {
    assertEquals(expected.size(), steps.size(), "number of steps");
    for (int k = 0; k < expected.size(); k++) {
      assertEquals(expected.get(k), steps.get(k).loss(), tol, "loss of step " + k);
    }
  }
}
