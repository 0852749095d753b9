package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Elementwise;
import java.util.List;
import java.util.Random;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * {@link FastMath#rem} against Java's {@code %} bit for bit (random bit patterns of both operands,
 * operands of close and of far magnitudes, special values) and {@link FastMath#erfInv}'s ulp error:
 * F32 against the correctly rounded float of core's float64 erfinv (accurate to ~1e-15, so exact at
 * float precision) over every 997th float bit pattern in (-1, 1); F64 against core's reference
 * kernel (the same polynomials) over a million random doubles, near ±1 too. The bounds asserted are
 * the documented ones (docs/backends.md).
 */
class RemErfInvTest {
  private static final int LF = FastMath.F.length();
  private static final int LD = FastMath.D.length();

  /** Documented erf_inv bounds (ulp). */
  static final double ERF_INV_F32_ULP = 3;

  static final double ERF_INV_F64_ULP = 2;

  // ---------------------------------------------------------------- rem

  private static float randomFloat(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> Float.intBitsToFloat(r.nextInt()); // any pattern: NaN, inf, subnormal, huge
      case 1 -> (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(12) - 6));
      case 2 -> (r.nextInt(41) - 20) * 0.25f;
      default -> (float) r.nextGaussian() * 100;
    };
  }

  private static double randomDouble(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> Double.longBitsToDouble(r.nextLong());
      case 1 -> (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(40) - 20);
      case 2 -> (r.nextInt(41) - 20) * 0.25;
      default -> r.nextGaussian() * 100;
    };
  }

  @Test
  void remF32IsJavasRemainderBitForBit() {
    Random r = new Random(1);
    float[] x = new float[LF];
    float[] y = new float[LF];
    float[] got = new float[LF];
    float[] special = {
      0f,
      -0f,
      1f,
      -1f,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      Float.NaN,
      Float.MIN_VALUE,
      Float.MAX_VALUE,
      3f,
      -3f,
      1e-40f,
      0x1p23f,
      0x1p24f + 2
    };
    for (int round = 0; round < 200_000; round++) {
      for (int i = 0; i < LF; i++) {
        x[i] = r.nextInt(10) == 0 ? special[r.nextInt(special.length)] : randomFloat(r);
        y[i] = r.nextInt(10) == 0 ? special[r.nextInt(special.length)] : randomFloat(r);
      }
      FastMath.rem(FloatVector.fromArray(FastMath.F, x, 0), FloatVector.fromArray(FastMath.F, y, 0))
          .intoArray(got, 0);
      for (int i = 0; i < LF; i++) {
        float want = x[i] % y[i];
        int at = i;
        assertTrue(
            Float.floatToIntBits(want) == Float.floatToIntBits(got[i]),
            () -> x[at] + " % " + y[at] + ": got " + got[at] + ", expected " + want);
      }
    }
  }

  @Test
  void remF64IsJavasRemainderBitForBit() {
    Random r = new Random(2);
    double[] x = new double[LD];
    double[] y = new double[LD];
    double[] got = new double[LD];
    double[] special = {
      0d,
      -0d,
      1d,
      -1d,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      Double.NaN,
      Double.MIN_VALUE,
      Double.MAX_VALUE,
      3d,
      -3d,
      1e-310,
      0x1p52,
      0x1p53 + 2
    };
    for (int round = 0; round < 200_000; round++) {
      for (int i = 0; i < LD; i++) {
        x[i] = r.nextInt(10) == 0 ? special[r.nextInt(special.length)] : randomDouble(r);
        y[i] = r.nextInt(10) == 0 ? special[r.nextInt(special.length)] : randomDouble(r);
      }
      FastMath.rem(
              DoubleVector.fromArray(FastMath.D, x, 0), DoubleVector.fromArray(FastMath.D, y, 0))
          .intoArray(got, 0);
      for (int i = 0; i < LD; i++) {
        double want = x[i] % y[i];
        int at = i;
        assertTrue(
            Double.doubleToLongBits(want) == Double.doubleToLongBits(got[i]),
            () -> x[at] + " % " + y[at] + ": got " + got[at] + ", expected " + want);
      }
    }
  }

  // ---------------------------------------------------------------- erf_inv

  /** Core's reference erf_inv (float64) of {@code x}. */
  private static double[] reference(double[] x) {
    AbstractValue aval = new AbstractValue(Shape.of(x.length), DType.F64);
    HostArray h = HostArray.ofDoubles(aval, x);
    return Elementwise.ERF_INV
        .referenceKernel()
        .apply(List.of(h), Params.EMPTY, List.of(aval))
        .get(0)
        .toDoubles();
  }

  @Test
  void erfInvF32WithinItsBound() {
    int top = Float.floatToRawIntBits(1f);
    int n = 0;
    float[] in = new float[2 * (top / 997 + 1)];
    for (int bits = 0; bits < top; bits += 997) {
      in[n++] = Float.intBitsToFloat(bits);
      in[n++] = -Float.intBitsToFloat(bits);
    }
    double[] wide = new double[n];
    for (int i = 0; i < n; i++) {
      wide[i] = in[i];
    }
    double[] exact = reference(wide);
    float[] got = new float[LF];
    double worst = 0;
    float worstAt = 0;
    for (int i0 = 0; i0 + LF <= n; i0 += LF) {
      FastMath.erfInv(FloatVector.fromArray(FastMath.F, in, i0)).intoArray(got, 0);
      for (int i = 0; i < LF; i++) {
        float want = (float) exact[i0 + i];
        double u =
            want == 0
                ? (got[i] == 0 ? 0 : Double.POSITIVE_INFINITY)
                : Math.abs((double) got[i] - want) / Math.ulp(want);
        if (u > worst) {
          worst = u;
          worstAt = in[i0 + i];
        }
      }
    }
    assertTrue(worst <= ERF_INV_F32_ULP, "erf_inv f32 max error " + worst + " ulp at x=" + worstAt);
  }

  @Test
  void erfInvF64WithinItsBound() {
    Random r = new Random(3);
    int n = 1 << 20;
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] =
          switch (i % 4) {
            case 0 -> r.nextDouble() * 2 - 1;
            case 1 -> (1 - Math.pow(10, -3 - 13 * r.nextDouble())) * (r.nextBoolean() ? 1 : -1);
            case 2 -> (1 - Math.pow(10, -1 - 2 * r.nextDouble())) * (r.nextBoolean() ? 1 : -1);
            default -> (r.nextDouble() - 0.5) * Math.pow(10, -r.nextInt(20));
          };
    }
    double[] want = reference(x);
    double[] got = new double[LD];
    double worst = 0;
    double worstAt = 0;
    for (int i0 = 0; i0 < n; i0 += LD) {
      FastMath.erfInv(DoubleVector.fromArray(FastMath.D, x, i0)).intoArray(got, 0);
      for (int i = 0; i < LD; i++) {
        double w = want[i0 + i];
        double u = w == 0 ? (got[i] == 0 ? 0 : 1e300) : Math.abs(got[i] - w) / Math.ulp(w);
        if (u > worst) {
          worst = u;
          worstAt = x[i0 + i];
        }
      }
    }
    assertTrue(worst <= ERF_INV_F64_ULP, "erf_inv f64 max error " + worst + " ulp at x=" + worstAt);
  }

  @Test
  void erfInvSpecialValues() {
    float[] in = new float[LF];
    float[] special = {1f, -1f, 0f, -0f, 1.5f, -1.0000001f, Float.NaN, Float.POSITIVE_INFINITY};
    System.arraycopy(special, 0, in, 0, special.length);
    float[] f = new float[LF];
    FastMath.erfInv(FloatVector.fromArray(FastMath.F, in, 0)).intoArray(f, 0);
    double[] d = new double[LD];
    double[] din = new double[LD];
    for (int i = 0; i < Math.min(LD, special.length); i++) {
      din[i] = special[i];
    }
    FastMath.erfInv(DoubleVector.fromArray(FastMath.D, din, 0)).intoArray(d, 0);
    assertEquals(Float.POSITIVE_INFINITY, f[0]);
    assertEquals(Float.NEGATIVE_INFINITY, f[1]);
    assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(f[2]));
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(f[3]), "erf_inv(-0) = -0");
    for (int i = 4; i < special.length; i++) {
      assertTrue(Float.isNaN(f[i]), "NaN at " + special[i]);
    }
    assertEquals(Double.POSITIVE_INFINITY, d[0]);
    assertEquals(Double.NEGATIVE_INFINITY, d[1]);
    assertEquals(Double.doubleToRawLongBits(-0d), Double.doubleToRawLongBits(d[3]));
    for (int i = 4; i < Math.min(LD, special.length); i++) {
      assertTrue(Double.isNaN(d[i]), "NaN at " + din[i]);
    }
  }
}
