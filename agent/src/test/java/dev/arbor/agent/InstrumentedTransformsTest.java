package dev.arbor.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.GradAndAux;
import dev.arbor.WithAux;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.instrument.ModuleCalls;
import dev.arbor.module.Module;
import dev.arbor.module.State;
import dev.arbor.module.Updated;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * STATE.md section 5 with plain nested {@code call}s (instrumented by the self-attached agent): a
 * normalization layer's running mean, held by an outer module that writes no state code, updates
 * under {@code vmap} (reduced with {@code pmean}) and comes back beside the gradient.
 */
class InstrumentedTransformsTest {
  /** Centers its input; keeps a running mean. {@code axisName}: the vmap axis, or null. */
  record Center(Tensor runningMean, String axisName) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      Tensor mean = axisName == null ? x.mean(0) : Ops.pmean(x, axisName);
      State.assign("runningMean", Ops.stopGradient(runningMean).mul(0.9).add(mean.mul(0.1)));
      return x.sub(mean);
    }
  }

  record Net(Center center, Tensor w) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      return center.call(x).mul(w); // plain call: the agent makes it update `center`
    }
  }

  static final Tensor XS = Tensor.fromArray(new double[] {1, 10, 3, 20, 5, 60}, 3, 2);

  @Test
  void nestedStateUpdatesUnderVmapWithACollective() {
    Net net = new Net(new Center(Tensor.of(0.0, 0.0), "batch"), Tensor.of(1.0, 2.0));
    Function<Tensor, Module<Tensor, Tensor>> update = net::update;
    Net next = (Net) Arbor.vmap(update, 0, null, "batch").apply(XS);
    assertTrue(ModuleCalls.agentActive(), "the agent self-attached");
    assertArrayEquals(new double[] {0.3, 3}, next.center().runningMean().toDoubleArray(), 1e-12);
  }

  @Test
  void nestedStateComesBackBesideTheGradient() {
    Net net = new Net(new Center(Tensor.of(0.0, 0.0), null), Tensor.of(1.0, 2.0));
    GradAndAux<Net, Net> r =
        Arbor.gradWithAux(
                (Net n) -> {
                  Updated<Tensor, Net> u = State.callAndUpdate(n, XS);
                  return new WithAux<>(u.output().mul(u.output()).sum(), u.module());
                })
            .apply(net);
    assertArrayEquals(new double[] {0.3, 3}, r.aux().center().runningMean().toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {0, 0}, r.grad().center().runningMean().toDoubleArray(), 0);
    // d/dw sum((x - mean)^2 w^2) = 2 w sum((x - mean)^2): centered columns sum to 8 and 1400
    assertArrayEquals(new double[] {16, 5600}, r.grad().w().toDoubleArray(), 1e-9);
  }
}
