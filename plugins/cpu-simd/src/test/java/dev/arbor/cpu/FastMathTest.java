package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * Measures the ULP error of the fast float32 functions against the correctly rounded result over
 * every 997th float bit pattern in their domain and fails when it exceeds the documented bound
 * (FastMath).
 */
class FastMathTest {
  /**
   * Max ulp error of {@code f} vs {@code exact} over floats in [lo, hi]: every 997th bit pattern of
   * the magnitudes, both signs.
   */
  private static double maxUlp(
      UnaryOperator<FloatVector> f, DoubleUnaryOperator exact, float lo, float hi, float absFloor) {
    return maxUlp(f, exact, lo, hi, absFloor, 997);
  }

  private static double maxUlp(
      UnaryOperator<FloatVector> f,
      DoubleUnaryOperator exact,
      float lo,
      float hi,
      float absFloor,
      int step) {
    int l = FastMath.F.length();
    float[] in = new float[l];
    float[] out = new float[l];
    double worst = 0;
    int filled = 0;
    int top = Float.floatToRawIntBits(Math.max(Math.abs(lo), Math.abs(hi)));
    for (int bits = 0; bits <= top; bits += step) {
      float m = Float.intBitsToFloat(bits);
      for (float x : new float[] {m, -m}) {
        if (x < lo || x > hi) {
          continue;
        }
        in[filled++] = x;
        if (filled == l) {
          worst = Math.max(worst, batch(f, exact, in, out, l, absFloor));
          filled = 0;
        }
      }
    }
    return Math.max(worst, batch(f, exact, in, out, filled, absFloor));
  }

  private static double batch(
      UnaryOperator<FloatVector> f,
      DoubleUnaryOperator exact,
      float[] in,
      float[] out,
      int n,
      float absFloor) {
    f.apply(FloatVector.fromArray(FastMath.F, in, 0)).intoArray(out, 0);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      float want = (float) exact.applyAsDouble(in[i]);
      float got = out[i];
      if (Float.isInfinite(want) || want == 0) {
        assertEquals(want, got, "at x=" + in[i]);
        continue;
      }
      if (Math.abs(want) < absFloor) {
        assertTrue(Math.abs(got - want) <= 1e-7, "absolute error at x=" + in[i]);
        continue;
      }
      double u = Math.abs((double) got - want) / Math.ulp(want);
      worst = Math.max(worst, u);
    }
    return worst;
  }

  @Test
  void expWithin1Ulp() {
    double u = maxUlp(FastMath::exp, Math::exp, -87f, 88.7f, 0);
    assertTrue(u <= 1, "exp max error " + u + " ulp");
  }

  @Test
  void tanhWithin5Ulp() {
    // Every 97th pattern: the coarser 997 grid missed the 5-ulp points of the earlier
    // (Eigen-coefficient) version, which this test then wrongly passed at 4.
    double u = maxUlp(FastMath::tanh, Math::tanh, -10f, 10f, 0f, 97);
    assertTrue(u <= 5, "tanh max error " + u + " ulp");
  }

  @Test
  void logisticWithin2Ulp() {
    double u = maxUlp(FastMath::logistic, x -> 1 / (1 + Math.exp(-x)), -80f, 30f, 0);
    assertTrue(u <= 2, "logistic max error " + u + " ulp");
  }

  @Test
  void specialValues() {
    float[] in = new float[FastMath.F.length()];
    float[] special = {
      Float.NaN,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      0f,
      -0f,
      200f,
      -200f,
      1e-30f,
      9.02f,
      -1e-42f
    };
    System.arraycopy(special, 0, in, 0, special.length);
    float[] e = new float[in.length];
    float[] t = new float[in.length];
    float[] s = new float[in.length];
    FastMath.exp(FloatVector.fromArray(FastMath.F, in, 0)).intoArray(e, 0);
    FastMath.tanh(FloatVector.fromArray(FastMath.F, in, 0)).intoArray(t, 0);
    FastMath.logistic(FloatVector.fromArray(FastMath.F, in, 0)).intoArray(s, 0);
    assertTrue(Float.isNaN(e[0]) && Float.isNaN(t[0]) && Float.isNaN(s[0]), "NaN propagates");
    assertEquals(Float.POSITIVE_INFINITY, e[1]);
    assertEquals(0f, e[2]);
    assertEquals(1f, e[3]);
    assertEquals(Float.POSITIVE_INFINITY, e[5]);
    assertEquals(0f, e[6]);
    assertEquals(1f, t[1]);
    assertEquals(-1f, t[2]);
    assertEquals(1f, t[5]);
    assertEquals(1e-30f, t[7]);
    assertEquals(1f, t[8], "tanh at the clamp rounds to 1");
    assertEquals(-1e-42f, t[9], "tanh(x) = x for subnormal x");
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(t[4]), "tanh(-0) = -0");
    assertEquals(1f, s[1]);
    assertEquals(0f, s[2]);
    assertEquals(0.5f, s[3]);
  }
}
