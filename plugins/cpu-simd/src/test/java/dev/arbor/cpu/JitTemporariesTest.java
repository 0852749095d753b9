package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.arbor.Arbor;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A jitted call run eagerly gives its intermediates' buffers back when it returns (Graph.evaluate),
 * and never an argument, a captured constant or a result; under a transformation nothing is
 * released early.
 */
class JitTemporariesTest {
  private Backend previous;

  @BeforeEach
  void onCpuSimd() {
    previous = Backends.defaultBackend();
    Backends.setDefault(CpuBackend.NAME);
  }

  @AfterEach
  void restore() {
    Backends.setDefault(previous.name());
  }

  private static Tensor ramp(int rows, int cols, double scale) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (scale * ((i % 7) - 3));
    }
    return Tensor.fromArray(v, rows, cols);
  }

  /** tanh, matmul, exp, sum: the matmul splits the chain, so there are several intermediates. */
  private static Tensor body(Tensor x, Tensor w) {
    return Ops.sum(Ops.exp(Ops.tanh(x).matmul(w).mul(0.1)));
  }

  @Test
  void intermediatesAreReleasedWhenTheCallReturns() {
    Tensor x = ramp(8, 16, 0.1);
    Tensor w = ramp(16, 4, 0.2);
    Function<List<Tensor>, Tensor> f = Arbor.jit((List<Tensor> in) -> body(in.get(0), in.get(1)));
    List<Tensor> args = List.of(x, w);
    double first = f.apply(args).item(); // compiles
    long before = CpuBuffer.live();
    Tensor y = f.apply(args);
    assertEquals(before + 1, CpuBuffer.live(), "only the result stays live");
    assertEquals(first, y.item(), 0);
    assertArrayEquals(ramp(8, 16, 0.1).toFloatArray(), x.toFloatArray(), "the argument is intact");
  }

  @Test
  void argumentsConstantsAndPassedThroughResultsStayUsable() {
    Tensor w = ramp(16, 4, 0.2); // captured: a constant of the graph
    Function<Tensor, List<Tensor>> f =
        Arbor.jit((Tensor x) -> List.of(x, Ops.tanh(x).matmul(w), x.mul(1.0)));
    Tensor x = ramp(8, 16, 0.1);
    for (int i = 0; i < 3; i++) {
      List<Tensor> out = f.apply(x);
      assertArrayEquals(x.toFloatArray(), out.get(0).toFloatArray());
      assertArrayEquals(
          Ops.tanh(x).matmul(w).toFloatArray(), out.get(1).toFloatArray(), 1e-6f, "call " + i);
      assertArrayEquals(x.toFloatArray(), out.get(2).toFloatArray());
    }
    assertArrayEquals(ramp(16, 4, 0.2).toFloatArray(), w.toFloatArray(), "the constant is intact");
  }

  @Test
  void underGradNothingIsReleasedEarly() {
    Tensor w = ramp(16, 4, 0.2);
    Function<Tensor, Tensor> f = Arbor.jit((Tensor x) -> body(x, w));
    Function<Tensor, Tensor> g = (Tensor x) -> body(x, w);
    Tensor x = ramp(8, 16, 0.1);
    float[] want = Arbor.grad(g).apply(x).toFloatArray();
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(want, Arbor.grad(f).apply(x).toFloatArray(), 1e-5f, "call " + i);
    }
  }
}
