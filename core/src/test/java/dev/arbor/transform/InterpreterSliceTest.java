package dev.arbor.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.StagingTrace;
import dev.arbor.transform.ad.Ad;
import dev.arbor.transform.batching.BatchTrace;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class InterpreterSliceTest {
  static Tensor grad1(Function<Tensor, Tensor> f, Tensor x) {
    Ad.Linearized lin = Ad.linearize(l -> List.of(f.apply(l.get(0))), List.of(x), "grad");
    return lin.transpose(List.of(Tensor.scalar(1.0, lin.primals().get(0).dtype()))).get(0);
  }

  @Test
  void gradOfSin() {
    Tensor x = Tensor.of(0.0, 1.0, 2.0);
    Tensor g = grad1(t -> Ops.sum(Ops.sin(t)), x);
    assertArrayEquals(new double[] {1.0, Math.cos(1), Math.cos(2)}, g.toDoubleArray(), 1e-12);
  }

  @Test
  void gradOfGrad() {
    Tensor x = Tensor.of(0.5, 1.0);
    Tensor g2 = grad1(t -> Ops.sum(grad1(u -> Ops.sum(Ops.sin(u)), t)), x);
    assertArrayEquals(new double[] {-Math.sin(0.5), -Math.sin(1)}, g2.toDoubleArray(), 1e-12);
  }

  @Test
  void gradOfMatmulAndTanh() {
    Tensor w = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor x = Tensor.fromArray(new double[] {0.1, -0.2}, 1, 2);
    Tensor g = grad1(ww -> Ops.sum(Ops.tanh(x.matmul(ww))), w);
    // finite differences
    double[] wd = w.toDoubleArray();
    double eps = 1e-6;
    for (int k = 0; k < 6; k++) {
      double[] p = wd.clone();
      double[] m = wd.clone();
      p[k] += eps;
      m[k] -= eps;
      double fp = Ops.sum(Ops.tanh(x.matmul(Tensor.fromArray(p, 2, 3)))).item();
      double fm = Ops.sum(Ops.tanh(x.matmul(Tensor.fromArray(m, 2, 3)))).item();
      assertEquals((fp - fm) / (2 * eps), g.toDoubleArray()[k], 1e-6);
    }
  }

  @Test
  void vmapOfMatVec() {
    Tensor w = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor xs = Tensor.fromArray(new double[] {1, 0, 0, 1, 1, 1}, 3, 2);
    BatchTrace t = new BatchTrace("vmap", null, 3);
    Tensor out;
    try {
      Tensor x = t.tracer(xs, 0);
      out = t.unwrap(Ops.tanh(x.matmul(w))).outputs().get(0);
    } finally {
      t.end();
    }
    assertArrayEquals(Ops.tanh(xs.matmul(w)).toDoubleArray(), out.toDoubleArray(), 1e-12);
  }

  @Test
  void stagingPrintsLikeAJaxpr() {
    StagingTrace s = new StagingTrace("makeGraph");
    String g;
    try {
      Tensor a =
          s.newInput(
              new dev.arbor.core.AbstractValue(
                  dev.arbor.array.Shape.of(3, 4), dev.arbor.array.DType.F32));
      g = s.toGraph(List.of(Ops.tanh(a))).toString();
    } finally {
      s.end();
    }
    assertEquals("{ lambda ; a:f32[3,4]. let\n    b:f32[3,4] = tanh a\n  in (b) }", g);
  }

  @Test
  void ruleChecksOnBasicPrimitives() {
    java.util.Random rng = new java.util.Random(1);
    Tensor a = dev.arbor.testing.RuleChecks.random(rng, -1, 1, 3, 4);
    Tensor b = dev.arbor.testing.RuleChecks.random(rng, -1, 1, 4, 2);
    Function<List<Tensor>, List<Tensor>> f =
        l -> List.of(Ops.tanh(l.get(0).matmul(l.get(1))).mul(l.get(0).sum(1).reshape(3, 1)));
    dev.arbor.testing.RuleChecks.checkJvp("mlp-ish", f, List.of(a, b), 1e-6);
    dev.arbor.testing.RuleChecks.checkVjp("mlp-ish", f, List.of(a, b), 1e-9);
    Tensor batch = dev.arbor.testing.RuleChecks.random(rng, -1, 1, 5, 3, 4);
    dev.arbor.testing.RuleChecks.checkVmap(
        "mlp-ish", f, List.of(batch, b), new int[] {0, -1}, 1e-12);
    dev.arbor.testing.RuleChecks.checkVmap(
        "mlp-ish-axis2",
        f,
        List.of(a, dev.arbor.testing.RuleChecks.random(rng, -1, 1, 4, 2, 6)),
        new int[] {-1, 2},
        1e-12);
  }
}
