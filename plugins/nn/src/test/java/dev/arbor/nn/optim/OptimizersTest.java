package dev.arbor.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.nn.Activation;
import dev.arbor.nn.Losses;
import dev.arbor.nn.MLP;
import dev.arbor.nn.optim.Optimizer.Step;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import org.junit.jupiter.api.Test;

class OptimizersTest {
  record Params(Tensor w, Tensor b) {}

  static final Params P = new Params(Tensor.of(1.0f, -2.0f), Tensor.of(0.5f));
  static final Params G = new Params(Tensor.of(0.3f, 0.4f), Tensor.of(-1.0f));

  static double[] d(Tensor t) {
    return t.toDoubleArray();
  }

  @Test
  void sgdStepsAgainstTheGradient() {
    Optimizer<Optimizers.SgdState> opt = Optimizers.sgd(0.1);
    var state = opt.init(P);
    Step<Params, Optimizers.SgdState> s = opt.update(G, state, P);
    Params next = Optimizers.applyUpdates(P, s.updates());
    assertArrayEquals(new double[] {0.97, -2.04}, d(next.w()), 1e-6);
    assertArrayEquals(new double[] {0.6}, d(next.b()), 1e-6);
    assertEquals(1, s.state().count().item());
  }

  @Test
  void sgdMomentumAccumulatesVelocity() {
    Optimizer<Optimizers.SgdState> opt = Optimizers.sgd(0.1, 0.9);
    var state = opt.init(P);
    var s1 = opt.update(G, state, P);
    var s2 = opt.update(G, s1.state(), P);
    // v1 = g, v2 = 0.9 g + g = 1.9 g
    assertArrayEquals(new double[] {-0.1 * 1.9 * 0.3, -0.1 * 1.9 * 0.4}, d(s2.updates().w()), 1e-6);
    var nesterov = Optimizers.sgd(Schedule.constant(0.1), 0.9, true);
    var n1 = nesterov.update(G, nesterov.init(P), P);
    // g + 0.9 v1 = 1.9 g on the first step
    assertArrayEquals(new double[] {-0.1 * 1.9 * 0.3, -0.1 * 1.9 * 0.4}, d(n1.updates().w()), 1e-6);
  }

  /** Adam written out in doubles for one scalar parameter. */
  static double[] adamReference(double[] grads, double lr, double wd, double p0) {
    double m = 0;
    double v = 0;
    double p = p0;
    double[] out = new double[grads.length];
    for (int t = 1; t <= grads.length; t++) {
      double g = grads[t - 1];
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      double mh = m / (1 - Math.pow(0.9, t));
      double vh = v / (1 - Math.pow(0.999, t));
      p = p - lr * (mh / (Math.sqrt(vh) + 1e-8) + wd * p);
      out[t - 1] = p;
    }
    return out;
  }

  @Test
  void adamAndAdamwMatchTheirDefinitions() {
    double[] grads = {0.5, -0.2, 0.1, 0.3};
    for (double wd : new double[] {0, 0.1}) {
      Optimizer<Optimizers.AdamState> opt =
          wd == 0 ? Optimizers.adam(0.01) : Optimizers.adamw(0.01, wd);
      Tensor p = Tensor.of(1.5f);
      var state = opt.init(p);
      double[] expected = adamReference(grads, 0.01, wd, 1.5);
      for (int t = 0; t < grads.length; t++) {
        var s = opt.update(Tensor.of((float) grads[t]), state, p);
        p = Optimizers.applyUpdates(p, s.updates());
        state = s.state();
        assertEquals(expected[t], p.item(), 1e-6, "step " + t + " wd " + wd);
      }
    }
    // a mask: decay the matrix, not the vector
    record Layer(Tensor w, Tensor b) {}
    Layer layer = new Layer(Tensor.ones(2, 2), Tensor.ones(2));
    Layer zero = new Layer(Tensor.zeros(2, 2), Tensor.zeros(2));
    var masked =
        Optimizers.adamw(Schedule.constant(0.1), 0.9, 0.999, 1e-8, 0.5, Optimizers.DECAY_MATRICES);
    Layer u = masked.update(zero, masked.init(layer), layer).updates();
    assertArrayEquals(new double[] {-0.05, -0.05, -0.05, -0.05}, d(u.w()), 1e-7);
    assertArrayEquals(new double[] {0, 0}, d(u.b()), 0);
    var adamw = Optimizers.adamw(0.01, 0.1);
    assertThrows(IllegalArgumentException.class, () -> adamw.update(G, adamw.init(P), null));
  }

  @Test
  void clipByGlobalNormRescalesOnlyLargeGradients() {
    // |G| = sqrt(0.09 + 0.16 + 1) = sqrt(1.25)
    double norm = Math.sqrt(1.25);
    assertEquals(norm, Optimizers.globalNorm(G).item(), 1e-6);
    var clip = Optimizers.clipByGlobalNorm(0.5);
    Params c = clip.update(G, clip.init(G), null).updates();
    assertEquals(0.5, Optimizers.globalNorm(c).item(), 1e-6);
    assertArrayEquals(new double[] {0.3 * 0.5 / norm, 0.4 * 0.5 / norm}, d(c.w()), 1e-6);
    var loose = Optimizers.clipByGlobalNorm(10);
    assertArrayEquals(d(G.w()), d(loose.update(G, loose.init(G), null).updates().w()), 1e-7);
  }

  @Test
  void chainFeedsEachPartTheUpdatesOfThePrevious() {
    var chain = Optimizers.chain(Optimizers.clipByGlobalNorm(0.5), Optimizers.sgd(1.0));
    var s = chain.update(G, chain.init(P), P);
    assertEquals(0.5, Optimizers.globalNorm(s.updates()).item(), 1e-6);
    assertEquals(2, s.state().states().size());
    assertThrows(
        IllegalArgumentException.class,
        () -> chain.update(G, new Optimizers.ChainState(java.util.List.of()), P));
  }

  @Test
  void schedulesFollowTheirFormulas() {
    assertEquals(0.3, Schedule.constant(0.3).at(100), 1e-7);
    Schedule exp = Schedule.exponentialDecay(1.0, 10, 0.5, false);
    assertEquals(Math.pow(0.5, 0.5), exp.at(5), 1e-6);
    assertEquals(1.0, Schedule.exponentialDecay(1.0, 10, 0.5, true).at(9), 1e-7);
    assertEquals(0.5, Schedule.exponentialDecay(1.0, 10, 0.5, true).at(10), 1e-7);
    Schedule cos = Schedule.cosineDecay(1.0, 100, 0.1);
    assertEquals(1.0, cos.at(0), 1e-6);
    assertEquals(0.55, cos.at(50), 1e-6);
    assertEquals(0.1, cos.at(100), 1e-6);
    assertEquals(0.1, cos.at(1000), 1e-6);
    Schedule warm = Schedule.warmupCosineDecay(1.0, 10, 110, 0.0);
    assertEquals(0.5, warm.at(5), 1e-6);
    assertEquals(1.0, warm.at(10), 1e-6);
    assertEquals(0.5, warm.at(60), 1e-6);
    assertEquals(0.0, warm.at(110), 1e-6);
    // an optimizer uses the rate of its step count
    var sgd = Optimizers.sgd(Schedule.exponentialDecay(1.0, 1, 0.5, true), 0, false);
    var s1 = sgd.update(G, sgd.init(P), P);
    var s2 = sgd.update(G, s1.state(), P);
    assertArrayEquals(new double[] {-0.15, -0.2}, d(s2.updates().w()), 1e-6);
  }

  @Test
  void integerLeavesAreLeftAlone() {
    record WithKey(Tensor w, Key key) {}
    WithKey p = new WithKey(Tensor.of(1f), Key.of(3));
    WithKey g = new WithKey(Tensor.of(2f), Key.of(3));
    var adam = Optimizers.adam(0.1);
    var s = adam.update(g, adam.init(p), p);
    WithKey next = Optimizers.applyUpdates(p, s.updates());
    assertSame(p.key().data(), next.key().data());
    assertEquals(DType.I32, next.key().data().dtype());
    assertTrue(next.w().item() < 1);
  }

  @Test
  void adamTrainsASmallClassifier() {
    // two Gaussian blobs; a tiny MLP must separate them
    Key[] k = Key.of(11).split(3);
    Tensor x0 = Random.normal(k[0], 32, 2).add(Tensor.of(2f, 2f));
    Tensor x1 = Random.normal(k[1], 32, 2).add(Tensor.of(-2f, -2f));
    Tensor x = dev.arbor.array.Ops.concat(0, x0, x1);
    int[] y = new int[64];
    for (int i = 32; i < 64; i++) {
      y[i] = 1;
    }
    Tensor labels = Tensor.of(y);
    MLP model = MLP.init(k[2], Activation.TANH, 2, 8, 2);
    var opt = Optimizers.adam(0.05);
    var state = opt.init(model);
    var vg =
        Arbor.valueAndGrad((MLP m, Tensor in) -> Losses.softmaxCrossEntropy(m.call(in), labels));
    double first = vg.apply(model, x).value().item();
    for (int step = 0; step < 30; step++) {
      var r = vg.apply(model, x);
      var s = opt.update(r.grad(), state, model);
      model = Optimizers.applyUpdates(model, s.updates());
      state = s.state();
    }
    double last = vg.apply(model, x).value().item();
    assertTrue(last < first / 5, "loss " + first + " -> " + last);
    assertEquals(1.0, Losses.accuracy(model.call(x), labels).item(), 0.02);
  }
}
