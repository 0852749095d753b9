package dev.arbor.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.core.primitives.Convolution;
import dev.arbor.module.Module;
import dev.arbor.module.State;
import dev.arbor.module.Updated;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class LayersTest {
  static Tensor normal(long seed, int... dims) {
    return Random.normal(Key.of(seed), dims);
  }

  static double[] d(Tensor t) {
    return t.toDoubleArray();
  }

  @Test
  void linearIsAMatmulPlusBias() {
    Tensor w = Tensor.of(new float[][] {{1, 2}, {3, 4}, {5, 6}});
    Linear l = new Linear(w, Tensor.of(0.5f, -1f));
    Tensor y = l.call(Tensor.of(new float[][] {{1, 0, -1}, {2, 1, 0}}));
    assertArrayEquals(new double[] {-3.5, -5, 5.5, 7}, d(y), 1e-6);
    assertArrayEquals(
        new double[] {-4, -4}, d(new Linear(w, null).call(Tensor.of(1f, 0f, -1f))), 1e-6);
    var e = assertThrows(IllegalArgumentException.class, () -> l.call(Tensor.zeros(2, 4)));
    assertTrue(e.getMessage().contains("last axis must be 3"), e.getMessage());
    var bias =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Linear(w, Tensor.zeros(3)).call(Tensor.zeros(3)));
    assertTrue(bias.getMessage().contains("bias [out]"), bias.getMessage());
  }

  @Test
  void initializersHaveTheirScaleAndAreReproducible() {
    Linear a = Linear.init(Key.of(7), 400, 300);
    Linear b = Linear.init(Key.of(7), 400, 300);
    assertArrayEquals(d(a.weight()), d(b.weight()), 0);
    assertFalse(
        java.util.Arrays.equals(d(a.weight()), d(Linear.init(Key.of(8), 400, 300).weight())));
    // U(-l, l) has variance l^2 / 3
    double l = 1 / Math.sqrt(400);
    assertEquals(l * l / 3, variance(d(a.weight())), 0.05 * l * l / 3);
    assertTrue(max(d(a.weight())) <= l);
    Tensor he = WeightInit.HE_NORMAL.init(Key.of(1), 500, 10, 500, 200);
    assertEquals(2.0 / 500, variance(d(he)), 0.05 * 2.0 / 500);
    Tensor glorot = WeightInit.GLOROT_UNIFORM.init(Key.of(2), 300, 100, 300, 100);
    assertEquals(2.0 / 400, variance(d(glorot)), 0.05 * 2.0 / 400);
  }

  static double variance(double[] v) {
    double m = 0;
    for (double x : v) {
      m += x / v.length;
    }
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m) / v.length;
    }
    return s;
  }

  static double max(double[] v) {
    double m = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }

  @Test
  void mlpAppliesTheActivationBetweenLayersOnly() {
    MLP mlp = MLP.init(Key.of(0), Activation.RELU, 5, 4, 3);
    Tensor x = normal(1, 2, 5);
    Linear l0 = mlp.layers().get(0);
    Linear l1 = mlp.layers().get(1);
    Tensor expected = l1.call(Activation.RELU.apply(l0.call(x)));
    assertArrayEquals(d(expected), d(mlp.call(x)), 1e-6);
    assertEquals(Shape.of(2, 3), mlp.call(x).shape());
    // a gradient of an MLP is an MLP
    MLP g = Arbor.grad((MLP m) -> m.call(x).sum()).apply(mlp);
    assertEquals(Shape.of(5, 4), g.layers().get(0).weight().shape());
    assertEquals(Activation.RELU, g.activation());
    MLP mismatched =
        new MLP(
            List.of(Linear.init(Key.of(1), 3, 4), Linear.init(Key.of(2), 5, 1)), Activation.TANH);
    var e = assertThrows(IllegalArgumentException.class, () -> mismatched.call(Tensor.zeros(3)));
    assertTrue(e.getMessage().contains("last axis must be 5"), e.getMessage());
  }

  @Test
  void layersRebuildWithBatchedLeavesUnderVmap() {
    // an ensemble: vmap of an initializer over a batch of keys gives one MLP of batched leaves
    Function<Key, MLP> init = k -> MLP.init(k, Activation.TANH, 3, 4, 2);
    MLP ensemble = Arbor.vmap(init).apply(Key.of(5).splitBatch(3));
    assertEquals(Shape.of(3, 3, 4), ensemble.layers().get(0).weight().shape());
    Tensor x = normal(6, 2, 3);
    Tensor outs = Arbor.vmap((MLP m) -> m.call(x)).apply(ensemble);
    assertEquals(Shape.of(3, 2, 2), outs.shape());
    MLP second = MLP.init(Key.of(5).split(3)[1], Activation.TANH, 3, 4, 2);
    assertArrayEquals(d(second.call(x)), d(outs.get(1)), 1e-5);
    Conv2d conv =
        Arbor.vmap((Key k) -> Conv2d.init(k, 1, 2, 3, 1, Padding.SAME))
            .apply(Key.of(1).splitBatch(2));
    assertEquals(Shape.of(2, 3, 3, 1, 2), conv.kernel().shape());
  }

  @Test
  void activationsMatchTheirFormulas() {
    Tensor x = Tensor.of(-2.0, -0.5, 0.0, 0.7, 3.0);
    double[] v = d(x);
    double[] relu = d(Activation.RELU.apply(x));
    double[] silu = d(Activation.SILU.apply(x));
    double[] gelu = d(Activation.GELU.apply(x));
    for (int k = 0; k < v.length; k++) {
      double s = 1 / (1 + Math.exp(-v[k]));
      assertEquals(Math.max(v[k], 0), relu[k], 1e-12);
      assertEquals(v[k] * s, silu[k], 1e-12);
      double g =
          0.5
              * v[k]
              * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v[k] + 0.044715 * Math.pow(v[k], 3))));
      assertEquals(g, gelu[k], 1e-12);
    }
    assertArrayEquals(v, d(Activation.IDENTITY.layer().call(x)), 0);
  }

  @Test
  void conv2dAddsTheBiasAndTakesOneImageOrABatch() {
    Conv2d c = Conv2d.init(Key.of(3), 2, 4, 3, 1, Padding.SAME);
    Tensor x = normal(4, 2, 6, 5, 2);
    Tensor y = c.call(x);
    assertEquals(Shape.of(2, 6, 5, 4), y.shape());
    Tensor direct =
        Convolution.conv(x, c.kernel(), new int[] {1, 1}, new int[] {1, 1, 1, 1}).add(c.bias());
    assertArrayEquals(d(direct), d(y), 1e-6);
    Tensor one = c.call(x.get(1));
    assertArrayEquals(d(y.get(1)), d(one), 1e-6);
    Conv2d strided = Conv2d.init(Key.of(3), 2, 4, 3, 2, Padding.VALID);
    assertEquals(Shape.of(2, 2, 2, 4), strided.call(x).shape());
    assertEquals(
        Shape.of(2, 3, 3, 4), Conv2d.init(Key.of(3), 2, 4, 3, 2, Padding.SAME).call(x).shape());
  }

  @Test
  void poolingReducesNonOverlappingWindowsAndDropsTheRemainder() {
    // one image 5x4x1 with values 0..19; windows of 2: rows {0,1},{2,3}, row 4 dropped
    Tensor x = Tensor.arange(20).astype(DType.F32).reshape(1, 5, 4, 1);
    Tensor max = new MaxPool2d(2).call(x);
    Tensor avg = new AvgPool2d(2).call(x);
    assertEquals(Shape.of(1, 2, 2, 1), max.shape());
    assertArrayEquals(new double[] {5, 7, 13, 15}, d(max), 0);
    assertArrayEquals(new double[] {2.5, 4.5, 10.5, 12.5}, d(avg), 1e-6);
    assertArrayEquals(d(max), d(new MaxPool2d(2).call(x.get(0))), 0);
    // the gradient of max-pooling goes to the maximum of each window
    Tensor g = Arbor.grad((Tensor t) -> new MaxPool2d(2).call(t).sum()).apply(x);
    double[] gv = d(g);
    assertEquals(4, java.util.Arrays.stream(gv).sum(), 0);
    assertEquals(1, gv[5]);
    assertEquals(0, gv[16]);
    assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(8).call(x));
  }

  @Test
  void flattenKeepsTheLeadingAxes() {
    assertEquals(Shape.of(2, 60), new Flatten().call(Tensor.zeros(2, 3, 4, 5)).shape());
    assertEquals(Shape.of(60), new Flatten(0).call(Tensor.zeros(3, 4, 5)).shape());
  }

  @Test
  void layerNormNormalizesEachRow() {
    Tensor x = normal(5, 4, 6).mul(3.0).add(2.0);
    LayerNorm ln = LayerNorm.of(6);
    double[] y = d(ln.call(x));
    for (int r = 0; r < 4; r++) {
      double m = 0;
      double s = 0;
      for (int c = 0; c < 6; c++) {
        m += y[r * 6 + c] / 6;
      }
      for (int c = 0; c < 6; c++) {
        s += Math.pow(y[r * 6 + c] - m, 2) / 6;
      }
      assertEquals(0, m, 1e-5);
      assertEquals(1, s, 1e-3);
    }
  }

  @Test
  void dropoutDropsAtItsRateScalesTheRestAndAdvancesItsKey() {
    Tensor x = Tensor.ones(100, 100);
    Dropout drop = Dropout.of(0.3, Key.of(9));
    Updated<Tensor, Dropout> u = State.callAndUpdate(drop, x);
    double[] y = d(u.output());
    long zeros = java.util.Arrays.stream(y).filter(v -> v == 0).count();
    assertEquals(0.3, zeros / 10000.0, 0.02);
    for (double v : y) {
      assertTrue(v == 0 || Math.abs(v - 1 / 0.7) < 1e-6);
    }
    // the next call draws a different mask; a plain call does not advance the key
    assertNotEquals(u.module().key(), drop.key());
    assertFalse(java.util.Arrays.equals(y, d(u.module().call(x))));
    assertArrayEquals(y, d(drop.call(x)), 0);
    // inference mode is the identity
    assertArrayEquals(d(x), d(drop.withInference(true).call(x)), 0);
  }

  @Test
  void embeddingLooksUpRowsAndScattersGradients() {
    Embedding e = new Embedding(Tensor.arange(12).astype(DType.F32).reshape(4, 3));
    Tensor ids = Tensor.of(2, 0, 2);
    assertArrayEquals(new double[] {6, 7, 8, 0, 1, 2, 6, 7, 8}, d(e.call(ids)), 0);
    Embedding g = Arbor.grad((Embedding m) -> m.call(ids).sum()).apply(e);
    assertArrayEquals(new double[] {1, 1, 1, 0, 0, 0, 2, 2, 2, 0, 0, 0}, d(g.weight()), 0);
    assertThrows(IllegalArgumentException.class, () -> e.call(Tensor.of(1f)));
  }

  // ------------------------------------------------------------ BatchNorm (STATE.md section 6)

  static Tensor batch(long seed) {
    // features with different means and spreads
    return normal(seed, 32, 3).mul(Tensor.of(1.0f, 0.5f, 1.5f)).add(Tensor.of(0.7f, -0.4f, 0.1f));
  }

  static double[][] statistics(Tensor x) {
    int n = x.shape().dim(0);
    int f = x.shape().dim(1);
    double[] v = d(x);
    double[] mean = new double[f];
    double[] var = new double[f];
    for (int j = 0; j < f; j++) {
      for (int i = 0; i < n; i++) {
        mean[j] += v[i * f + j] / n;
      }
      for (int i = 0; i < n; i++) {
        var[j] += Math.pow(v[i * f + j] - mean[j], 2) / n;
      }
    }
    return new double[][] {mean, var};
  }

  @Test
  void batchNormRunningStatisticsReachTheBatchStatisticsAfter100Updates() {
    Tensor x = batch(1);
    BatchNorm bn = BatchNorm.of(3);
    for (int step = 0; step < 100; step++) {
      bn = State.update(bn, x);
    }
    double[][] s = statistics(x);
    assertArrayEquals(s[0], d(bn.runningMean()), 1e-4);
    assertArrayEquals(s[1], d(bn.runningVar()), 1e-4);
    // training output is normalized with the batch statistics
    double[][] out = statistics(bn.call(x));
    assertArrayEquals(new double[3], out[0], 1e-5);
    assertArrayEquals(new double[] {1, 1, 1}, out[1], 1e-3);
  }

  @Test
  void batchNormRunningStatisticsGetExactlyZeroGradient() {
    Tensor x = batch(2);
    BatchNorm trained = State.update(BatchNorm.of(3), x);
    for (boolean inference : new boolean[] {true, false}) {
      BatchNorm g =
          Arbor.grad((BatchNorm b) -> b.call(x).mul(x).sum())
              .apply(trained.withInference(inference));
      assertArrayEquals(new double[3], d(g.runningMean()), 0);
      assertArrayEquals(new double[3], d(g.runningVar()), 0);
      assertTrue(max(d(g.scale())) > 1e-3);
    }
  }

  @Test
  void batchNormUnderVmapReducesOverTheNamedAxis() {
    Tensor x = batch(3);
    BatchNorm whole = State.update(BatchNorm.of(3), x);
    BatchNorm perExample = BatchNorm.of(3, "batch");
    Function<Tensor, Module<Tensor, Tensor>> update = perExample::update;
    BatchNorm mapped = (BatchNorm) Arbor.vmap(update, 0, null, "batch").apply(x);
    assertArrayEquals(d(whole.runningMean()), d(mapped.runningMean()), 1e-6);
    assertArrayEquals(d(whole.runningVar()), d(mapped.runningVar()), 1e-6);
    var e =
        assertThrows(IllegalArgumentException.class, () -> BatchNorm.of(3).call(Tensor.zeros(3)));
    assertTrue(e.getMessage().contains("axis name"), e.getMessage());
  }

  @Test
  void batchNormOverImagesNormalizesPerChannel() {
    Tensor x = normal(4, 2, 3, 3, 2).mul(Tensor.of(2f, 0.5f)).add(Tensor.of(1f, -1f));
    BatchNorm bn = State.update(BatchNorm.of(2), x);
    double[][] s = statistics(x.reshape(18, 2));
    assertArrayEquals(new double[] {0.1 * s[0][0], 0.1 * s[0][1]}, d(bn.runningMean()), 1e-5);
  }

  @Test
  void sequentialThreadsTheStateOfItsLayersAndInferenceModeReachesThem() {
    Key[] k = Key.of(0).split(3);
    Sequential net =
        Sequential.of(
            Linear.init(k[0], 4, 8),
            BatchNorm.of(8),
            Activation.RELU.layer(),
            Dropout.of(0.5, k[1]),
            Linear.init(k[2], 8, 2));
    Tensor x = normal(5, 16, 4);
    Sequential next = State.update(net, x);
    BatchNorm before = (BatchNorm) net.layers().get(1);
    BatchNorm after = (BatchNorm) next.layers().get(1);
    assertFalse(java.util.Arrays.equals(d(before.runningMean()), d(after.runningMean())));
    assertNotEquals(((Dropout) net.layers().get(3)).key(), ((Dropout) next.layers().get(3)).key());
    assertSame(net.layers().get(0), net.layers().get(0));
    // inference mode switches both nested layers; the output is then deterministic
    Sequential eval = Layers.inferenceMode(next, true);
    assertTrue(((BatchNorm) eval.layers().get(1)).inference());
    assertTrue(((Dropout) eval.layers().get(3)).inference());
    assertFalse(((BatchNorm) next.layers().get(1)).inference());
    assertArrayEquals(d(eval.call(x)), d(State.update(eval, x).call(x)), 0);
    // and it works inside any record
    record Holder(Sequential net, Tensor extra) {}
    Holder h = Layers.inferenceMode(new Holder(next, Tensor.zeros(1)), true);
    assertTrue(((Dropout) h.net().layers().get(3)).inference());
  }

  @Test
  void aModelWithADropoutKeyCanBeDifferentiated() {
    Key[] k = Key.of(1).split(2);
    Sequential net = Sequential.of(Linear.init(k[0], 3, 2), Dropout.of(0.5, k[1]));
    Tensor x = normal(2, 4, 3);
    Sequential g = Arbor.grad((Sequential m) -> m.call(x).sum()).apply(net);
    assertEquals(Shape.of(3, 2), ((Linear) g.layers().get(0)).weight().shape());
  }
}
