package dev.arbor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.module.ArraySpec;
import dev.arbor.testing.RuleChecks;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ArborTransformsTest {
  record Dense(Tensor w, Tensor b) {}

  record Mlp(Dense l1, Dense l2) {}

  record Example(Tensor x, Tensor y) {}

  record Pair(Mlp params, Example ex) {}

  static final Random RNG = new Random(7);

  static Mlp mlp() {
    return new Mlp(
        new Dense(RuleChecks.random(RNG, -1, 1, 3, 4), RuleChecks.random(RNG, -1, 1, 4)),
        new Dense(RuleChecks.random(RNG, -1, 1, 4, 2), RuleChecks.random(RNG, -1, 1, 2)));
  }

  static Tensor predict(Mlp p, Tensor x) {
    Tensor h = Ops.tanh(x.matmul(p.l1().w()).add(p.l1().b()));
    return h.matmul(p.l2().w()).add(p.l2().b());
  }

  static Tensor loss(Mlp p, Example e) {
    Tensor d = predict(p, e.x()).sub(e.y());
    return d.mul(d).mean();
  }

  @Test
  void gradOfScalarFunction() {
    Tensor g = Arbor.grad((Tensor x) -> x.mul(x).sum()).apply(Tensor.of(1.0, 2.0, 3.0));
    assertArrayEquals(new double[] {2, 4, 6}, g.toDoubleArray(), 1e-12);
  }

  @Test
  void gradWithRespectToARecordHasItsType() {
    Mlp p = mlp();
    Example e =
        new Example(RuleChecks.random(RNG, -1, 1, 5, 3), RuleChecks.random(RNG, -1, 1, 5, 2));
    Mlp g = Arbor.grad(ArborTransformsTest::loss).apply(p, e);
    assertEquals(p.l1().w().shape(), g.l1().w().shape());
    // finite-difference check of one coordinate of each leaf
    double eps = 1e-6;
    double[] w = p.l2().w().toDoubleArray();
    double[] wp = w.clone();
    double[] wm = w.clone();
    wp[3] += eps;
    wm[3] -= eps;
    Mlp pp = new Mlp(p.l1(), new Dense(Tensor.fromArray(wp, 4, 2), p.l2().b()));
    Mlp pm = new Mlp(p.l1(), new Dense(Tensor.fromArray(wm, 4, 2), p.l2().b()));
    double fd = (loss(pp, e).item() - loss(pm, e).item()) / (2 * eps);
    assertEquals(fd, g.l2().w().toDoubleArray()[3], 1e-7);
  }

  @Test
  void gradOfMapAndListTrees() {
    Map<String, Object> tree = Map.of("a", Tensor.of(1.0, 2.0), "b", List.of(Tensor.of(3.0)));
    Map<String, Object> g =
        Arbor.grad(
                (Map<String, Object> t) ->
                    ((Tensor) t.get("a")).sum().mul(((Tensor) ((List<?>) t.get("b")).get(0)).sum()))
            .apply(tree);
    assertArrayEquals(new double[] {3, 3}, ((Tensor) g.get("a")).toDoubleArray());
    assertArrayEquals(new double[] {3}, ((Tensor) ((List<?>) g.get("b")).get(0)).toDoubleArray());
  }

  @Test
  void integerLeavesGetZeroGradient() {
    List<Tensor> args = List.of(Tensor.of(2.0), Tensor.of(5));
    List<Tensor> g =
        Arbor.grad((List<Tensor> l) -> l.get(0).mul(l.get(1).astype(DType.F64)).sum()).apply(args);
    assertArrayEquals(new double[] {5}, g.get(0).toDoubleArray());
    assertEquals(DType.I32, g.get(1).dtype());
    assertArrayEquals(new long[] {0}, g.get(1).toLongArray());
  }

  @Test
  void gradOfNonScalarSaysWhatToUse() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Arbor.grad((Tensor x) -> x.mul(2.0)).apply(Tensor.of(1.0, 2.0)));
    assertTrue(e.getMessage().contains("f64[2]"), e.getMessage());
    assertTrue(e.getMessage().contains("jacrev"), e.getMessage());
  }

  @Test
  void gradWithAuxReturnsAux() {
    GradAndAux<Tensor, Tensor> r =
        Arbor.gradWithAux((Tensor x) -> new WithAux<>(x.mul(x).sum(), x.mul(3.0)))
            .apply(Tensor.of(1.0, 2.0));
    assertArrayEquals(new double[] {2, 4}, r.grad().toDoubleArray());
    assertArrayEquals(new double[] {3, 6}, r.aux().toDoubleArray());
    assertEquals(5.0, r.value().item());
  }

  @Test
  void jvpAndVjpOnTrees() {
    JvpResult<Tensor> j =
        Arbor.jvp((Tensor x) -> Ops.sin(x), Tensor.of(0.0, 1.0), Tensor.of(1.0, 1.0));
    assertArrayEquals(new double[] {1, Math.cos(1)}, j.tangent().toDoubleArray(), 1e-12);
    VjpResult<Dense, Tensor> v =
        Arbor.vjp(
            (Dense d) -> d.w().matmul(d.b()),
            new Dense(Tensor.fromArray(new double[] {1, 2, 3, 4}, 2, 2), Tensor.of(1.0, 1.0)));
    Dense ct = v.pullback(Tensor.of(1.0, 0.0));
    assertArrayEquals(new double[] {1, 1, 0, 0}, ct.w().toDoubleArray());
    assertArrayEquals(new double[] {1, 2}, ct.b().toDoubleArray());
  }

  @Test
  void vmapWithAxes() {
    Tensor xs = RuleChecks.random(RNG, -1, 1, 3, 5);
    Tensor w = RuleChecks.random(RNG, -1, 1, 3, 4);
    // map over axis 1 of xs, w shared; result with batch axis last
    Tensor out =
        Arbor.vmap((List<Tensor> l) -> l.get(0).matmul(l.get(1)), Arrays.asList(1, null), -1)
            .apply(List.of(xs, w));
    assertEquals(dev.arbor.array.Shape.of(4, 5), out.shape());
    Tensor expected = Ops.transpose(xs).matmul(w);
    assertArrayEquals(Ops.transpose(expected).toDoubleArray(), out.toDoubleArray(), 1e-12);
  }

  @Test
  void perExampleGradientsEqualALoop() {
    Mlp p = mlp();
    Tensor xs = RuleChecks.random(RNG, -1, 1, 6, 3);
    Tensor ys = RuleChecks.random(RNG, -1, 1, 6, 2);
    Function<Pair, Mlp> perExample =
        Arbor.vmap(
            (Pair pe) -> Arbor.grad(ArborTransformsTest::loss).apply(pe.params(), pe.ex()),
            Arrays.asList(null, 0),
            0);
    Mlp grads = perExample.apply(new Pair(p, new Example(xs, ys)));
    assertEquals(dev.arbor.array.Shape.of(6, 3, 4), grads.l1().w().shape());
    for (int i = 0; i < 6; i++) {
      Example e =
          new Example(
              dev.arbor.testing.Slicing.index(xs, 0, i), dev.arbor.testing.Slicing.index(ys, 0, i));
      Mlp gi = Arbor.grad(ArborTransformsTest::loss).apply(p, e);
      assertArrayEquals(
          gi.l1().w().toDoubleArray(),
          dev.arbor.testing.Slicing.index(grads.l1().w(), 0, i).toDoubleArray(),
          1e-12);
      assertArrayEquals(
          gi.l2().b().toDoubleArray(),
          dev.arbor.testing.Slicing.index(grads.l2().b(), 0, i).toDoubleArray(),
          1e-12);
    }
  }

  @Test
  void vmapErrorsNamePathsAndSizes() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Arbor.vmap((List<Tensor> l) -> l.get(0))
                    .apply(List.of(Tensor.zeros(3), Tensor.zeros(4))));
    assertTrue(
        e.getMessage().contains("[0]: 3") && e.getMessage().contains("[1]: 4"), e.getMessage());
    var r =
        assertThrows(
            IllegalArgumentException.class,
            () -> Arbor.vmap((Tensor x) -> x, 2, 0).apply(Tensor.zeros(3, 4)));
    assertTrue(r.getMessage().contains("[3,4]"), r.getMessage());
    var p =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Arbor.vmap((List<Tensor> l) -> l.get(0), List.of(0, 0, 0), 0)
                    .apply(List.of(Tensor.zeros(3))));
    assertTrue(p.getMessage().contains("not a prefix"), p.getMessage());
    var n =
        assertThrows(
            IllegalArgumentException.class,
            () -> Arbor.vmap((Tensor x) -> x, 0, null).apply(Tensor.zeros(3)));
    assertTrue(n.getMessage().contains("outAxes is null"), n.getMessage());
  }

  @Test
  void jacobiansAgreeAndCompose() {
    Function<Tensor, Tensor> f = x -> Ops.tanh(x.mul(x).sum()).mul(x);
    Tensor x = Tensor.of(0.3, -0.2, 0.5);
    Tensor jf = Arbor.<Tensor, Tensor>jacfwd(f).apply(x);
    Tensor jr = Arbor.<Tensor, Tensor>jacrev(f).apply(x);
    assertEquals(dev.arbor.array.Shape.of(3, 3), jf.shape());
    assertArrayEquals(jf.toDoubleArray(), jr.toDoubleArray(), 1e-12);
    Function<Tensor, Tensor> s = t -> Ops.sin(t).sum();
    Tensor h = Arbor.<Tensor, Tensor>hessian(s).apply(x);
    double[] hv = h.toDoubleArray();
    for (int i = 0; i < 3; i++) {
      for (int k = 0; k < 3; k++) {
        assertEquals(i == k ? -Math.sin(x.toDoubleArray()[i]) : 0, hv[i * 3 + k], 1e-12);
      }
    }
    Tensor h2 = Arbor.<Tensor, Tensor>jacrev(Arbor.<Tensor, Tensor>jacrev(s)).apply(x);
    assertArrayEquals(hv, h2.toDoubleArray(), 1e-12);
  }

  @Test
  void compositions() {
    Tensor xs = RuleChecks.random(RNG, -1, 1, 4, 3);
    Function<Tensor, Tensor> f = x -> Ops.sin(x).mul(x).sum();
    // vmap(grad) == grad of sum
    Tensor vg = Arbor.vmap(Arbor.grad(f)).apply(xs);
    Tensor gs = Arbor.grad((Tensor x) -> Arbor.vmap(f).apply(x).sum()).apply(xs);
    assertArrayEquals(vg.toDoubleArray(), gs.toDoubleArray(), 1e-12);
    // grad(grad) of a scalar function of a scalar
    Function<Tensor, Tensor> cube = x -> x.mul(x).mul(x).sum();
    Tensor g2 = Arbor.grad((Tensor x) -> Arbor.grad(cube).apply(x).sum()).apply(Tensor.of(2.0));
    assertEquals(12.0, g2.item(), 1e-12);
  }

  @Test
  void makeGraphAndEvalShape() {
    var g = Arbor.makeGraph((Tensor x) -> Ops.tanh(x), Tensor.zeros(3, 4));
    assertEquals("{ lambda ; a:f32[3,4]. let\n    b:f32[3,4] = tanh a\n  in (b) }", g.toString());
    Object shape =
        Arbor.evalShape(
            (Dense d) -> d.w().matmul(d.b()), new Dense(Tensor.zeros(2, 3), Tensor.zeros(3)));
    assertInstanceOf(ArraySpec.class, shape);
    assertEquals(ArraySpec.of(DType.F32, 2), shape);
  }

  @Test
  void leakedTracerFailsWithTheTransformationName() {
    Tensor[] leak = new Tensor[1];
    Arbor.grad(
            (Tensor x) -> {
              leak[0] = x;
              return x.sum();
            })
        .apply(Tensor.of(1.0));
    var e = assertThrows(IllegalStateException.class, () -> leak[0].add(Tensor.of(1.0)));
    assertTrue(e.getMessage().contains("grad"), e.getMessage());
  }

  @Test
  void describeListsBackendsAndPrimitives() {
    String d = Arbor.describe();
    assertTrue(d.contains("reference: rank 0, available, default"), d);
    assertTrue(d.contains("dot_general: jvp transpose batch reference"), d);
  }

  @Test
  void collectivesUnderNamedVmap() {
    Tensor xs = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
    Tensor centered = Arbor.vmap((Tensor x) -> x.sub(Ops.pmean(x, "b")), 0, 0, "b").apply(xs);
    assertArrayEquals(new double[] {-2, -2, 0, 0, 2, 2}, centered.toDoubleArray(), 1e-12);
    Tensor total = Arbor.vmap((Tensor x) -> Ops.psum(x, "b"), 0, null, "b").apply(xs);
    assertArrayEquals(new double[] {9, 12}, total.toDoubleArray(), 1e-12);
    Tensor mx = Arbor.vmap((Tensor x) -> Ops.pmax(x, "b"), 0, null, "b").apply(xs);
    assertArrayEquals(new double[] {5, 6}, mx.toDoubleArray(), 1e-12);
    Tensor all = Arbor.vmap((Tensor x) -> Ops.allGather(x, "b"), 0, null, "b").apply(xs);
    assertArrayEquals(xs.toDoubleArray(), all.toDoubleArray(), 1e-12);
    // nested vmaps: the inner collective names the outer axis
    Tensor cube = RuleChecks.random(RNG, -1, 1, 2, 3);
    Tensor outerSum =
        Arbor.vmap(
                (Tensor row) -> Arbor.vmap((Tensor x) -> Ops.psum(x, "outer")).apply(row),
                0,
                null,
                "outer")
            .apply(cube);
    assertArrayEquals(Ops.sum(cube, 0).toDoubleArray(), outerSum.toDoubleArray(), 1e-12);
    var e = assertThrows(IllegalArgumentException.class, () -> Ops.psum(xs, "nope"));
    assertTrue(
        e.getMessage().contains("'nope'") && e.getMessage().contains("vmap"), e.getMessage());
  }

  @Test
  void gradThroughACollective() {
    Tensor xs = Tensor.fromArray(new double[] {1, 2, 3}, 3);
    // d/dx of sum_i (x_i - mean(x))^2 == 2 (x - mean)
    Tensor g =
        Arbor.grad(
                (Tensor x) ->
                    Arbor.vmap((Tensor xi) -> xi.sub(Ops.pmean(xi, "b")).pow(2.0), 0, 0, "b")
                        .apply(x)
                        .sum())
            .apply(xs);
    assertArrayEquals(new double[] {-2, 0, 2}, g.toDoubleArray(), 1e-12);
  }

  @Test
  void linearizeGivesAReusableJvp() {
    Tensor x = Tensor.of(0.5, 1.5);
    LinearizeResult<Tensor, Tensor> lin = Arbor.linearize((Tensor t) -> Ops.sin(t).mul(t), x);
    Tensor v = Tensor.of(1.0, -2.0);
    JvpResult<Tensor> j = Arbor.jvp((Tensor t) -> Ops.sin(t).mul(t), x, v);
    assertArrayEquals(j.tangent().toDoubleArray(), lin.jvp(v).toDoubleArray(), 1e-12);
    assertArrayEquals(j.primal().toDoubleArray(), lin.output().toDoubleArray(), 1e-12);
  }

  @Test
  void nanCheckerNamesThePrimitiveAndCaller() {
    dev.arbor.core.NanCheck.setEnabled(true);
    try {
      var e = assertThrows(ArithmeticException.class, () -> Ops.log(Tensor.of(-1.0)));
      assertTrue(e.getMessage().contains("'log'"), e.getMessage());
      assertTrue(e.getMessage().contains("ArborTransformsTest"), e.getMessage());
    } finally {
      dev.arbor.core.NanCheck.setEnabled(false);
    }
  }

  @Test
  void keysArePytreesAndBatchUnderVmap() {
    dev.arbor.random.Key k = dev.arbor.random.Key.of(3);
    assertEquals(1, dev.arbor.tree.Trees.leaves(k).size());
    dev.arbor.random.Key batch = k.splitBatch(4);
    Tensor samples =
        Arbor.vmap((dev.arbor.random.Key key) -> dev.arbor.random.Random.normal(key, 2))
            .apply(batch);
    assertEquals(dev.arbor.array.Shape.of(4, 2), samples.shape());
    dev.arbor.random.Key[] ks = k.split(4);
    for (int i = 0; i < 4; i++) {
      assertArrayEquals(
          dev.arbor.random.Random.normal(ks[i], 2).toDoubleArray(),
          dev.arbor.testing.Slicing.index(samples, 0, i).toDoubleArray(),
          1e-6);
    }
  }

  @Test
  void jitCachesBySignatureAndComposes() {
    Jitted<Mlp, Tensor> j = Arbor.jit((Mlp p) -> predict(p, Tensor.ones(2, 3)).sum());
    Mlp p = mlp();
    double eager = predict(p, Tensor.ones(2, 3)).sum().item();
    assertEquals(eager, j.apply(p).item(), 1e-12);
    assertEquals(eager, j.apply(p).item(), 1e-12);
    assertEquals(1, j.traceCount());
    // grad(jit), jit(grad), vmap(jit), jit(vmap(grad))
    Mlp g1 = Arbor.grad(j).apply(p);
    Mlp g2 = Arbor.grad((Mlp q) -> predict(q, Tensor.ones(2, 3)).sum()).apply(p);
    assertArrayEquals(g2.l1().w().toDoubleArray(), g1.l1().w().toDoubleArray(), 1e-12);
    Jitted<Mlp, Mlp> jg = Arbor.jit(Arbor.grad(j));
    assertArrayEquals(g2.l2().w().toDoubleArray(), jg.apply(p).l2().w().toDoubleArray(), 1e-12);
    jg.apply(p);
    assertEquals(1, jg.traceCount());
    Tensor xs = RuleChecks.random(RNG, -1, 1, 5, 3);
    Jitted<Tensor, Tensor> sq = Arbor.jit((Tensor x) -> Ops.tanh(x).mul(x).sum());
    Tensor vj = Arbor.vmap(sq).apply(xs);
    Tensor expected = Arbor.vmap((Tensor x) -> Ops.tanh(x).mul(x).sum()).apply(xs);
    assertArrayEquals(expected.toDoubleArray(), vj.toDoubleArray(), 1e-12);
    Jitted<Tensor, Tensor> jvg =
        Arbor.jit(Arbor.vmap(Arbor.grad((Tensor x) -> Ops.tanh(x).mul(x).sum())));
    assertArrayEquals(
        Arbor.vmap(Arbor.grad((Tensor x) -> Ops.tanh(x).mul(x).sum())).apply(xs).toDoubleArray(),
        jvg.apply(xs).toDoubleArray(),
        1e-12);
    // a new shape retraces
    sq.apply(Tensor.ones(4));
    sq.apply(Tensor.ones(4));
    sq.apply(Tensor.ones(5));
    assertEquals(3, sq.cacheSize()); // f64[3] (seen through vmap), f32[4], f32[5]
  }

  record Carry(Tensor h, Tensor count) {}

  @Test
  void controlFlowOnPytrees() {
    Dense d = new Dense(Tensor.of(1.0, 2.0), Tensor.of(3.0));
    Dense r =
        Arbor.cond(
            Tensor.scalar(1, DType.BOOL),
            (Dense x) -> new Dense(x.w().mul(2.0), x.b()),
            (Dense x) -> x,
            d);
    assertArrayEquals(new double[] {2, 4}, r.w().toDoubleArray());
    Carry c =
        Arbor.fori(
            0,
            5,
            (i, k) -> new Carry(k.h().mul(2.0), k.count().add(1L)),
            new Carry(Tensor.of(1.0), Tensor.of(0)));
    assertEquals(32.0, c.h().item());
    assertEquals(5.0, c.count().item());
    Tensor w =
        Arbor.whileLoop(
            (Tensor x) -> x.sum().lt(Tensor.of(100.0).sum()),
            (Tensor x) -> x.mul(3.0),
            Tensor.of(1.0));
    assertEquals(243.0, w.item());
    ScanResult<Tensor, Tensor> s =
        Arbor.scan(
            (Tensor acc, Tensor x) -> new ScanResult<>(acc.add(x), acc.add(x)),
            Tensor.of(0.0),
            Tensor.of(1.0, 2.0, 3.0));
    assertArrayEquals(new double[] {1, 3, 6}, s.ys().toDoubleArray());
    // grad through a pytree scan of an RNN-like step
    Tensor g =
        Arbor.grad(
                (Tensor a) ->
                    Arbor.scan(
                            (Tensor h, Tensor x) -> new ScanResult<>(Ops.tanh(h.mul(a).add(x)), h),
                            Tensor.of(0.5),
                            Tensor.of(1.0, -1.0, 2.0))
                        .carry()
                        .sum())
            .apply(Tensor.of(0.7));
    double eps = 1e-6;
    Function<Double, Double> unrolled =
        a -> {
          double h = 0.5;
          for (double x : new double[] {1, -1, 2}) {
            h = Math.tanh(h * a + x);
          }
          return h;
        };
    assertEquals(
        (unrolled.apply(0.7 + eps) - unrolled.apply(0.7 - eps)) / (2 * eps), g.item(), 1e-7);
  }

  @Test
  void jacobiansOfPytreeFunctions() {
    Dense d = new Dense(Tensor.of(1.0, 2.0), Tensor.of(3.0));
    // f(d) = {"s": sum(w) * b, "w2": w * w}
    Function<Dense, Map<String, Tensor>> f =
        p -> Map.of("s", p.w().sum().mul(p.b()), "w2", p.w().mul(p.w()));
    Map<String, Dense> jf = Arbor.<Dense, Map<String, Dense>>jacfwd(f).apply(d);
    Map<String, Dense> jr = Arbor.<Dense, Map<String, Dense>>jacrev(f).apply(d);
    for (Map<String, Dense> j : List.of(jf, jr)) {
      // d s / d w = b (per element), shape [1] ++ [2]
      assertEquals(dev.arbor.array.Shape.of(1, 2), j.get("s").w().shape());
      assertArrayEquals(new double[] {3, 3}, j.get("s").w().toDoubleArray(), 1e-12);
      assertArrayEquals(new double[] {3}, j.get("s").b().toDoubleArray(), 1e-12);
      // d w2 / d w = diag(2w), shape [2, 2]
      assertArrayEquals(new double[] {2, 0, 0, 4}, j.get("w2").w().toDoubleArray(), 1e-12);
      assertEquals(dev.arbor.array.Shape.of(2, 1), j.get("w2").b().shape());
    }
  }

  @Test
  void vmapWithOnlyAxisSize() {
    Tensor w = Tensor.of(1.0, 2.0);
    Tensor out = Arbor.vmap((Tensor x) -> x.mul(2.0), null, 0, null, 3).apply(w);
    assertEquals(dev.arbor.array.Shape.of(3, 2), out.shape());
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> Arbor.vmap((Tensor x) -> x, null, 0).apply(w));
    assertTrue(e.getMessage().contains("axisSize"), e.getMessage());
  }
}
