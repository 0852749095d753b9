package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vectorized rint/floor/ceil agree with Math's bit for bit, signed zeros and NaN included. */
class RoundingTest {
  private static final float[] SPECIAL_F = {
    0f,
    -0f,
    0.3f,
    -0.3f,
    0.5f,
    -0.5f,
    0.7f,
    -0.7f,
    1.5f,
    -1.5f,
    2.5f,
    -2.5f,
    1f,
    -1f,
    0x1p23f - 0.5f,
    -(0x1p23f - 0.5f),
    0x1p23f,
    0x1p23f + 1,
    0x1p24f + 2,
    -0x1p30f,
    Float.MIN_VALUE,
    -Float.MIN_VALUE,
    Float.MAX_VALUE,
    -Float.MAX_VALUE,
    Float.NaN,
    Float.POSITIVE_INFINITY,
    Float.NEGATIVE_INFINITY,
    0x1.fffffep-1f,
    -0x1.fffffep-1f
  };

  private static final double[] SPECIAL_D = {
    0d,
    -0d,
    0.3,
    -0.3,
    0.5,
    -0.5,
    0.7,
    -0.7,
    1.5,
    -1.5,
    2.5,
    -2.5,
    0x1p52 - 0.5,
    -(0x1p52 - 0.5),
    0x1p52,
    0x1p52 + 1,
    0x1p53 + 2,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MAX_VALUE,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    0x1.fffffffffffffp-1
  };

  @Test
  void f32MatchesMathOnSpecialAndRandomBitPatterns() {
    Random r = new Random(3);
    int l = FloatVector.SPECIES_PREFERRED.length();
    float[] x = new float[SPECIAL_F.length + 200_000];
    System.arraycopy(SPECIAL_F, 0, x, 0, SPECIAL_F.length);
    for (int i = SPECIAL_F.length; i < x.length; i++) {
      // Half random bit patterns, half values around the integers that matter.
      x[i] = i % 2 == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) (r.nextGaussian() * 100);
    }
    int n = x.length / l * l;
    for (int mode = -1; mode <= 1; mode++) {
      DoubleUnaryOperator want = mode < 0 ? Math::floor : mode > 0 ? Math::ceil : Math::rint;
      float[] y = new float[n];
      for (int i = 0; i < n; i += l) {
        Rounding.roundF32(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i), mode)
            .intoArray(y, i);
      }
      for (int i = 0; i < n; i++) {
        float e = (float) want.applyAsDouble(x[i]);
        assertEquals(
            Float.floatToRawIntBits(e) | (Float.isNaN(e) ? 0xffffffff : 0),
            Float.floatToRawIntBits(y[i]) | (Float.isNaN(y[i]) ? 0xffffffff : 0),
            "mode " + mode + " of " + x[i] + ": want " + e + ", got " + y[i]);
      }
    }
  }

  @Test
  void f64MatchesMathOnSpecialAndRandomBitPatterns() {
    Random r = new Random(4);
    int l = DoubleVector.SPECIES_PREFERRED.length();
    double[] x = new double[SPECIAL_D.length + 200_000];
    System.arraycopy(SPECIAL_D, 0, x, 0, SPECIAL_D.length);
    for (int i = SPECIAL_D.length; i < x.length; i++) {
      x[i] = i % 2 == 0 ? Double.longBitsToDouble(r.nextLong()) : r.nextGaussian() * 100;
    }
    int n = x.length / l * l;
    for (int mode = -1; mode <= 1; mode++) {
      DoubleUnaryOperator want = mode < 0 ? Math::floor : mode > 0 ? Math::ceil : Math::rint;
      double[] y = new double[n];
      for (int i = 0; i < n; i += l) {
        Rounding.roundF64(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, x, i), mode)
            .intoArray(y, i);
      }
      for (int i = 0; i < n; i++) {
        double e = want.applyAsDouble(x[i]);
        assertEquals(
            Double.isNaN(e) ? -1L : Double.doubleToRawLongBits(e),
            Double.isNaN(y[i]) ? -1L : Double.doubleToRawLongBits(y[i]),
            "mode " + mode + " of " + x[i] + ": want " + e + ", got " + y[i]);
      }
    }
  }
}
