package dev.arbor.transform.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.Scope;
import dev.arbor.testing.RuleChecks;
import dev.arbor.transform.ad.Ad;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class JitTest {
  static Function<List<Tensor>, List<Tensor>> mlp =
      l -> {
        Tensor h = Ops.tanh(l.get(0).matmul(l.get(1)).add(l.get(2)));
        return List.of(Ops.sum(h.mul(h)), h.mul(2.0));
      };

  static List<Tensor> mlpArgs(Random rng, int batch) {
    return List.of(
        RuleChecks.random(rng, -1, 1, batch, 3),
        RuleChecks.random(rng, -1, 1, 3, 4),
        RuleChecks.random(rng, -1, 1, 4));
  }

  static void assertSameValues(List<Tensor> expected, List<Tensor> got, double tol) {
    assertEquals(expected.size(), got.size());
    for (int k = 0; k < expected.size(); k++) {
      assertEquals(expected.get(k).shape(), got.get(k).shape(), "output " + k);
      assertEquals(expected.get(k).dtype(), got.get(k).dtype(), "output " + k);
      assertArrayEquals(
          expected.get(k).toDoubleArray(), got.get(k).toDoubleArray(), tol, "output " + k);
    }
  }

  // ------------------------------------------------------------------ the cache

  @Test
  void tracesOncePerShapeDtypeAndStaticKey() {
    AtomicInteger runs = new AtomicInteger();
    JitFunction<Integer> f =
        Jit.jit(
            "scale",
            (args, power) -> {
              runs.incrementAndGet();
              Tensor y = args.get(0);
              for (int k = 1; k < power; k++) {
                y = y.mul(args.get(0));
              }
              return new FlatResult(List.of(y), "structure of power " + power);
            },
            JitConfig.defaults());
    FlatResult r = f.invoke(List.of(Tensor.of(1f, 2f, 3f)), 2);
    assertArrayEquals(new double[] {1, 4, 9}, r.outputs().get(0).toDoubleArray());
    assertEquals("structure of power 2", r.structure());
    assertEquals(1, f.traceCount());

    r = f.invoke(List.of(Tensor.of(4f, 5f, 6f)), 2); // new values, same signature: a hit
    assertArrayEquals(new double[] {16, 25, 36}, r.outputs().get(0).toDoubleArray());
    assertEquals("structure of power 2", r.structure(), "the structure is cached with the entry");
    assertEquals(1, f.traceCount());
    assertEquals(1, runs.get(), "the Java function did not run on a hit");

    f.call(List.of(Tensor.of(1f, 2f)), 2); // another shape
    assertEquals(2, f.traceCount());
    f.call(List.of(Tensor.of(1.0, 2.0, 3.0)), 2); // another dtype
    assertEquals(3, f.traceCount());
    List<Tensor> cube = f.call(List.of(Tensor.of(1f, 2f, 3f)), 3); // another static key
    assertArrayEquals(new double[] {1, 8, 27}, cube.get(0).toDoubleArray());
    assertEquals(4, f.traceCount());
    f.call(List.of(Tensor.of(7f, 8f, 9f)), 2);
    f.call(List.of(Tensor.of(7.0, 8.0, 9.0)), 2);
    assertEquals(4, f.traceCount(), "all four signatures are still cached");
    assertEquals(4, f.cacheSize());
  }

  @Test
  void theCacheIsBoundedLeastRecentlyUsedFirst() {
    JitFunction<Object> f =
        Jit.jit(
            "exp",
            (args, s) -> FlatResult.of(List.of(Ops.exp(args.get(0)))),
            JitConfig.defaults().withCacheSize(2));
    f.call(List.of(Tensor.zeros(1)));
    f.call(List.of(Tensor.zeros(2)));
    f.call(List.of(Tensor.zeros(1))); // [1] is now the most recently used
    f.call(List.of(Tensor.zeros(3))); // evicts [2]
    assertEquals(3, f.traceCount());
    assertEquals(2, f.cacheSize());
    f.call(List.of(Tensor.zeros(1)));
    f.call(List.of(Tensor.zeros(3)));
    assertEquals(3, f.traceCount(), "[1] and [3] stayed");
    f.call(List.of(Tensor.zeros(2)));
    assertEquals(4, f.traceCount(), "[2] was evicted and traced again");
    f.clearCache();
    assertEquals(0, f.cacheSize());

    JitFunction<Object> never =
        Jit.jit(
            "exp",
            (args, s) -> FlatResult.of(List.of(Ops.exp(args.get(0)))),
            JitConfig.defaults().withCacheSize(0));
    never.call(List.of(Tensor.zeros(1)));
    never.call(List.of(Tensor.zeros(1)));
    assertEquals(2, never.traceCount(), "cache size 0 traces every call");
  }

  @Test
  void manyThreadsShareOneTracePerSignature() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    JitFunction<Object> f =
        Jit.jit(
            "mlp",
            l -> {
              runs.incrementAndGet();
              return mlp.apply(l);
            });
    List<List<Tensor>> inputs = List.of(mlpArgs(new Random(1), 2), mlpArgs(new Random(2), 5));
    List<List<Tensor>> expected = List.of(mlp.apply(inputs.get(0)), mlp.apply(inputs.get(1)));
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        int which = t % 2;
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int k = 0; k < 50; k++) {
                    assertSameValues(expected.get(which), f.call(inputs.get(which)), 1e-12);
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> d : done) {
        d.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(2, f.traceCount());
    assertEquals(2, runs.get());
  }

  // ------------------------------------------------------------------ transformations

  @Test
  void gradOfAJittedFunctionTransformsItsGraph() {
    JitFunction<Object> f = Jit.jit("mlp", mlp);
    List<Tensor> args = mlpArgs(new Random(3), 2);
    Ad.Linearized plain = Ad.linearize(mlp, args, "grad");
    Ad.Linearized jitted = Ad.linearize(f::call, args, "grad of jit");
    assertSameValues(plain.primals(), jitted.primals(), 1e-12);
    List<Tensor> cts =
        List.of(Tensor.scalar(1.0, DType.F64), RuleChecks.random(new Random(4), -1, 1, 2, 4));
    assertSameValues(plain.transpose(cts), jitted.transpose(cts), 1e-12);
    assertEquals(1, f.traceCount());

    Ad.linearize(f::call, mlpArgs(new Random(5), 2), "grad of jit");
    assertEquals(1, f.traceCount(), "grad at new values of the same signature reuses the graph");

    RuleChecks.checkJvp("jit mlp", f::call, args, 1e-6);
    RuleChecks.checkVjp("jit mlp", f::call, args, 1e-9);
    assertEquals(1, f.traceCount());
  }

  @Test
  void vmapOfAJittedFunctionTransformsItsGraph() {
    JitFunction<Object> f = Jit.jit("mlp", mlp);
    Random rng = new Random(6);
    List<Tensor> one = mlpArgs(rng, 2);
    Tensor batch = RuleChecks.random(rng, -1, 1, 2, 3, 7); // 7 examples along axis 2
    RuleChecks.checkVmap(
        "vmap of jit",
        f::call,
        List.of(batch, one.get(1), one.get(2)),
        new int[] {2, -1, -1},
        1e-12);
    assertEquals(
        1, f.traceCount(), "under vmap the tracer is a [2,3] example: one signature for all calls");
  }

  @Test
  void jitInsideJitIsInlined() {
    JitFunction<Object> inner = Jit.jit("inner", l -> List.of(Ops.sin(l.get(0)).mul(l.get(0))));
    JitFunction<Object> outer =
        Jit.jit("outer", l -> List.of(Ops.exp(inner.call(List.of(l.get(0))).get(0))));
    Tensor x = Tensor.of(0.1, 0.2, 0.3);
    double[] want = new double[3];
    for (int k = 0; k < 3; k++) {
      double v = x.toDoubleArray()[k];
      want[k] = Math.exp(Math.sin(v) * v);
    }
    assertArrayEquals(want, outer.call(List.of(x)).get(0).toDoubleArray(), 1e-15);
    assertEquals(1, outer.traceCount());
    assertEquals(1, inner.traceCount());
    JitFunction.Lowered lowered = outer.lower(List.of(AbstractValue.of(DType.F64, 3)), null);
    assertEquals(
        """
        { lambda ; a:f64[3]. let
            b:f64[3] = sin a
            c:f64[3] = mul b a
            d:f64[3] = exp c
          in (d) }""",
        lowered.optimized().toString());
    assertEquals(
        """
        { lambda ; a:f64[3]. let
            b:f64[3] = fused[graph={ lambda ; a:f64[3]. let
                b:f64[3] = sin a
                c:f64[3] = mul b a
                d:f64[3] = exp c
              in (d) }] a
          in (b) }""",
        lowered.compiled().toString());
    assertEquals(1, inner.traceCount(), "the inner function's graph came from its cache");
  }

  // ------------------------------------------------------------------ closures and scopes

  @Test
  void closedOverConcreteTensorsBecomeConstants() {
    Tensor w = Tensor.of(1.0, 2.0, 3.0);
    JitFunction<Object> f = Jit.jit("scale", l -> List.of(l.get(0).mul(w)));
    JitFunction.Lowered lowered = f.lower(List.of(AbstractValue.of(DType.F64, 3)), null);
    assertEquals(
        """
        { lambda a:f64[3]; b:f64[3]. let
            c:f64[3] = mul b a
          in (c) }""",
        lowered.optimized().toString());
    assertTrue(lowered.optimized().constValues().get(0) == w, "the tensor itself, not a copy");
    assertArrayEquals(
        new double[] {2, 4, 6}, f.call(List.of(Tensor.of(2.0, 2.0, 2.0))).get(0).toDoubleArray());
  }

  @Test
  void closingOverAnEnclosingTracerIsNeverCached() {
    Tensor x = Tensor.of(1.0, 2.0);
    List<JitFunction<Object>> made = new ArrayList<>();
    Function<List<Tensor>, List<Tensor>> loss =
        ws -> {
          Tensor w = ws.get(0);
          JitFunction<Object> f = Jit.jit("closure", l -> List.of(Ops.sum(l.get(0).mul(w))));
          made.add(f);
          List<Tensor> once = f.call(List.of(x));
          List<Tensor> twice = f.call(List.of(x));
          return List.of(once.get(0).add(twice.get(0)));
        };
    Ad.Linearized lin = Ad.linearize(loss, List.of(Tensor.of(3.0, 4.0)), "grad");
    assertEquals(2 * (3 + 8), lin.primals().get(0).item(), 1e-12);
    Tensor g = lin.transpose(List.of(Tensor.scalar(1.0, DType.F64))).get(0);
    assertArrayEquals(new double[] {2, 4}, g.toDoubleArray(), 1e-12);
    JitFunction<Object> f = made.get(0);
    assertEquals(2, f.traceCount(), "a graph holding the caller's tracer is traced per call");
    assertEquals(0, f.cacheSize());
  }

  @Test
  void cachedConstantsOutliveTheCallersScope() {
    JitFunction<Object> f = Jit.jit("affine", l -> List.of(l.get(0).mul(3.0).add(1.0)));
    try (Scope scope = Scope.open()) {
      assertArrayEquals(
          new double[] {4, 7}, f.call(List.of(Tensor.of(1.0, 2.0))).get(0).toDoubleArray());
      assertTrue(scope.trackedCount() > 0);
    }
    // The constants 3.0 and 1.0 were made while the scope was open; the cache still holds them.
    assertArrayEquals(
        new double[] {10, 13}, f.call(List.of(Tensor.of(3.0, 4.0))).get(0).toDoubleArray());
    assertEquals(1, f.traceCount());
  }

  // ------------------------------------------------------------------ results and errors

  @Test
  void fusedAndUnfusedExecutablesAgree() {
    JitFunction<Object> fused =
        Jit.jit("mlp", (a, s) -> FlatResult.of(mlp.apply(a)), JitConfig.defaults());
    JitFunction<Object> unfused =
        Jit.jit(
            "mlp", (a, s) -> FlatResult.of(mlp.apply(a)), JitConfig.defaults().withFusion(false));
    List<Tensor> args = mlpArgs(new Random(8), 3);
    assertSameValues(unfused.call(args), fused.call(args), 0.0);
    assertSameValues(mlp.apply(args), fused.call(args), 0.0);
    Graph compiled = fused.lower(List.of(avals(args)), null).compiled();
    assertTrue(
        compiled.equations().stream().anyMatch(e -> e.primitive() == Fused.FUSED),
        compiled.toString());
  }

  static AbstractValue[] avals(List<Tensor> ts) {
    return ts.stream()
        .map(t -> new AbstractValue(t.shape(), t.dtype()))
        .toArray(AbstractValue[]::new);
  }

  @Test
  void errorsWhileTracingReachTheCallerUnwrappedAndCacheNothing() {
    JitFunction<Object> bad = Jit.jit("bad", l -> List.of(l.get(0).matmul(l.get(0))));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> bad.call(List.of(Tensor.zeros(2, 3))));
    assertTrue(
        e.getMessage().contains("dot_general") || e.getMessage().contains("matmul"),
        e.getMessage());
    assertEquals(0, bad.cacheSize());

    JitFunction<Object> nulls = Jit.jit("nulls", l -> java.util.Arrays.asList((Tensor) null));
    IllegalArgumentException n =
        assertThrows(IllegalArgumentException.class, () -> nulls.call(List.of(Tensor.zeros(2))));
    assertTrue(n.getMessage().contains("output 0 is null"), n.getMessage());
  }

  @Test
  void outputsMayBeInputsOrConstants() {
    Tensor c = Tensor.of(5.0);
    JitFunction<Object> f = Jit.jit("passthrough", l -> List.of(l.get(0), c, l.get(0)));
    Tensor x = Tensor.of(1.0);
    List<Tensor> out = f.call(List.of(x));
    assertEquals(1.0, out.get(0).item());
    assertEquals(5.0, out.get(1).item());
    assertEquals(1.0, out.get(2).item());
  }

  // ------------------------------------------------------------------ makeGraph, evalShape

  @Test
  void makeGraphAndEvalShapeComputeNothing() {
    AtomicInteger concrete = new AtomicInteger();
    Function<List<Tensor>, List<Tensor>> f =
        l -> {
          for (Tensor t : l) {
            if (!(t instanceof dev.arbor.core.Tracer)) {
              concrete.incrementAndGet();
            }
          }
          return List.of(Ops.tanh(l.get(0).matmul(l.get(1))), Ops.sum(l.get(1), 0));
        };
    List<AbstractValue> in =
        List.of(AbstractValue.of(DType.F32, 2, 3), AbstractValue.of(DType.F32, 3, 5));
    assertEquals(
        List.of(AbstractValue.of(DType.F32, 2, 5), AbstractValue.of(DType.F32, 5)),
        Jit.evalShape(f, in));
    Graph g = Jit.makeGraph(f, in);
    assertEquals(in, g.inputAvals());
    assertEquals(
        List.of("dot_general", "tanh", "reduce_sum"),
        g.equations().stream().map(e -> e.primitive().name()).toList());
    assertEquals(0, concrete.get());
    assertFalse(g.toString().isEmpty());
  }
}
