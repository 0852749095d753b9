package dev.arbor.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vectorized {@code rint} (round half to even, as {@code Math.rint}), {@code floor} and {@code
 * ceil}, exact: the Vector API has no rounding operators. Below 2^23 (F32) / 2^52 (F64) in
 * magnitude, {@code (|x| + 2^p) - 2^p} rounds {@code |x|} to an integer in the default
 * round-to-nearest-even mode; floor and ceil step that by one where it went the wrong way; the sign
 * of {@code x} is copied onto the result, which gives -0.0 where {@code Math} does ({@code
 * ceil(-0.7)}, {@code rint(-0.3)}, {@code floor(-0.0)}). Larger values are already integers and,
 * like NaN and the infinities, pass through unchanged. Each method is small and flat so C2 inlines
 * it into the calling loop.
 */
final class Rounding {
  private static final float TWO23 = 0x1p23f;
  private static final double TWO52 = 0x1p52;

  private Rounding() {}

  /** 0: rint, -1: floor, +1: ceil. */
  static FloatVector roundF32(FloatVector x, int mode) {
    FloatVector a = x.abs();
    FloatVector r = copySign(a.add(TWO23).sub(TWO23), x); // rint(x)
    if (mode < 0) {
      r = r.blend(r.sub(1f), r.compare(VectorOperators.GT, x));
    } else if (mode > 0) {
      r = r.blend(r.add(1f), r.compare(VectorOperators.LT, x));
    }
    VectorMask<Float> small = a.compare(VectorOperators.LT, TWO23);
    return x.blend(copySign(r, x), small);
  }

  /** 0: rint, -1: floor, +1: ceil. */
  static DoubleVector roundF64(DoubleVector x, int mode) {
    DoubleVector a = x.abs();
    DoubleVector r = copySign(a.add(TWO52).sub(TWO52), x); // rint(x)
    if (mode < 0) {
      r = r.blend(r.sub(1d), r.compare(VectorOperators.GT, x));
    } else if (mode > 0) {
      r = r.blend(r.add(1d), r.compare(VectorOperators.LT, x));
    }
    VectorMask<Double> small = a.compare(VectorOperators.LT, TWO52);
    return x.blend(copySign(r, x), small);
  }

  private static FloatVector copySign(FloatVector magnitude, FloatVector sign) {
    return magnitude
        .abs()
        .reinterpretAsInts()
        .or(sign.reinterpretAsInts().and(0x8000_0000))
        .reinterpretAsFloats();
  }

  private static DoubleVector copySign(DoubleVector magnitude, DoubleVector sign) {
    return magnitude
        .abs()
        .reinterpretAsLongs()
        .or(sign.reinterpretAsLongs().and(0x8000_0000_0000_0000L))
        .reinterpretAsDoubles();
  }
}
