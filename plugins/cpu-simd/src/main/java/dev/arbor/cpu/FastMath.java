package dev.arbor.cpu;

import dev.arbor.core.primitives.ErfInvPolynomials;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized float32 {@code exp}, {@code tanh} and {@code logistic} built from FMAs (and one
 * division for tanh/logistic), faster than {@code lanewise(EXP/TANH)}. Error against the correctly
 * rounded result, measured over every 997th float bit pattern of the domain by {@code FastMathTest}
 * (which fails if a bound is exceeded): exp ≤ 1 ulp, tanh ≤ 5 ulp, logistic ≤ 2 ulp. NaN
 * propagates, infinities give the limits, tanh(-0) = -0. Each method is flat so C2 inlines it into
 * the calling loop (TECH-NOTES: a non-inlined vector helper boxes its arguments).
 *
 * <p>Also float32 and float64 {@code rem} (C {@code fmod}: bit for bit Java's {@code %}, as the
 * reference) and {@code erf_inv} (F32 ≤ 3 ulp from the correctly rounded result, F64 ≤ 2 ulp from
 * the reference), both checked by {@code RemErfInvTest}.
 */
final class FastMath {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

  private static final float LOG2E = 1.44269504088896341f;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  private static final float ROUND_MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to integer
  private static final float EXP_MAX = 88.72283935546875f;
  private static final float EXP_MIN = -104f;
  private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);

  // tanh(x) = x P(x^2) / Q(x^2) on |x| <= TANH_CLAMP, P and Q with constant term 1: a 13/6 odd
  // rational fitted to minimize the maximal relative error by codegen/tanh_fit.py (1e-8 before
  // float rounding). tanh(9.02) rounds to 1 - 1 ulp or 1, so clamping there needs no fix-up for
  // large |x|; the constant terms of exactly 1 make tanh(x) = x exactly for tiny x (no branch).
  private static final float TANH_CLAMP = 9.02f;
  private static final float P1 = 0.1308492298346252f;
  private static final float P2 = 0.0031049363184058637f;
  private static final float P3 = 1.116346652733231e-05f;
  private static final float P4 = -2.0255826053092267e-08f;
  private static final float P5 = 5.289180763975268e-11f;
  private static final float P6 = -8.508902534436688e-14f;
  private static final float Q1 = 0.4641825206195402f;
  private static final float Q2 = 0.024499189864063277f;
  private static final float Q3 = 0.0002547508083946594f;

  private FastMath() {}

  /**
   * e^x: Cody-Waite reduction by ln 2, Cephes' degree-5 polynomial, scaling by 2^n in two steps.
   * The clamps are compare-and-blend ({@link #clamp}), and n is read from the bits of the rounding
   * sum instead of a {@code F2I} conversion (whose Java NaN/overflow semantics cost C2 a fix-up
   * sequence per vector).
   */
  static FloatVector exp(FloatVector x) {
    FloatVector xc = clamp(x, EXP_MIN, EXP_MAX);
    FloatVector t = xc.fma(LOG2E, ROUND_MAGIC); // 1.5 * 2^23 + n: n sits in the low mantissa bits
    FloatVector fn = t.sub(ROUND_MAGIC);
    FloatVector r = fn.fma(fn.broadcast(-LN2_HI), xc);
    r = fn.fma(fn.broadcast(-LN2_LO), r);
    FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f);
    p = p.fma(r, r.broadcast(8.3334519073E-3f));
    p = p.fma(r, r.broadcast(4.1665795894E-2f));
    p = p.fma(r, r.broadcast(1.6666665459E-1f));
    p = p.fma(r, r.broadcast(5.0000001201E-1f));
    p = p.fma(r.mul(r), r).add(1f);
    IntVector n = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
    IntVector n1 = n.lanewise(VectorOperators.ASHR, 1);
    IntVector n2 = n.sub(n1);
    FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector y = p.mul(s1).mul(s2);
    return y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX));
  }

  /**
   * {@code x} limited to {@code [lo, hi]} by two compares and blends; NaN lanes stay NaN. Cheaper
   * than {@code max(lo).min(hi)}: Java's float max/min (NaN-propagating, -0 below +0) take C2 a
   * multi-instruction sequence per call on AVX-512, which cost tanh a quarter of its time.
   */
  private static FloatVector clamp(FloatVector x, float lo, float hi) {
    FloatVector y = x.blend(hi, x.compare(VectorOperators.GT, hi));
    return y.blend(lo, y.compare(VectorOperators.LT, lo));
  }

  /**
   * tanh(x): the odd 13/6 rational x P(x^2) / Q(x^2) on x clamped to ±9.02 (16 vector operations
   * and a division per vector, no branches or blends).
   */
  static FloatVector tanh(FloatVector x) {
    FloatVector xc = clamp(x, -TANH_CLAMP, TANH_CLAMP);
    FloatVector z = xc.mul(xc);
    FloatVector p = z.fma(P6, P5);
    p = p.fma(z, z.broadcast(P4));
    p = p.fma(z, z.broadcast(P3));
    p = p.fma(z, z.broadcast(P2));
    p = p.fma(z, z.broadcast(P1));
    p = p.fma(z, z.broadcast(1f)).mul(xc);
    FloatVector q = z.fma(Q3, Q2);
    q = q.fma(z, z.broadcast(Q1));
    q = q.fma(z, z.broadcast(1f));
    return p.div(q);
  }

  /** logistic(x) = 1 / (1 + e^-x), accurate in relative terms for large negative x too. */
  static FloatVector logistic(FloatVector x) {
    FloatVector e = exp(x.neg());
    return x.broadcast(1f).div(e.add(1f));
  }

  // ------------------------------------------------------------------ rem (fmod)

  private static final float REM_FAST_F32 = 0x1p23f;
  private static final double REM_FAST_F64 = 0x1p52;

  /**
   * C {@code fmod(x, y)} = Java's {@code x % y}, exact (so bit-for-bit the reference's result):
   * with {@code q = trunc(|x| / |y|)} from the rounded quotient, {@code |x| - q|y|} by one FMA is
   * exact, because the rounded quotient below 2^23 is the true integer quotient or one more
   * (rounding is monotone and cannot cross a representable integer), and both {@code fmod(|x|,
   * |y|)} and {@code fmod(|x|, |y|) - |y|} are representable; a negative result is the overshoot
   * and gets {@code |y|} back. The sign of {@code x} is copied onto the result (so zeros keep it,
   * as in C). Lanes outside that range (quotients of 2^23 or more, {@code y} zero or infinite,
   * {@code x} infinite, NaN) take Java's scalar {@code %}.
   */
  static FloatVector rem(FloatVector x, FloatVector y) {
    FloatVector ax = x.abs();
    FloatVector ay = y.abs();
    FloatVector t = ax.div(ay);
    VectorMask<Float> fast =
        t.compare(VectorOperators.LT, REM_FAST_F32)
            .and(ay.compare(VectorOperators.LT, Float.POSITIVE_INFINITY));
    FloatVector q = t.add(REM_FAST_F32).sub(REM_FAST_F32); // rint(t), exact below 2^23
    q = q.blend(q.sub(1f), q.compare(VectorOperators.GT, t)); // trunc (t >= 0)
    FloatVector r = q.neg().fma(ay, ax);
    r = r.blend(r.add(ay), r.compare(VectorOperators.LT, 0f));
    r = r.reinterpretAsInts().or(x.reinterpretAsInts().and(0x8000_0000)).reinterpretAsFloats();
    return fast.allTrue() ? r : remSlow(x, y, r, fast);
  }

  private static FloatVector remSlow(
      FloatVector x, FloatVector y, FloatVector r, VectorMask<Float> fast) {
    float[] xs = x.toArray();
    float[] ys = y.toArray();
    float[] rs = r.toArray();
    for (int i = 0; i < rs.length; i++) {
      if (!fast.laneIsSet(i)) {
        rs[i] = xs[i] % ys[i];
      }
    }
    return FloatVector.fromArray(F, rs, 0);
  }

  /** {@link #rem(FloatVector, FloatVector)} in float64 (fast below quotients of 2^52). */
  static DoubleVector rem(DoubleVector x, DoubleVector y) {
    DoubleVector ax = x.abs();
    DoubleVector ay = y.abs();
    DoubleVector t = ax.div(ay);
    VectorMask<Double> fast =
        t.compare(VectorOperators.LT, REM_FAST_F64)
            .and(ay.compare(VectorOperators.LT, Double.POSITIVE_INFINITY));
    DoubleVector q = t.add(REM_FAST_F64).sub(REM_FAST_F64);
    q = q.blend(q.sub(1d), q.compare(VectorOperators.GT, t));
    DoubleVector r = q.neg().fma(ay, ax);
    r = r.blend(r.add(ay), r.compare(VectorOperators.LT, 0d));
    r =
        r.reinterpretAsLongs()
            .or(x.reinterpretAsLongs().and(0x8000_0000_0000_0000L))
            .reinterpretAsDoubles();
    return fast.allTrue() ? r : remSlow(x, y, r, fast);
  }

  private static DoubleVector remSlow(
      DoubleVector x, DoubleVector y, DoubleVector r, VectorMask<Double> fast) {
    double[] xs = x.toArray();
    double[] ys = y.toArray();
    double[] rs = r.toArray();
    for (int i = 0; i < rs.length; i++) {
      if (!fast.laneIsSet(i)) {
        rs[i] = xs[i] % ys[i];
      }
    }
    return DoubleVector.fromArray(D, rs, 0);
  }

  // ------------------------------------------------------------------ erf_inv

  static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

  /**
   * erfinv(x) in float32: Giles' single-precision approximation ("Approximating the erfinv
   * function", GPU Computing Gems Jade, 2011), {@code w = -log((1 - x)(1 + x))} then a degree-8
   * polynomial in {@code w - 2.5} (w &lt; 5) or in {@code sqrt(w) - 3}, times {@code x}, by FMAs.
   * ±1 give ±inf, |x| &gt; 1 and NaN give NaN, -0 stays -0. At most 3 ulp from the correctly
   * rounded result over every 997th float of (-1, 1) (asserted by {@code RemErfInvTest}).
   */
  static FloatVector erfInv(FloatVector x) {
    FloatVector w = x.neg().add(1f).mul(x.add(1f)).lanewise(VectorOperators.LOG).neg();
    FloatVector c = w.sub(2.5f);
    FloatVector p = c.fma(2.81022636e-08f, 3.43273939e-07f);
    p = p.fma(c, c.broadcast(-3.5233877e-06f));
    p = p.fma(c, c.broadcast(-4.39150654e-06f));
    p = p.fma(c, c.broadcast(0.00021858087f));
    p = p.fma(c, c.broadcast(-0.00125372503f));
    p = p.fma(c, c.broadcast(-0.00417768164f));
    p = p.fma(c, c.broadcast(0.246640727f));
    p = p.fma(c, c.broadcast(1.50140941f));
    VectorMask<Float> tail = w.compare(VectorOperators.GE, 5f);
    if (tail.anyTrue()) {
      FloatVector s = w.sqrt().sub(3f);
      FloatVector q = s.fma(-0.000200214257f, 0.000100950558f);
      q = q.fma(s, s.broadcast(0.00134934322f));
      q = q.fma(s, s.broadcast(-0.00367342844f));
      q = q.fma(s, s.broadcast(0.00573950773f));
      q = q.fma(s, s.broadcast(-0.0076224613f));
      q = q.fma(s, s.broadcast(0.00943887047f));
      q = q.fma(s, s.broadcast(1.00167406f));
      q = q.fma(s, s.broadcast(2.83297682f));
      p = p.blend(q, tail);
    }
    FloatVector y = p.mul(x);
    FloatVector a = x.abs();
    y = y.blend(x.mul(Float.POSITIVE_INFINITY), a.compare(VectorOperators.EQ, 1f));
    return y.blend(Float.NaN, a.compare(VectorOperators.GT, 1f));
  }

  /**
   * erfinv(x) in float64: the reference's algorithm (Giles' double-precision polynomials in the
   * central, tail and far-tail ranges of {@code w}, Horner in the same order, multiply then add),
   * so the results differ from the reference only through the vector {@code log}; the tail
   * polynomials run only when a lane needs them. At most 2 ulp from the reference over a million
   * random doubles, central and within 1e-16 of ±1 (asserted by {@code RemErfInvTest}).
   */
  static DoubleVector erfInv(DoubleVector x) {
    DoubleVector w = x.neg().add(1d).mul(x.add(1d)).lanewise(VectorOperators.LOG).neg();
    DoubleVector c = w.sub(3.125);
    DoubleVector p = c.broadcast(ERF_INV_CENTRAL[0]);
    for (int k = 1; k < ERF_INV_CENTRAL.length; k++) {
      p = p.mul(c).add(ERF_INV_CENTRAL[k]);
    }
    VectorMask<Double> tail = w.compare(VectorOperators.GE, 6.25);
    if (tail.anyTrue()) {
      DoubleVector s = w.sqrt();
      DoubleVector t = s.sub(3.25);
      DoubleVector q = t.broadcast(ERF_INV_TAIL[0]);
      for (int k = 1; k < ERF_INV_TAIL.length; k++) {
        q = q.mul(t).add(ERF_INV_TAIL[k]);
      }
      p = p.blend(q, tail);
      VectorMask<Double> far = w.compare(VectorOperators.GE, 16d);
      if (far.anyTrue()) {
        DoubleVector f = s.sub(5d);
        DoubleVector r = f.broadcast(ERF_INV_FAR_TAIL[0]);
        for (int k = 1; k < ERF_INV_FAR_TAIL.length; k++) {
          r = r.mul(f).add(ERF_INV_FAR_TAIL[k]);
        }
        p = p.blend(r, far);
      }
    }
    DoubleVector y = p.mul(x);
    DoubleVector a = x.abs();
    y = y.blend(x.mul(Double.POSITIVE_INFINITY), a.compare(VectorOperators.EQ, 1d));
    return y.blend(Double.NaN, a.compare(VectorOperators.GT, 1d));
  }

  // Giles' double-precision coefficients, the reference's (highest degree first).
  private static final double[] ERF_INV_CENTRAL = ErfInvPolynomials.central();
  private static final double[] ERF_INV_TAIL = ErfInvPolynomials.tail();
  private static final double[] ERF_INV_FAR_TAIL = ErfInvPolynomials.farTail();
}
