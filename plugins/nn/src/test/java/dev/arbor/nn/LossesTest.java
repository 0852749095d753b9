package dev.arbor.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.Tensor;
import org.junit.jupiter.api.Test;

class LossesTest {
  static final float[][] LOGITS = {{2, -1, 0.5f}, {-0.3f, 0.2f, 1.7f}};
  static final Tensor LABELS = Tensor.of(0, 2);

  /** -log softmax(row)[label], computed directly in double. */
  static double naiveCrossEntropy(float[] row, int label) {
    double z = 0;
    for (float v : row) {
      z += Math.exp(v);
    }
    return -Math.log(Math.exp(row[label]) / z);
  }

  @Test
  void softmaxCrossEntropyIsTheMeanNegativeLogLikelihood() {
    double expected = (naiveCrossEntropy(LOGITS[0], 0) + naiveCrossEntropy(LOGITS[1], 2)) / 2;
    assertEquals(expected, Losses.softmaxCrossEntropy(Tensor.of(LOGITS), LABELS).item(), 1e-6);
  }

  @Test
  void softmaxCrossEntropyGradientIsSoftmaxMinusOneHotOverN() {
    Tensor g =
        Arbor.grad((Tensor l) -> Losses.softmaxCrossEntropy(l, LABELS)).apply(Tensor.of(LOGITS));
    double[] gv = g.toDoubleArray();
    int[] labels = {0, 2};
    for (int r = 0; r < 2; r++) {
      double z = 0;
      for (float v : LOGITS[r]) {
        z += Math.exp(v);
      }
      for (int c = 0; c < 3; c++) {
        double p = Math.exp(LOGITS[r][c]) / z;
        assertEquals((p - (c == labels[r] ? 1 : 0)) / 2, gv[r * 3 + c], 1e-6);
      }
    }
  }

  @Test
  void softmaxCrossEntropyIsStableForHugeLogits() {
    Tensor logits = Tensor.of(new float[][] {{1e4f, 0, -1e4f}, {0, 2e4f, 0}});
    Tensor loss = Losses.softmaxCrossEntropy(logits, Tensor.of(1, 1));
    // row 0 misses by 1e4, row 1 is certain: mean = 5000
    assertEquals(5000, loss.item(), 1e-2);
    Tensor g =
        Arbor.grad((Tensor l) -> Losses.softmaxCrossEntropy(l, Tensor.of(1, 1))).apply(logits);
    for (double v : g.toDoubleArray()) {
      assertTrue(Double.isFinite(v));
    }
  }

  @Test
  void labelsMustBeIntegersWithoutTheClassAxis() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Losses.softmaxCrossEntropy(Tensor.of(LOGITS), Tensor.of(0f, 2f)));
    assertTrue(e.getMessage().contains("integer class labels"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(Tensor.of(LOGITS), Tensor.of(0, 2, 1).reshape(3, 1)));
  }

  @Test
  void mseAndBinaryCrossEntropyMatchTheirFormulas() {
    assertEquals(
        (0.25 + 4 + 1) / 3,
        Losses.mse(Tensor.of(1f, 2f, 3f), Tensor.of(1.5f, 0f, 4f)).item(),
        1e-6);
    float[] x = {-3, -0.5f, 0, 2, 40};
    float[] z = {0, 1, 0.5f, 1, 0};
    double expected = 0;
    for (int k = 0; k < x.length; k++) {
      double s = 1 / (1 + Math.exp(-x[k]));
      // 1 - s underflows to 0 at x = 40 in double: use the exact log(1 - s) = -x - log(1 + e^-x)
      double log1ms = x[k] > 30 ? -x[k] : Math.log(1 - s);
      expected += -(z[k] * Math.log(s) + (1 - z[k]) * log1ms) / x.length;
    }
    assertEquals(
        expected, Losses.binaryCrossEntropyWithLogits(Tensor.of(x), Tensor.of(z)).item(), 1e-5);
  }

  @Test
  void accuracyCountsArgmaxHits() {
    assertEquals(1.0, Losses.accuracy(Tensor.of(LOGITS), LABELS).item(), 0);
    assertEquals(0.5, Losses.accuracy(Tensor.of(LOGITS), Tensor.of(0, 0)).item(), 0);
    assertArrayEquals(
        new double[] {0.5},
        new double[] {Losses.accuracy(Tensor.of(LOGITS), Tensor.of(1L, 2L)).item()},
        0);
  }
}
