package dev.arbor.transform.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.primitives.Structural;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ConstantBroadcastsTest {
  private static final int N = 100_000; // above the default folding limit (65536)

  @Test
  void aBroadcastScalarConstantIsStagedAgainAsABroadcast() {
    Graph g =
        Jit.makeGraph(
            l -> List.of(Ops.add(l.get(0).mul(0.5), Ops.weak(0.25, l.get(0)))),
            List.of(AbstractValue.of(DType.F32, N)));
    // Staging broadcast 0.5 and 0.25 eagerly: two domain-sized constants.
    assertEquals(2, g.constVars().size());
    assertEquals(N, g.constValues().get(0).shape().size());
    Graph r = ConstantBroadcasts.restage(g, 65536);
    assertEquals(2, r.constVars().size());
    for (Tensor c : r.constValues()) {
      assertEquals(1, c.shape().size(), "the constants are the scalars now");
    }
    assertEquals(4, r.equations().size());
    assertSame(Structural.BROADCAST_IN_DIM, r.equations().get(0).primitive());
    assertSame(Structural.BROADCAST_IN_DIM, r.equations().get(1).primitive());
    // The fusion pass then keeps the broadcasts inside the cluster.
    Graph fused = Fusion.cluster(Jit.optimize(g));
    assertEquals(1, fused.equations().size());
    assertSame(Fused.FUSED, fused.equations().get(0).primitive());
  }

  @Test
  void smallAndNonBroadcastConstantsAreLeftAlone() {
    Tensor w = Tensor.fromArray(new float[N], N);
    Graph g =
        Jit.makeGraph(
            l -> List.of(Ops.add(l.get(0).mul(0.5), w)), List.of(AbstractValue.of(DType.F32, N)));
    assertSame(g, ConstantBroadcasts.restage(g, N)); // within the folding limit
    Graph r = ConstantBroadcasts.restage(g, 1000);
    assertEquals(2, r.constVars().size());
    assertTrue(r.constValues().contains(w), "a concrete tensor of its own stays a constant");
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
}
