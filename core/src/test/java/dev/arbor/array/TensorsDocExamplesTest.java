package dev.arbor.array;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The snippets of docs/tensors.md, run, with the shapes and values the page states. */
class TensorsDocExamplesTest {
  private static void shape(Tensor t, int... dims) {
    assertArrayEquals(dims, t.shape().dims(), "shape of " + t);
  }

  @Test
  void indexingAndSlicing() {
    Tensor x = Tensor.arange(24).reshape(2, 3, 4);
    shape(x.get(1), 3, 4);
    shape(x.get(1, -1), 4);
    assertArrayEquals(new long[] {20, 21, 22, 23}, x.get(1, -1).toLongArray());
    shape(x.get(1, 2, 3), new int[0]);
    assertEquals(23, x.get(1, 2, 3).item());
    shape(x.slice(2, 1, 3), 2, 3, 2);
    shape(x.slice(2, -2, -1), 2, 3, 1);
    shape(Ops.slice(x, 2, 0, 4, 2), 2, 3, 2);
    assertArrayEquals(new long[] {0, 2}, Ops.slice(x, 2, 0, 4, 2).get(0, 0).toLongArray());
    shape(Ops.squeeze(x.slice(0, 0, 1)), 3, 4);
    shape(Ops.expandDims(x, 0), 1, 2, 3, 4);
  }

  @Test
  void gathering() {
    Tensor table = Tensor.arange(40).reshape(10, 4);
    Tensor rows = Ops.take(table, Tensor.of(3, 1, -1), 0);
    shape(rows, 3, 4);
    assertArrayEquals(new long[] {12, 4, 36}, Ops.take(rows, Tensor.of(0), 1).toLongArray());
    Tensor scores = Tensor.arange(35).reshape(5, 7);
    Tensor best = Tensor.of(new int[] {0, 6, 2, 2, 1}).reshape(5, 1);
    Tensor picked = Ops.takeAlongAxis(scores, best, 1);
    shape(picked, 5, 1);
    assertArrayEquals(new long[] {0, 13, 16, 23, 29}, picked.toLongArray());
  }

  @Test
  void joiningPaddingAndProducts() {
    Tensor a = Tensor.ones(2, 3);
    Tensor b = Tensor.zeros(2, 3);
    shape(Ops.concat(0, a, b), 4, 3);
    shape(Ops.stack(0, a, b), 2, 2, 3);
    Tensor m = Tensor.of(new float[][] {{1, 2}, {3, 4}});
    shape(Ops.pad(m, new int[][] {{1, 1}, {0, 2}}), 4, 4);
    assertEquals(
        -12.0 + 10, // 12 padding cells of -1, plus 1 + 2 + 3 + 4
        Ops.pad(m, new int[][] {{1, 1}, {0, 2}}, -1.0).sum().item());
    shape(Tensor.zeros(2, 1, 3, 4).matmul(Tensor.zeros(5, 4, 6)), 2, 5, 3, 6);
    shape(
        Ops.einsum("ij,jk,kl->il", Tensor.ones(2, 3), Tensor.ones(3, 4), Tensor.ones(4, 5)), 2, 5);
    assertEquals(
        12.0,
        Ops.einsum("ij,jk,kl->il", Tensor.ones(2, 3), Tensor.ones(3, 4), Tensor.ones(4, 5))
            .get(0, 0)
            .item());
    assertEquals(3.0, Ops.einsum("i,i", Tensor.ones(3), Tensor.ones(3)).item());
    assertEquals(3.0, Ops.dot(Tensor.ones(3), Tensor.ones(3)).item());
  }
}
