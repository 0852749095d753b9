package dev.arbor.module;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.GradAndAux;
import dev.arbor.Jitted;
import dev.arbor.WithAux;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.Graph;
import dev.arbor.testing.RuleChecks;
import dev.arbor.testing.Slicing;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * STATE.md section 6, BatchNorm: running statistics kept with {@code State.assign}, read through
 * {@code Ops.stopGradient}, and reduced with {@code Ops.pmean} when the batch is a vmap axis.
 */
class BatchNormTest {
  static final double MOMENTUM = 0.9;
  static final double EPS = 1e-5;

  /**
   * Batch normalization over the features of {@code x}. Training: normalize with the batch's
   * statistics and move the running ones toward them. Evaluation: normalize with the running
   * statistics. {@code axisName == null}: {@code x} is a batch {@code [n, features]}; otherwise
   * {@code x} is one example {@code [features]} inside a vmap whose axis has that name.
   */
  record BatchNorm(
      Tensor runningMean,
      Tensor runningVar,
      Tensor scale,
      Tensor offset,
      boolean training,
      String axisName)
      implements Module<Tensor, Tensor> {
    static BatchNorm of(int features, String axisName) {
      return new BatchNorm(
          Tensor.zeros(features),
          Tensor.ones(features),
          Tensor.ones(features),
          Tensor.zeros(features),
          true,
          axisName);
    }

    BatchNorm evaluating() {
      return new BatchNorm(runningMean, runningVar, scale, offset, false, axisName);
    }

    @Override
    public Tensor call(Tensor x) {
      // running statistics are state, not parameters: no gradient flows into them
      Tensor mean = Ops.stopGradient(runningMean);
      Tensor var = Ops.stopGradient(runningVar);
      if (training) {
        Tensor batchMean = batchMean(x);
        Tensor centered = x.sub(batchMean);
        Tensor batchVar = batchMean(centered.mul(centered));
        State.assign("runningMean", mean.mul(MOMENTUM).add(batchMean.mul(1 - MOMENTUM)));
        State.assign("runningVar", var.mul(MOMENTUM).add(batchVar.mul(1 - MOMENTUM)));
        mean = batchMean;
        var = batchVar;
      }
      return x.sub(mean).div(var.add(EPS).pow(0.5)).mul(scale).add(offset);
    }

    private Tensor batchMean(Tensor v) {
      return axisName == null ? v.mean(0) : Ops.pmean(v, axisName);
    }
  }

  static final Random RNG = new Random(3);

  static Tensor batch() {
    // features with different means and spreads
    Tensor u = RuleChecks.random(RNG, -1, 1, 16, 3);
    return u.mul(Tensor.of(1.0, 0.5, 1.5)).add(Tensor.of(0.7, -0.4, 0.1)).astype(DType.F32);
  }

  /** Per-feature mean and population variance, on the host (independent of the module). */
  static double[][] statistics(Tensor x) {
    int n = x.shape().dim(0);
    int f = x.shape().dim(1);
    double[] v = x.toDoubleArray();
    double[] mean = new double[f];
    double[] var = new double[f];
    for (int j = 0; j < f; j++) {
      for (int i = 0; i < n; i++) {
        mean[j] += v[i * f + j] / n;
      }
      for (int i = 0; i < n; i++) {
        double d = v[i * f + j] - mean[j];
        var[j] += d * d / n;
      }
    }
    return new double[][] {mean, var};
  }

  @Test
  void runningStatisticsReachTheBatchStatisticsAfter100Updates() {
    Tensor x = batch();
    BatchNorm bn = BatchNorm.of(3, null);
    BatchNorm first = State.update(bn, x);
    double[][] stats = statistics(x);
    for (int j = 0; j < 3; j++) {
      assertEquals(0.1 * stats[0][j], first.runningMean().toDoubleArray()[j], 1e-6);
      assertEquals(0.9 + 0.1 * stats[1][j], first.runningVar().toDoubleArray()[j], 1e-6);
    }
    for (int step = 0; step < 100; step++) {
      bn = State.update(bn, x);
    }
    assertArrayEquals(stats[0], bn.runningMean().toDoubleArray(), 5e-5, "running mean");
    assertArrayEquals(stats[1], bn.runningVar().toDoubleArray(), 5e-5, "running variance");
    assertArrayEquals(new double[] {1, 1, 1}, bn.scale().toDoubleArray(), 0, "not state");
  }

  @Test
  void gradientWithRespectToRunningStatisticsIsExactlyZero() {
    Tensor x = batch();
    Tensor target = batch();
    BatchNorm trained = State.update(BatchNorm.of(3, null), x);
    Function<BatchNorm, Tensor> loss =
        b -> {
          Tensor d = b.call(x).sub(target);
          return d.mul(d).mean();
        };

    // evaluation reads the running statistics: stopGradient makes their gradient exactly zero
    BatchNorm g = Arbor.grad(loss).apply(trained.evaluating());
    assertArrayEquals(new double[3], g.runningMean().toDoubleArray(), 0);
    assertArrayEquals(new double[3], g.runningVar().toDoubleArray(), 0);
    assertTrue(norm(g.scale()) > 1e-3 && norm(g.offset()) > 1e-3, "parameters do get gradients");
    // the same formula without stopGradient would differentiate them
    BatchNorm plain =
        Arbor.grad(
                (BatchNorm b) -> {
                  Tensor y =
                      x.sub(b.runningMean())
                          .div(b.runningVar().add(EPS).pow(0.5))
                          .mul(b.scale())
                          .add(b.offset());
                  Tensor d = y.sub(target);
                  return d.mul(d).mean();
                })
            .apply(trained.evaluating());
    assertTrue(norm(plain.runningMean()) > 1e-3, "without stopGradient the gradient is not zero");
    assertArrayEquals(g.scale().toDoubleArray(), plain.scale().toDoubleArray(), 1e-6);

    // training: one pass gives the gradient and the updated module (as auxiliary output)
    GradAndAux<BatchNorm, BatchNorm> step =
        Arbor.gradWithAux(
                (BatchNorm b) -> {
                  Updated<Tensor, BatchNorm> u = State.callAndUpdate(b, x);
                  Tensor d = u.output().sub(target);
                  return new WithAux<>(d.mul(d).mean(), u.module());
                })
            .apply(trained);
    assertArrayEquals(new double[3], step.grad().runningMean().toDoubleArray(), 0);
    assertArrayEquals(new double[3], step.grad().runningVar().toDoubleArray(), 0);
    assertArrayEquals(
        State.update(trained, x).runningMean().toDoubleArray(),
        step.aux().runningMean().toDoubleArray(),
        1e-6);
  }

  @Test
  void underVmapTheRunningStatisticsReduceOverTheNamedAxis() {
    Tensor x = batch();
    BatchNorm whole = State.update(BatchNorm.of(3, null), x);
    BatchNorm perExample = BatchNorm.of(3, "batch");
    Function<Tensor, Module<Tensor, Tensor>> update = perExample::update;
    BatchNorm mapped = (BatchNorm) Arbor.vmap(update, 0, null, "batch").apply(x);
    assertArrayEquals(
        whole.runningMean().toDoubleArray(), mapped.runningMean().toDoubleArray(), 1e-6);
    assertArrayEquals(
        whole.runningVar().toDoubleArray(), mapped.runningVar().toDoubleArray(), 1e-6);
    // and the outputs agree with the whole-batch module, row by row
    Tensor out = Arbor.vmap((Tensor e) -> perExample.call(e), 0, 0, "batch").apply(x);
    Tensor expected = BatchNorm.of(3, null).call(x);
    for (int i = 0; i < 16; i++) {
      assertArrayEquals(
          Slicing.index(expected, 0, i).toDoubleArray(),
          Slicing.index(out, 0, i).toDoubleArray(),
          1e-5);
    }
  }

  static double norm(Tensor t) {
    double s = 0;
    for (double v : t.toDoubleArray()) {
      s += v * v;
    }
    return Math.sqrt(s);
  }

  record Step(BatchNorm bn, Tensor x) {}

  @Test
  void underJitTheAssignsAreOutputsOfTheStagedGraph() {
    Tensor x = batch();
    Function<Step, Updated<Tensor, BatchNorm>> update = s -> State.callAndUpdate(s.bn(), s.x());
    Jitted<Step, Updated<Tensor, BatchNorm>> step = Arbor.jit(update);
    BatchNorm eager = BatchNorm.of(3, null);
    BatchNorm jitted = eager;
    Tensor output = null;
    for (int k = 0; k < 100; k++) {
      Updated<Tensor, BatchNorm> u = step.apply(new Step(jitted, x));
      output = u.output();
      jitted = u.module();
      eager = State.update(eager, x);
    }
    assertEquals(1, step.traceCount(), "traced once; later calls run the compiled graph");
    assertArrayEquals(
        eager.runningMean().toDoubleArray(), jitted.runningMean().toDoubleArray(), 1e-6);
    assertArrayEquals(
        eager.runningVar().toDoubleArray(), jitted.runningVar().toDoubleArray(), 1e-6);
    assertArrayEquals(statistics(x)[0], jitted.runningMean().toDoubleArray(), 5e-5);
    assertArrayEquals(
        eager.call(x).toDoubleArray(), output.toDoubleArray(), 1e-5, "same output as eager");

    // inputs: the 4 state leaves, then x; outputs: the call's output, then the 4 state leaves
    Graph staged = Arbor.makeGraph(update, new Step(BatchNorm.of(3, null), x));
    assertEquals(5, staged.outputs().size(), "the output and every state leaf");
    // scale and offset are not assigned: their outputs are the inputs themselves
    assertEquals(staged.inputs().get(2), staged.outputs().get(3));
    assertEquals(staged.inputs().get(3), staged.outputs().get(4));
    assertTrue(
        !staged.inputs().contains(staged.outputs().get(1))
            && !staged.inputs().contains(staged.outputs().get(2)),
        "the running statistics are computed in the graph");
  }
}
