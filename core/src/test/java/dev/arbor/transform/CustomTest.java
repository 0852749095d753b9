package dev.arbor.transform;

import static dev.arbor.testing.RuleChecks.checkJvp;
import static dev.arbor.testing.RuleChecks.checkVjp;
import static dev.arbor.testing.RuleChecks.checkVmap;
import static dev.arbor.testing.RuleChecks.random;
import static dev.arbor.testing.Transforms.grad;
import static dev.arbor.testing.Transforms.gradFn;
import static dev.arbor.testing.Transforms.vmap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.Equation;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.transform.ad.Ad;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class CustomTest {
  // ------------------------------------------------------------ customJvp

  /** sin with a deliberately wrong JVP (3 t): only a used rule gives 3. */
  static final Function<List<Tensor>, List<Tensor>> SIN_WITH_TRIPLE_TANGENT =
      Custom.customJvp(
          l -> List.of(Ops.sin(l.get(0))),
          (x, t) -> new Custom.JvpOut(List.of(Ops.sin(x.get(0))), List.of(t.get(0).mul(3.0))));

  @Test
  void customJvpRuleIsUsedByJvpAndGrad() {
    Tensor x = Tensor.of(0.2, 0.9);
    assertArrayEquals(
        new double[] {Math.sin(0.2), Math.sin(0.9)},
        SIN_WITH_TRIPLE_TANGENT.apply(List.of(x)).get(0).toDoubleArray(),
        1e-12);
    Ad.JvpOut j = Ad.jvp(SIN_WITH_TRIPLE_TANGENT, List.of(x), List.of(Tensor.of(1.0, 2.0)), "jvp");
    assertArrayEquals(new double[] {3, 6}, j.tangents().get(0).toDoubleArray(), 1e-12);
    Tensor g = grad(l -> SIN_WITH_TRIPLE_TANGENT.apply(l).get(0).sum(), List.of(x)).get(0);
    assertArrayEquals(new double[] {3, 3}, g.toDoubleArray(), 1e-12);
  }

  /** A stable softplus whose rule computes the derivative as a sigmoid. */
  static final Function<List<Tensor>, List<Tensor>> SOFTPLUS =
      Custom.customJvp(
          l -> List.of(Ops.log(Ops.exp(l.get(0)).add(1.0))),
          (x, t) -> {
            Tensor e = Ops.exp(x.get(0));
            return new Custom.JvpOut(
                List.of(Ops.log(e.add(1.0))), List.of(t.get(0).mul(e.div(e.add(1.0)))));
          });

  @Test
  void customJvpComposes() {
    Random rng = new Random(1);
    Tensor x = random(rng, -2, 2, 3);
    checkJvp("softplus", SOFTPLUS, List.of(x), 1e-6);
    checkVjp("softplus", SOFTPLUS, List.of(x), 1e-9);
    checkVmap("softplus", SOFTPLUS, List.of(random(rng, -2, 2, 4, 3)), new int[] {0}, 1e-12);
    Function<List<Tensor>, Tensor> loss = l -> SOFTPLUS.apply(l).get(0).sum();
    // vmap(grad) and grad(vmap) use the (batched) rule: the triple-tangent rule shows it.
    Tensor xs = random(rng, -1, 1, 4, 2);
    Tensor vg =
        vmap(
                l -> List.of(grad(m -> SIN_WITH_TRIPLE_TANGENT.apply(m).get(0).sum(), l).get(0)),
                List.of(xs),
                new int[] {0})
            .get(0);
    assertArrayEquals(new double[] {3, 3, 3, 3, 3, 3, 3, 3}, vg.toDoubleArray(), 1e-12);
    Tensor gv =
        grad(l -> vmap(SIN_WITH_TRIPLE_TANGENT, l, new int[] {0}).get(0).sum(), List.of(xs)).get(0);
    assertArrayEquals(vg.toDoubleArray(), gv.toDoubleArray(), 1e-12);
    // Second order through the rule.
    checkJvp("grad of softplus", gradFn(loss), List.of(x), 1e-6);
  }

  @Test
  void customJvpRefusesDifferentiatingACapturedValue() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                grad(
                    l -> {
                      Tensor w = l.get(0);
                      var f =
                          Custom.customJvp(
                              m -> List.of(m.get(0).mul(w)),
                              (x, t) ->
                                  new Custom.JvpOut(List.of(x.get(0).mul(w)), List.of(t.get(0))));
                      return f.apply(List.of(Tensor.of(1.0))).get(0).sum();
                    },
                    List.of(Tensor.of(2.0))));
    assertTrue(e.getMessage().contains("pass that value as an argument"), e.getMessage());
  }

  // ------------------------------------------------------------ customVjp

  /** x^2 whose backward rule is deliberately 10 x ct (the true one is 2 x ct). */
  static final Function<List<Tensor>, List<Tensor>> SQUARE_WITH_TEN_X =
      Custom.customVjp(
          l -> List.of(l.get(0).mul(l.get(0))),
          l -> new Custom.FwdOut(List.of(l.get(0).mul(l.get(0))), List.of(l.get(0))),
          (res, ct) -> List.of(ct.get(0).mul(res.get(0)).mul(10.0)));

  @Test
  void customVjpBackwardRuleIsUsed() {
    Tensor x = Tensor.of(1.0, -2.0);
    assertArrayEquals(
        new double[] {1, 4}, SQUARE_WITH_TEN_X.apply(List.of(x)).get(0).toDoubleArray(), 1e-12);
    Tensor g = grad(l -> SQUARE_WITH_TEN_X.apply(l).get(0).sum(), List.of(x)).get(0);
    assertArrayEquals(new double[] {10, -20}, g.toDoubleArray(), 1e-12);
    // Composed with ordinary ops on both sides.
    Tensor g2 =
        grad(
                l -> Ops.sin(SQUARE_WITH_TEN_X.apply(List.of(l.get(0).mul(3.0))).get(0)).sum(),
                List.of(x))
            .get(0);
    double[] want = new double[2];
    for (int k = 0; k < 2; k++) {
      double u = 3 * x.toDoubleArray()[k];
      want[k] = Math.cos(u * u) * 10 * u * 3;
    }
    assertArrayEquals(want, g2.toDoubleArray(), 1e-12);
  }

  @Test
  void customVjpUnderVmap() {
    Tensor xs = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
    Function<List<Tensor>, Tensor> loss = l -> SQUARE_WITH_TEN_X.apply(l).get(0).sum();
    Tensor vg = vmap(l -> List.of(grad(loss, l).get(0)), List.of(xs), new int[] {0}).get(0);
    assertArrayEquals(new double[] {10, 20, 30, 40, 50, 60}, vg.toDoubleArray(), 1e-12);
    Tensor gv =
        grad(l -> vmap(SQUARE_WITH_TEN_X, l, new int[] {0}).get(0).sum(), List.of(xs)).get(0);
    assertArrayEquals(vg.toDoubleArray(), gv.toDoubleArray(), 1e-12);
    checkVmap("customVjp", SQUARE_WITH_TEN_X, List.of(xs), new int[] {1}, 0);
  }

  @Test
  void forwardModeThroughCustomVjpIsRefused() {
    UnsupportedOperationException e =
        assertThrows(
            UnsupportedOperationException.class,
            () ->
                Ad.jvp(SQUARE_WITH_TEN_X, List.of(Tensor.of(1.0)), List.of(Tensor.of(1.0)), "jvp"));
    assertTrue(e.getMessage().contains("customJvp"), e.getMessage());
  }

  @Test
  void customVjpWithATrueRulePassesTheVjpCheck() {
    // d/dx, d/dy of x * sin(y), via a hand-written bwd.
    var f =
        Custom.customVjp(
            l -> List.of(l.get(0).mul(Ops.sin(l.get(1)))),
            l -> new Custom.FwdOut(List.of(l.get(0).mul(Ops.sin(l.get(1)))), l),
            (res, ct) ->
                List.of(
                    ct.get(0).mul(Ops.sin(res.get(1))),
                    ct.get(0).mul(res.get(0)).mul(Ops.cos(res.get(1)))));
    Random rng = new Random(2);
    Tensor x = random(rng, -1, 1, 3);
    Tensor y = random(rng, -1, 1, 3);
    List<Tensor> g = grad(l -> f.apply(l).get(0).sum(), List.of(x, y));
    double[] xd = x.toDoubleArray();
    double[] yd = y.toDoubleArray();
    for (int k = 0; k < 3; k++) {
      assertEquals(Math.sin(yd[k]), g.get(0).toDoubleArray()[k], 1e-12);
      assertEquals(xd[k] * Math.cos(yd[k]), g.get(1).toDoubleArray()[k], 1e-12);
    }
    // grad of grad: bwd's own operations are differentiated by the outer pass.
    Tensor d2 =
        grad(l -> grad(m -> f.apply(m).get(0).sum(), List.of(x, l.get(0))).get(1).sum(), List.of(y))
            .get(0);
    for (int k = 0; k < 3; k++) {
      assertEquals(-xd[k] * Math.sin(yd[k]), d2.toDoubleArray()[k], 1e-12);
    }
  }

  // ------------------------------------------------------------ checkpoint

  static final AtomicInteger RUNS = new AtomicInteger();

  /** tanh that counts how often its kernel runs (a forward evaluation). */
  static final Primitive COUNTED_TANH =
      Primitive.single("counted_tanh")
          .shapeRule((in, p) -> List.of(in.get(0)))
          .reference(
              (in, p, out) -> {
                RUNS.incrementAndGet();
                HostArray r = HostArray.zeros(out.get(0));
                for (int k = 0; k < r.size(); k++) {
                  r.setDouble(k, Math.tanh(in.get(0).getDouble(k)));
                }
                return List.of(r);
              });

  static {
    COUNTED_TANH.batch((a, d, p) -> Elementwise.batchElementwise(COUNTED_TANH, a, d, p));
    COUNTED_TANH.jvp(
        (x, t, p) -> {
          Tensor y = COUNTED_TANH.bind1(x.get(0));
          Tensor d =
              Elementwise.sub(dev.arbor.core.primitives.AdMath.onesLike(y), Elementwise.mul(y, y));
          return JvpResult.of(y, Elementwise.mul(t.get(0), d));
        });
  }

  static List<Tensor> twoLayers(List<Tensor> l) {
    return List.of(COUNTED_TANH.bind1(COUNTED_TANH.bind1(l.get(0)).mul(2.0)));
  }

  @Test
  void checkpointRecomputesInTheBackwardPass() {
    Tensor x = Tensor.of(0.3, -0.6);
    var remat = Custom.checkpoint(CustomTest::twoLayers);

    RUNS.set(0);
    Ad.Linearized plain = Ad.linearize(CustomTest::twoLayers, List.of(x), "plain");
    int plainForward = RUNS.get();
    Tensor gPlain = plain.transpose(List.of(Tensor.of(1.0, 1.0))).get(0);
    int plainBackward = RUNS.get() - plainForward;

    RUNS.set(0);
    Ad.Linearized lin = Ad.linearize(remat, List.of(x), "checkpointed");
    int rematForward = RUNS.get();
    Tensor gRemat = lin.transpose(List.of(Tensor.of(1.0, 1.0))).get(0);
    int rematBackward = RUNS.get() - rematForward;

    assertArrayEquals(gPlain.toDoubleArray(), gRemat.toDoubleArray(), 1e-12);
    assertEquals(2, plainForward);
    assertEquals(0, plainBackward, "without checkpoint the backward pass reads stored values");
    assertEquals(2, rematForward);
    assertEquals(2, rematBackward, "with checkpoint both layers are recomputed backwards");
    // The stored linear graph is one checkpoint equation whose non-linear operand is x itself,
    // not the first layer's output.
    assertEquals(1, lin.linear().equations().size(), lin.linear().toString());
    Equation e = lin.linear().equations().get(0);
    assertEquals("checkpoint", e.primitive().name());
    assertEquals(List.of(x), lin.linear().constValues());
    // Values are unchanged, and the rules hold.
    assertArrayEquals(
        twoLayers(List.of(x)).get(0).toDoubleArray(),
        remat.apply(List.of(x)).get(0).toDoubleArray(),
        1e-12);
    Random rng = new Random(3);
    checkJvp("checkpoint", remat, List.of(random(rng, -1, 1, 3)), 1e-6);
    checkVjp("checkpoint", remat, List.of(random(rng, -1, 1, 3)), 1e-9);
    checkVmap("checkpoint", remat, List.of(random(rng, -1, 1, 2, 3)), new int[] {0}, 1e-12);
    checkVjp(
        "grad of checkpoint",
        gradFn(l -> remat.apply(l).get(0).sum()),
        List.of(random(rng, -1, 1, 3)),
        1e-9);
  }
}
