package dev.arbor.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.arbor.Arbor;
import dev.arbor.Jitted;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.testing.RuleChecks;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Control flow through the pytree-level facade: jit, grad and vmap of functions using it. */
class ControlWithArborTest {
  record Params(Tensor w, Tensor h0) {}

  static Tensor loss(Params p, Tensor xs) {
    Control.Scanned s =
        Control.scan(
            (c, x) -> {
              Tensor h = Ops.tanh(c.get(0).mul(p.w()).add(x.get(0)));
              List<Tensor> y =
                  Control.cond(
                      ControlTest.gt0(h.sum()),
                      o -> List.of(o.get(0).mul(o.get(0))),
                      o -> List.of(Ops.sin(o.get(0))),
                      List.of(h));
              return new Control.Scanned(List.of(h), y);
            },
            List.of(p.h0()),
            List.of(xs));
    return s.ys().get(0).sum();
  }

  @Test
  void jitGradAndVmapOfAScanWithACond() {
    Random rng = new Random(21);
    Params p = new Params(RuleChecks.random(rng, -1, 1, 3), RuleChecks.random(rng, -1, 1, 3));
    Tensor xs = RuleChecks.random(rng, -1, 1, 6, 3);
    Function<Params, Tensor> f = q -> loss(q, xs);
    Jitted<Params, Tensor> jf = Arbor.jit(f);
    assertEquals(f.apply(p).item(), jf.apply(p).item(), 1e-12);
    assertEquals(f.apply(p).item(), jf.apply(p).item(), 1e-12);
    assertEquals(1, jf.traceCount());
    Params g = Arbor.grad(f).apply(p);
    Params gj = Arbor.grad(jf).apply(p);
    Params jg = Arbor.jit(Arbor.grad(f)).apply(p);
    assertArrayEquals(g.w().toDoubleArray(), gj.w().toDoubleArray(), 1e-12);
    assertArrayEquals(g.h0().toDoubleArray(), jg.h0().toDoubleArray(), 1e-12);
    // vmap over a batch of sequences of the gradient with respect to the parameters.
    Tensor batch = RuleChecks.random(rng, -1, 1, 4, 6, 3);
    Function<Tensor, Params> perSeq = x -> Arbor.grad((Params q) -> loss(q, x)).apply(p);
    Params vg = Arbor.vmap(perSeq).apply(batch);
    for (int b = 0; b < 4; b++) {
      Params one = perSeq.apply(dev.arbor.testing.Slicing.index(batch, 0, b));
      assertArrayEquals(
          one.w().toDoubleArray(),
          dev.arbor.testing.Slicing.index(vg.w(), 0, b).toDoubleArray(),
          1e-12);
    }
  }
}
