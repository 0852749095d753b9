package dev.arbor.transform.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Trace;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Structural;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Omnistaging: while a closed graph is being staged ({@code jit}, {@code makeGraph}, control-flow
 * bodies), operations on constants alone are staged too, instead of running while tracing.
 */
class OmnistagingTest {
  private static final int N = 100_000; // above the default folding limit (65536)

  @Test
  void aScalarTimesATracerStagesTheBroadcastNotADomainSizedConstant() {
    Graph g =
        Jit.makeGraph(
            l -> List.of(Ops.add(l.get(0).mul(0.5), Ops.weak(0.25, l.get(0)))),
            List.of(AbstractValue.of(DType.F32, N)));
    assertEquals(2, g.constVars().size());
    for (Tensor c : g.constValues()) {
      assertEquals(1, c.shape().size(), "the constants are the scalars 0.5 and 0.25");
    }
    assertEquals(2, count(g, Structural.BROADCAST_IN_DIM), g.toString());
    // Fusion keeps the broadcasts inside the one cluster: one pass over memory.
    Graph fused = Fusion.cluster(Jit.optimize(g));
    assertEquals(1, fused.equations().size(), fused.toString());
    assertSame(Fused.FUSED, fused.equations().get(0).primitive());
  }

  @Test
  void operationsOnClosedOverConstantsAreStagedThenFoldedWhenSmall() {
    Tensor c = Tensor.of(1.0, 2.0);
    Graph g =
        Jit.makeGraph(
            l -> List.of(l.get(0).mul(Ops.exp(c))), List.of(AbstractValue.of(DType.F64, 2)));
    assertEquals(
        1, count(g, Elementwise.EXP), "exp(c) is staged, not computed while tracing\n" + g);
    Graph o = Jit.optimize(g);
    assertEquals(0, count(o, Elementwise.EXP), "folded at compile time: it is small\n" + o);
    Tensor x = Tensor.of(3.0, -1.0);
    assertArrayEquals(
        x.mul(Ops.exp(c)).toDoubleArray(), o.evaluate(List.of(x)).get(0).toDoubleArray(), 0);
  }

  @Test
  void outsideAClosedGraphConstantsStillRunAtOnce() {
    assertInstanceOf(ConcreteTensor.class, Ops.exp(Tensor.of(1.0)));
    // grad's own trace is not a closed graph: constant work inside it stays concrete.
    List<Tensor> seen = new ArrayList<>();
    Arbor.grad(
            (Tensor x) -> {
              seen.add(Ops.exp(Tensor.of(1.0)));
              return x.mul(x).sum();
            })
        .apply(Tensor.of(2.0));
    assertInstanceOf(ConcreteTensor.class, seen.get(0));
  }

  @Test
  @SuppressWarnings("try") // the context only has to be open around the calls inside it
  void anEvalContextRunsConstantWorkNowWhileStaging() {
    List<Tensor> seen = new ArrayList<>();
    Jit.makeGraph(
        l -> {
          seen.add(Ops.exp(Tensor.of(1.0)));
          try (Trace.EvalContext now = Trace.evalContext()) {
            seen.add(Ops.exp(Tensor.of(1.0)));
            // A transformation started inside still stages its own constant work.
            seen.addAll(
                Jit.makeGraph(m -> List.of(Ops.exp(Tensor.of(1.0))), List.of()).constValues());
          }
          seen.add(Ops.exp(Tensor.of(1.0)));
          return List.of(l.get(0));
        },
        List.of(AbstractValue.of(DType.F64)));
    assertTrue(!(seen.get(0) instanceof ConcreteTensor), "staged");
    assertInstanceOf(ConcreteTensor.class, seen.get(1));
    assertEquals(1, seen.get(2).shape().size(), "the inner graph's constant is the scalar 1.0");
    assertTrue(!(seen.get(3) instanceof ConcreteTensor), "staged again after the context");
  }

  /**
   * A jitted function called with tracers inside another jit compiles (and constant-folds) its
   * graph while the outer trace is staging. The folded values must be concrete: staged into the
   * outer graph, they would be the outer trace's tracers inside the inner function's cached
   * executable, and its next plain call would fail as a leak.
   */
  @Test
  void aNestedCompileFoldsConstantsConcretely() {
    Tensor c = Tensor.of(1.0, 2.0);
    Function<Tensor, Tensor> inner = Arbor.jit((Tensor v) -> v.mul(Ops.exp(c)));
    Function<Tensor, Tensor> outer = Arbor.jit((Tensor v) -> inner.apply(v).add(1.0));
    Graph g =
        Jit.makeGraph(
            l -> List.of(inner.apply(l.get(0)).add(1.0)), List.of(AbstractValue.of(DType.F64, 2)));
    assertEquals(0, count(g, Elementwise.EXP), "exp(c) was folded inside inner's compile\n" + g);
    Tensor x = Tensor.of(3.0, -1.0);
    double[] expected = x.mul(Ops.exp(c)).toDoubleArray();
    assertArrayEquals(
        x.mul(Ops.exp(c)).add(1.0).toDoubleArray(), outer.apply(x).toDoubleArray(), 1e-15);
    assertArrayEquals(expected, inner.apply(x).toDoubleArray(), 1e-15);
  }

  @Test
  void readingAStagedConstantExplainsOmnistaging() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Jit.makeGraph(
                    l -> List.of(l.get(0).mul(Ops.exp(Tensor.of(1.0)).toDoubleArray()[0])),
                    List.of(AbstractValue.of(DType.F64))));
    assertTrue(e.getMessage().contains("toDoubleArray() needs a concrete value"), e.getMessage());
    assertTrue(e.getMessage().contains("Trace.evalContext()"), e.getMessage());
  }

  @Test
  void jitResultsAreUnchanged() {
    float[] x = new float[N];
    for (int i = 0; i < N; i++) {
      x[i] = i * 1e-3f;
    }
    Function<Tensor, Tensor> f = v -> Ops.tanh(Ops.add(v.mul(0.5), Ops.weak(0.25, v)));
    Tensor t = Tensor.fromArray(x, N);
    assertArrayEquals(f.apply(t).toFloatArray(), Arbor.jit(f).apply(t).toFloatArray(), 1e-6f);
  }

  private static long count(Graph g, Object primitive) {
    long n = 0;
    for (Equation e : g.equations()) {
      if (e.primitive() == primitive) {
        n++;
      }
    }
    return n;
  }
}
