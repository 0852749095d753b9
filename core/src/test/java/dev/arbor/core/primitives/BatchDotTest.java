package dev.arbor.core.primitives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.arbor.Arbor;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.primitives.LinearAlgebra.Dims;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * vmap of dot_general keeps mapped axes in place (no transpose), folds a lone mapped axis into that
 * operand's free axes (one matmul, no broadcast of the other operand), and agrees with a loop over
 * the examples; the transpose rule emits no transpose for a plain matmul.
 */
class BatchDotTest {
  private static Tensor data(long seed, int... dims) {
    java.util.Random r = new java.util.Random(seed);
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian();
    }
    return Tensor.fromArray(v, dims);
  }

  /** Primitive names of the graph's equations, in order. */
  private static List<String> ops(Graph g) {
    List<String> names = new ArrayList<>();
    for (Equation e : g.equations()) {
      names.add(e.primitive().name());
    }
    return names;
  }

  private static Dims onlyDot(Graph g) {
    assertEquals(List.of("dot_general"), ops(g), g.toString());
    return Dims.of(g.equations().get(0).params());
  }

  private static void assertClose(Tensor expected, Tensor actual) {
    assertArrayEquals(expected.shape().dims(), actual.shape().dims());
    double[] e = expected.toDoubleArray();
    double[] a = actual.toDoubleArray();
    for (int i = 0; i < e.length; i++) {
      assertEquals(e[i], a[i], 1e-9 * (1 + Math.abs(e[i])), "element " + i);
    }
  }

  @Test
  void vmapOfXTimesWIsOneUnbatchedMatmul() {
    Tensor w = data(1, 5, 3);
    Function<Tensor, Tensor> f = Arbor.vmap((Tensor x) -> x.matmul(w));
    Dims d = onlyDot(Arbor.makeGraph(f, data(2, 7, 4, 5)));
    assertEquals(0, d.lhsBatch().length, "the examples are rows of one matmul");
    assertArrayEquals(new int[] {2}, d.lhsContract());
    assertArrayEquals(new int[] {0}, d.rhsContract());
  }

  @Test
  void vmapOverAnInnerAxisNeedsNoTransposeBeforeTheMatmul() {
    Tensor w = data(1, 5, 3);
    // x is [2, 5, B]: the mapped axis stays in place as one more free axis of x.
    Function<Tensor, Tensor> f = Arbor.vmap((Tensor x) -> x.matmul(w), 2, 0);
    Graph g = Arbor.makeGraph(f, data(2, 2, 5, 7));
    assertEquals("dot_general", ops(g).get(0), g.toString());
    Dims d = Dims.of(g.equations().get(0).params());
    assertArrayEquals(new int[] {1}, d.lhsContract());
    assertEquals(0, d.lhsBatch().length);
    Tensor x = data(3, 2, 5, 7);
    Tensor got = f.apply(x);
    for (int b = 0; b < 7; b++) {
      Tensor xb = Ops.transpose(x, 2, 0, 1).get(b);
      assertClose(xb.matmul(w), got.get(b));
    }
  }

  @Test
  void vmapOfWTimesXFoldsIntoTheRhsFreeAxis() {
    Tensor w = data(1, 3, 5);
    // The mapped axis lands among the rhs free axes (output axis 1); outAxes 1 keeps it there.
    Function<Tensor, Tensor> f = Arbor.vmap((Tensor x) -> w.matmul(x), 0, 1);
    Dims d = onlyDot(Arbor.makeGraph(f, data(2, 4, 5, 2)));
    assertEquals(0, d.rhsBatch().length);
    Tensor x = data(3, 4, 5, 2);
    Tensor got = f.apply(x);
    for (int b = 0; b < 4; b++) {
      assertClose(w.matmul(x.get(b)), Ops.transpose(got, 1, 0, 2).get(b));
    }
  }

  @Test
  void bothMappedAtDifferentAxesBecomeOneBatchDimension() {
    Function<List<Tensor>, Tensor> f =
        Arbor.vmap((List<Tensor> xy) -> xy.get(0).matmul(xy.get(1)), List.of(2, 0), 0);
    Tensor x = data(1, 3, 4, 6); // [M, K, B]
    Tensor y = data(2, 6, 4, 5); // [B, K, N]
    Dims d = onlyDot(Arbor.makeGraph(f, List.of(x, y)));
    assertArrayEquals(new int[] {2}, d.lhsBatch());
    assertArrayEquals(new int[] {0}, d.rhsBatch());
    Tensor got = f.apply(List.of(x, y));
    for (int b = 0; b < 6; b++) {
      Tensor xb = Ops.transpose(x, 2, 0, 1).get(b);
      assertClose(xb.matmul(y.get(b)), got.get(b));
    }
  }

  @Test
  void vmapOfABatchedDotGeneralMatchesTheLoop() {
    // Per example: x [M=4, batch=2, K=3] (batch axis 1), y [batch=2, K=3, N=5]; x mapped on axis 1.
    Dims dims = new Dims(new int[] {2}, new int[] {1}, new int[] {1}, new int[] {0});
    Tensor y = data(1, 2, 3, 5);
    Function<Tensor, Tensor> f =
        Arbor.vmap((Tensor x) -> LinearAlgebra.dotGeneral(x, y, dims), 1, 2);
    Tensor x = data(2, 4, 6, 2, 3);
    Graph g = Arbor.makeGraph(f, x);
    assertEquals("dot_general", ops(g).get(0), g.toString());
    Tensor got = f.apply(x);
    assertArrayEquals(new int[] {2, 4, 6, 5}, got.shape().dims());
    for (int b = 0; b < 6; b++) {
      Tensor xb = Ops.transpose(x, 1, 0, 2, 3).get(b);
      assertClose(LinearAlgebra.dotGeneral(xb, y, dims), Ops.transpose(got, 2, 0, 1, 3).get(b));
    }
  }

  record Layer(Tensor w, Tensor x) {}

  @Test
  void perExampleWeightGradientsAreBatchedOuterProductsWithoutTranspose() {
    Tensor w = data(1, 6, 4);
    Function<Layer, Tensor> perExample =
        Arbor.vmap(
            (Layer l) ->
                Arbor.grad((Tensor ww) -> Ops.tanh(l.x().reshape(1, 6).matmul(ww)).sum())
                    .apply(l.w()),
            Arrays.asList(null, 0),
            0);
    Tensor xs = data(2, 9, 6);
    Graph g = Arbor.makeGraph(perExample, new Layer(w, xs));
    List<String> names = ops(g);
    assertEquals(0, names.stream().filter("transpose"::equals).count(), g.toString());
    assertEquals(2, names.stream().filter("dot_general"::equals).count(), g.toString());
    Tensor got = perExample.apply(new Layer(w, xs));
    assertArrayEquals(new int[] {9, 6, 4}, got.shape().dims());
    for (int b = 0; b < 9; b++) {
      Tensor xb = xs.get(b);
      Tensor expected =
          Arbor.grad((Tensor ww) -> Ops.tanh(xb.reshape(1, 6).matmul(ww)).sum()).apply(w);
      assertClose(expected, got.get(b));
    }
  }
}
