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

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.StagingTrace;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.transform.ad.Ad;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ControlTest {
  static Tensor gt0(Tensor s) {
    return Elementwise.gt(s, Tensor.full(0, s.dtype(), s.shape().dims()));
  }

  static Tensor lt(Tensor s, double c) {
    return Elementwise.lt(s, Tensor.full(c, s.dtype(), s.shape().dims()));
  }

  /** cond(sum(x) > 0, sin(x) * y, cos(x) + y): both branches use both operands. */
  static List<Tensor> condFn(List<Tensor> l) {
    return Control.cond(
        gt0(l.get(0).sum()),
        o -> List.of(Ops.sin(o.get(0)).mul(o.get(1))),
        o -> List.of(Ops.cos(o.get(0)).add(o.get(1))),
        List.of(l.get(0), l.get(1)));
  }

  // ------------------------------------------------------------ cond / switch

  @Test
  void condRunsTheChosenBranch() {
    Tensor x = Tensor.of(0.5, 1.0);
    Tensor y = Tensor.of(2.0, 3.0);
    assertArrayEquals(
        new double[] {Math.sin(0.5) * 2, Math.sin(1.0) * 3},
        condFn(List.of(x, y)).get(0).toDoubleArray(),
        1e-12);
    Tensor xn = Tensor.of(-0.5, -1.0);
    assertArrayEquals(
        new double[] {Math.cos(-0.5) + 2, Math.cos(-1.0) + 3},
        condFn(List.of(xn, y)).get(0).toDoubleArray(),
        1e-12);
  }

  @Test
  void switchCaseClampsTheIndex() {
    List<Function<List<Tensor>, List<Tensor>>> branches =
        List.of(l -> List.of(l.get(0).mul(10.0)), l -> List.of(l.get(0).add(1.0)), l -> l);
    Tensor x = Tensor.of(2.0);
    double[] expected = {20, 20, 3, 2, 2};
    for (int i = -1; i <= 3; i++) {
      Tensor idx = Tensor.full(i, DType.I32);
      assertEquals(expected[i + 1], Control.switchCase(idx, branches, List.of(x)).get(0).item());
    }
  }

  @Test
  void condRules() {
    Random rng = new Random(3);
    Tensor y = random(rng, -1, 1, 3);
    for (double sign : new double[] {1, -1}) {
      Tensor x = random(rng, 0.1, 1, 3).mul(sign);
      checkJvp("cond" + sign, ControlTest::condFn, List.of(x, y), 1e-6);
      checkVjp("cond" + sign, ControlTest::condFn, List.of(x, y), 1e-9);
    }
    // Batched predicate (rows of mixed signs): both branches run and select per element.
    Tensor xs =
        Tensor.fromArray(new double[] {0.5, 0.2, 0.1, -0.5, -0.3, 0.1, 0.4, -0.1, 0.2}, 3, 3);
    checkVmap("cond batched pred", ControlTest::condFn, List.of(xs, y), new int[] {0, -1}, 1e-12);
    // Unbatched predicate, batched operand: one cond with batched branches.
    Tensor ys = random(rng, -1, 1, 3, 4);
    checkVmap(
        "cond unbatched pred",
        ControlTest::condFn,
        List.of(Tensor.of(0.3, 0.2, -0.1), ys),
        new int[] {-1, 1},
        1e-12);
  }

  @Test
  void switchCaseRules() {
    Function<List<Tensor>, List<Tensor>> f =
        l ->
            Control.switchCase(
                l.get(1),
                List.of(
                    o -> List.of(Ops.tanh(o.get(0))),
                    o -> List.of(o.get(0).mul(o.get(0))),
                    o -> List.of(Ops.exp(o.get(0)))),
                List.of(l.get(0)));
    Random rng = new Random(4);
    Tensor x = random(rng, -1, 1, 2);
    for (int i = 0; i < 3; i++) {
      List<Tensor> in = List.of(x, Tensor.full(i, DType.I32));
      checkJvp("switch" + i, f, in, 1e-6);
      checkVjp("switch" + i, f, in, 1e-9);
    }
    checkVmap(
        "switch batched index",
        f,
        List.of(random(rng, -1, 1, 4, 2), Tensor.of(0, 1, 2, 5)),
        new int[] {0, 0},
        1e-12);
  }

  @Test
  void condClosesOverAnOuterTracer() {
    // w is captured by the branches (not an operand): it becomes an operand of the cond and gets
    // its gradient through it.
    Function<List<Tensor>, Tensor> f =
        l -> {
          Tensor w = l.get(0);
          Tensor x = l.get(1);
          return Control.cond(
                  gt0(x.sum()), o -> List.of(o.get(0).mul(w)), o -> List.of(w), List.of(x))
              .get(0)
              .sum();
        };
    Tensor w = Tensor.of(2.0, 3.0);
    List<Tensor> g = grad(f, List.of(w, Tensor.of(1.0, 4.0)));
    assertArrayEquals(new double[] {1, 4}, g.get(0).toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {2, 3}, g.get(1).toDoubleArray(), 1e-12);
    List<Tensor> g2 = grad(f, List.of(w, Tensor.of(-1.0, -4.0)));
    assertArrayEquals(new double[] {1, 1}, g2.get(0).toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {0, 0}, g2.get(1).toDoubleArray(), 1e-12);
  }

  @Test
  void gradOfGradOfCond() {
    Function<List<Tensor>, Tensor> f =
        l ->
            Control.cond(
                    gt0(l.get(0)),
                    o -> List.of(Ops.sin(o.get(0))),
                    o -> List.of(o.get(0).mul(o.get(0)).mul(o.get(0))),
                    l)
                .get(0);
    Function<List<Tensor>, Tensor> df = l -> grad(f, l).get(0);
    for (double x : new double[] {0.7, -0.7}) {
      Tensor d2 = grad(df, List.of(Tensor.full(x, DType.F64))).get(0);
      assertEquals(x > 0 ? -Math.sin(x) : 6 * x, d2.item(), 1e-12);
    }
  }

  @Test
  void gradOfVmapOfCond() {
    Function<List<Tensor>, Tensor> f =
        l ->
            vmap(
                    v ->
                        Control.cond(
                            gt0(v.get(0)),
                            o -> List.of(Ops.sin(o.get(0))),
                            o -> List.of(o.get(0).mul(o.get(0))),
                            v),
                    l,
                    new int[] {0})
                .get(0)
                .sum();
    Tensor x = Tensor.of(0.5, -2.0, 1.5);
    Tensor g = grad(f, List.of(x)).get(0);
    assertArrayEquals(new double[] {Math.cos(0.5), -4.0, Math.cos(1.5)}, g.toDoubleArray(), 1e-12);
  }

  @Test
  void condBranchesMustAgree() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Control.cond(
                    Tensor.full(1, DType.BOOL),
                    l -> List.of(l.get(0)),
                    l -> List.of(l.get(0).sum()),
                    List.of(Tensor.of(1.0, 2.0))));
    assertTrue(e.getMessage().contains("same shapes"), e.getMessage());
  }

  // ------------------------------------------------------------ while

  /** (i, x): while i < 4 { x = 1.5 x + sin(x); i++ } */
  static List<Tensor> whileFn(List<Tensor> l) {
    return Control.whileLoop(
        c -> lt(c.get(0), 4),
        c -> List.of(c.get(0).add(1L), c.get(1).mul(1.5).add(Ops.sin(c.get(1)))),
        List.of(Tensor.full(0, DType.I32), l.get(0)));
  }

  @Test
  void whileLoopMatchesAJavaLoop() {
    double x = 0.3;
    for (int i = 0; i < 4; i++) {
      x = 1.5 * x + Math.sin(x);
    }
    List<Tensor> out = whileFn(List.of(Tensor.full(0.3, DType.F64)));
    assertEquals(4, out.get(0).item());
    assertEquals(x, out.get(1).item(), 1e-12);
    // A data-dependent trip count.
    List<Tensor> d =
        Control.whileLoop(
            c -> lt(c.get(0).sum(), 100), c -> List.of(c.get(0).mul(2.0)), List.of(Tensor.of(3.0)));
    assertEquals(192.0, d.get(0).item());
  }

  @Test
  void whileLoopForwardModeAndBatching() {
    Random rng = new Random(5);
    Function<List<Tensor>, List<Tensor>> f = l -> List.of(whileFn(l).get(1));
    checkJvp("while", f, List.of(random(rng, -1, 1, 3)), 1e-6);
    // Batched predicate: each element doubles until it reaches 100 (different trip counts).
    Function<List<Tensor>, List<Tensor>> doubling =
        l ->
            Control.whileLoop(
                c -> lt(c.get(0).sum(), 100), c -> List.of(c.get(0).mul(2.0)), List.of(l.get(0)));
    checkVmap(
        "while batched pred",
        doubling,
        List.of(Tensor.fromArray(new double[] {1, 2, 30, 40, 0.5, 0.25}, 3, 2)),
        new int[] {0},
        0);
    // Unbatched predicate (an integer counter), batched carry.
    checkVmap("while unbatched pred", f, List.of(random(rng, -1, 1, 4, 3)), new int[] {0}, 1e-12);
    // Forward mode under vmap.
    checkVmap(
        "jvp of while",
        l -> Ad.jvp(f, List.of(l.get(0)), List.of(l.get(1)), "jvp").tangents(),
        List.of(random(rng, -1, 1, 4, 3), random(rng, -1, 1, 4, 3)),
        new int[] {0, 0},
        1e-12);
  }

  @Test
  void reverseModeThroughWhileLoopIsRefused() {
    UnsupportedOperationException e =
        assertThrows(
            UnsupportedOperationException.class,
            () -> grad(l -> whileFn(l).get(1).sum(), List.of(Tensor.of(0.1, 0.2))));
    assertTrue(e.getMessage().contains("whileLoop"), e.getMessage());
    assertTrue(e.getMessage().contains("Control.fori"), e.getMessage());
    assertTrue(e.getMessage().contains("Control.scan"), e.getMessage());
  }

  // ------------------------------------------------------------ fori

  static Tensor foriFn(Tensor x) {
    return Control.fori(
            1,
            5,
            (i, c) -> List.of(c.get(0).mul(Ops.sin(c.get(0))).add(i.astype(DType.F64).mul(0.1))),
            List.of(x))
        .get(0);
  }

  static Tensor unrolled(Tensor x) {
    Tensor c = x;
    for (int i = 1; i < 5; i++) {
      c = c.mul(Ops.sin(c)).add(0.1 * i);
    }
    return c;
  }

  @Test
  void foriMatchesUnrolledValuesAndGradients() {
    Tensor x = Tensor.of(0.4, 1.2, -0.8);
    assertArrayEquals(unrolled(x).toDoubleArray(), foriFn(x).toDoubleArray(), 1e-12);
    Tensor g = grad(l -> foriFn(l.get(0)).sum(), List.of(x)).get(0);
    Tensor gu = grad(l -> unrolled(l.get(0)).sum(), List.of(x)).get(0);
    assertArrayEquals(gu.toDoubleArray(), g.toDoubleArray(), 1e-12);
    Function<List<Tensor>, List<Tensor>> f = l -> List.of(foriFn(l.get(0)));
    checkJvp("fori", f, List.of(x), 1e-6);
    checkVjp("fori", f, List.of(x), 1e-9);
    checkVmap("fori", f, List.of(random(new Random(6), -1, 1, 2, 3)), new int[] {0}, 1e-12);
    assertEquals(x, Control.fori(3, 3, (i, c) -> c, List.of(x)).get(0));
  }

  // ------------------------------------------------------------ scan

  /** An RNN-like scan: h' = tanh(w * h + x), y = h'^2; w is closed over. */
  static List<Tensor> rnn(List<Tensor> l) {
    Tensor w = l.get(0);
    Control.Scanned s =
        Control.scan(
            (c, x) -> {
              Tensor h = Ops.tanh(c.get(0).mul(w).add(x.get(0)));
              return new Control.Scanned(List.of(h), List.of(h.mul(h)));
            },
            List.of(l.get(1)),
            List.of(l.get(2)));
    return List.of(s.carry().get(0), s.ys().get(0));
  }

  static List<Tensor> rnnUnrolled(List<Tensor> l) {
    Tensor w = l.get(0);
    Tensor h = l.get(1);
    double[] xs = l.get(2).toDoubleArray();
    int n = l.get(2).shape().dim(0);
    int d = xs.length / n;
    double[] ys = new double[xs.length];
    for (int i = 0; i < n; i++) {
      double[] row = java.util.Arrays.copyOfRange(xs, i * d, (i + 1) * d);
      h = Ops.tanh(h.mul(w).add(Tensor.fromArray(row, d)));
      System.arraycopy(h.mul(h).toDoubleArray(), 0, ys, i * d, d);
    }
    return List.of(h, Tensor.fromArray(ys, n, d));
  }

  @Test
  void scanMatchesAJavaLoop() {
    Random rng = new Random(7);
    List<Tensor> in =
        List.of(random(rng, -1, 1, 2), random(rng, -1, 1, 2), random(rng, -1, 1, 5, 2));
    List<Tensor> got = rnn(in);
    List<Tensor> want = rnnUnrolled(in);
    assertArrayEquals(want.get(0).toDoubleArray(), got.get(0).toDoubleArray(), 1e-12);
    assertArrayEquals(want.get(1).toDoubleArray(), got.get(1).toDoubleArray(), 1e-12);
    assertArrayEquals(new int[] {5, 2}, got.get(1).shape().dims());
  }

  @Test
  void reverseScanStacksAtTheOriginalIndex() {
    Tensor xs = Tensor.of(1.0, 2.0, 3.0, 4.0);
    Control.ScanBody cumsum =
        (c, x) -> {
          Tensor s = c.get(0).add(x.get(0));
          return new Control.Scanned(List.of(s), List.of(s));
        };
    Control.Scanned fwd = Control.scan(cumsum, List.of(Tensor.full(0, DType.F64)), List.of(xs));
    assertArrayEquals(new double[] {1, 3, 6, 10}, fwd.ys().get(0).toDoubleArray());
    Control.Scanned rev =
        Control.scan(cumsum, List.of(Tensor.full(0, DType.F64)), List.of(xs), 4, true);
    assertArrayEquals(new double[] {10, 9, 7, 4}, rev.ys().get(0).toDoubleArray());
    assertEquals(10.0, rev.carry().get(0).item());
    checkVjp(
        "reverse scan",
        l -> {
          Control.Scanned s =
              Control.scan(
                  (c, x) -> {
                    Tensor h = Ops.sin(c.get(0)).mul(x.get(0));
                    return new Control.Scanned(List.of(h), List.of(h.mul(c.get(0))));
                  },
                  List.of(l.get(0)),
                  List.of(l.get(1)),
                  4,
                  true);
          return List.of(s.carry().get(0), s.ys().get(0));
        },
        List.of(Tensor.of(0.3, 0.4), random(new Random(8), 0.5, 1.5, 4, 2)),
        1e-9);
  }

  @Test
  void scanRules() {
    Random rng = new Random(9);
    List<Tensor> in =
        List.of(random(rng, -1, 1, 2), random(rng, -1, 1, 2), random(rng, -1, 1, 5, 2));
    checkJvp("scan", ControlTest::rnn, in, 1e-6);
    checkVjp("scan", ControlTest::rnn, in, 1e-9);
    // Batched xs only (the carry becomes batched after one step), batched w and init, all.
    checkVmap(
        "scan xs",
        ControlTest::rnn,
        List.of(in.get(0), in.get(1), random(rng, -1, 1, 5, 3, 2)),
        new int[] {-1, -1, 1},
        1e-12);
    checkVmap(
        "scan w",
        ControlTest::rnn,
        List.of(random(rng, -1, 1, 3, 2), in.get(1), in.get(2)),
        new int[] {0, -1, -1},
        1e-12);
    checkVmap(
        "scan init",
        ControlTest::rnn,
        List.of(in.get(0), random(rng, -1, 1, 2, 3), in.get(2)),
        new int[] {-1, 1, -1},
        1e-12);
  }

  @Test
  void gradOfScanMatchesUnrolled() {
    Random rng = new Random(10);
    List<Tensor> in =
        List.of(random(rng, -1, 1, 2), random(rng, -1, 1, 2), random(rng, -1, 1, 6, 2));
    Function<List<Tensor>, Tensor> loss = l -> rnn(l).get(0).sum().add(rnn(l).get(1).sum());
    Function<List<Tensor>, Tensor> lossU =
        l -> {
          // The unrolled oracle in differentiable ops (no host reads).
          Tensor w = l.get(0);
          Tensor h = l.get(1);
          Tensor ys = Tensor.full(0, DType.F64);
          for (int i = 0; i < 6; i++) {
            Tensor x = dev.arbor.testing.Slicing.index(l.get(2), 0, i);
            h = Ops.tanh(h.mul(w).add(x));
            ys = ys.add(h.mul(h).sum());
          }
          return h.sum().add(ys);
        };
    // Slicing.index reads the host, so differentiate the unrolled loss only in w and h.
    List<Tensor> g = grad(loss, in);
    List<Tensor> gu =
        grad(l -> lossU.apply(List.of(l.get(0), l.get(1), in.get(2))), in.subList(0, 2));
    assertArrayEquals(gu.get(0).toDoubleArray(), g.get(0).toDoubleArray(), 1e-12);
    assertArrayEquals(gu.get(1).toDoubleArray(), g.get(1).toDoubleArray(), 1e-12);
  }

  @Test
  void gradOfScanWithAConstantInitialCarry() {
    // The carry's tangent starts as a zero and becomes nonzero through w: the tangent scan carries
    // an instantiated zero that its transpose must still treat as linear.
    Random rng = new Random(13);
    Tensor h0 = random(rng, -1, 1, 2);
    Tensor xs = random(rng, -1, 1, 5, 2);
    Tensor w = random(rng, -1, 1, 2);
    Tensor g = grad(l -> rnn(List.of(l.get(0), h0, xs)).get(0).sum(), List.of(w)).get(0);
    Tensor gu =
        grad(
                l -> {
                  Tensor h = h0;
                  for (int i = 0; i < 5; i++) {
                    h = Ops.tanh(h.mul(l.get(0)).add(dev.arbor.testing.Slicing.index(xs, 0, i)));
                  }
                  return h.sum();
                },
                List.of(w))
            .get(0);
    assertArrayEquals(gu.toDoubleArray(), g.toDoubleArray(), 1e-12);
  }

  @Test
  void compositionsOfGradAndScan() {
    Random rng = new Random(11);
    List<Tensor> in =
        List.of(random(rng, -1, 1, 2), random(rng, -1, 1, 2), random(rng, -1, 1, 4, 2));
    Function<List<Tensor>, Tensor> loss = l -> rnn(l).get(1).sum();
    // Second order: forward-over-reverse and reverse-over-reverse of a scan.
    checkJvp("jvp of grad of scan", gradFn(loss), in, 1e-6);
    checkVjp("grad of grad of scan", gradFn(loss), in, 1e-9);
    // vmap(grad(scan)) against a loop of grads.
    checkVmap(
        "vmap of grad of scan",
        gradFn(loss),
        List.of(random(rng, -1, 1, 3, 2), in.get(1), random(rng, -1, 1, 3, 4, 2)),
        new int[] {0, -1, 0},
        1e-12);
  }

  @Test
  void scanErrorsTeach() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Control.scan(
                    (c, x) -> new Control.Scanned(List.of(c.get(0).sum()), List.of()),
                    List.of(Tensor.of(1.0, 2.0)),
                    List.of(Tensor.of(1.0, 2.0, 3.0))));
    assertTrue(e.getMessage().contains("carry"), e.getMessage());
    IllegalArgumentException len =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Control.scan(
                    (c, x) -> new Control.Scanned(c, List.of()),
                    List.of(Tensor.of(1.0)),
                    List.of(Tensor.of(1.0, 2.0)),
                    3,
                    false));
    assertTrue(len.getMessage().contains("leading axis"), len.getMessage());
  }

  @Test
  void controlFlowStagesIntoAGraph() {
    // Under a staging trace (what jit uses) the cond and scan become single equations carrying
    // their sub-graphs, and the staged graph evaluates like the eager code.
    Tensor y = Tensor.of(1.0, 2.0);
    StagingTrace s = new StagingTrace("makeGraph");
    Graph g;
    try {
      Tensor x = s.newInput(AbstractValue.of(DType.F64, 2));
      Tensor c = condFn(List.of(x, y)).get(0);
      g = s.toGraph(List.of(Ops.sum(rnn(List.of(c, x, Ops.reshape(c, 1, 2))).get(1))));
    } finally {
      s.end();
    }
    List<String> names = g.equations().stream().map(e -> e.primitive().name()).toList();
    assertTrue(names.contains("cond") && names.contains("scan"), names.toString());
    for (Tensor x : List.of(Tensor.of(0.5, 0.1), Tensor.of(-0.5, 0.1))) {
      Tensor c = condFn(List.of(x, y)).get(0);
      double eager = Ops.sum(rnn(List.of(c, x, Ops.reshape(c, 1, 2))).get(1)).item();
      assertEquals(eager, g.evaluate(List.of(x)).get(0).item(), 1e-12);
    }
  }

  // ------------------------------------------------------------ stop_gradient

  @Test
  void stopGradientBlocksTheTangent() {
    Tensor x = Tensor.of(1.5, -2.0);
    Tensor g = grad(l -> l.get(0).mul(Ops.stopGradient(l.get(0))).sum(), List.of(x)).get(0);
    assertArrayEquals(x.toDoubleArray(), g.toDoubleArray(), 0);
    checkVmap(
        "stop_gradient",
        l -> List.of(Ops.stopGradient(l.get(0))),
        List.of(random(new Random(12), -1, 1, 3, 2)),
        new int[] {1},
        0);
  }
}
