package dev.arbor.gpu.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link DoubleMath}'s algorithms, evaluated by the Java mirror (operation for operation what the
 * PTX emitter writes), against {@link StrictMath}: the largest error in ULPs over random inputs in
 * several ranges stays within the documented bound, and special values (NaN, ±0, ±∞, overflow,
 * subnormals) come out exactly as Java's.
 */
class DoubleMathTest {
  static final MathOps<Double, Boolean> J = DoubleMath.JAVA;
  static final double[] SPECIAL = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.0,
    -2.0,
    3.0,
    -3.0,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MIN_NORMAL,
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    1e-300,
    1e300,
    709.78,
    709.79,
    -745.1,
    -745.2,
    1e-17,
    -1e-17,
    Math.PI,
    Math.PI / 2,
    1e6,
    0.1,
    22.5,
    -37.5,
    40.0
  };

  /** Error of {@code got} in units of the last place of {@code want} (0 when both are NaN). */
  static double ulps(double got, double want) {
    if (Double.isNaN(want) || Double.isNaN(got)) {
      return Double.isNaN(want) && Double.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
    }
    if (got == want) {
      return Double.doubleToRawLongBits(got) == Double.doubleToRawLongBits(want)
          ? 0
          : Double.POSITIVE_INFINITY; // a wrong signed zero
    }
    if (Double.isInfinite(want) || Double.isInfinite(got)) {
      return Double.POSITIVE_INFINITY;
    }
    return Math.abs(got - want) / Math.ulp(want);
  }

  static List<Double> inputs(Random r, double lo, double hi, int n) {
    List<Double> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      v.add(lo + (hi - lo) * r.nextDouble());
    }
    return v;
  }

  static List<Double> logUniform(Random r, int n) {
    List<Double> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double m = Math.scalb(1 + r.nextDouble(), r.nextInt(2098) - 1074);
      v.add(r.nextBoolean() ? m : -m);
    }
    return v;
  }

  static double worst(
      String what, DoubleUnaryOperator mine, DoubleUnaryOperator ref, List<Double> xs) {
    double worst = 0;
    double at = 0;
    for (double x : xs) {
      double e = ulps(mine.applyAsDouble(x), ref.applyAsDouble(x));
      if (!(e <= worst)) {
        worst = e;
        at = x;
      }
    }
    System.out.printf("%-28s max %.3f ulp at %s%n", what, worst, at);
    return worst;
  }

  static void check(String what, DoubleUnaryOperator mine, DoubleUnaryOperator ref, double bound) {
    Random r = new Random(what.hashCode());
    List<Double> xs = new ArrayList<>();
    xs.addAll(inputs(r, -1, 1, 20000));
    xs.addAll(inputs(r, -10, 10, 20000));
    xs.addAll(inputs(r, -800, 800, 20000));
    xs.addAll(logUniform(r, 20000));
    double w = worst(what, mine, ref, xs);
    assertTrue(w <= bound, what + ": " + w + " ulp > " + bound);
    for (double x : SPECIAL) {
      double got = mine.applyAsDouble(x);
      double want = ref.applyAsDouble(x);
      assertTrue(ulps(got, want) <= bound, what + "(" + x + ") = " + got + ", StrictMath: " + want);
    }
  }

  @Test
  void erfInvAgainstTheReference() {
    // The reference (core's Elementwise.erfInv: the same polynomials, Math.log) is the target:
    // only the log differs. Uniform on (-1, 1), the tails within 1e-2 .. 1e-16 of ±1 (all three
    // polynomials), the specials (±1 → ±∞, NaN outside).
    Random r = new Random(11);
    List<Double> xs = new ArrayList<>(inputs(r, -1, 1, 40000));
    for (int i = 0; i < 40000; i++) {
      xs.add((1 - Math.pow(10, -2 - 14 * r.nextDouble())) * (r.nextBoolean() ? 1 : -1));
    }
    for (double x : SPECIAL) {
      xs.add(x);
    }
    xs.addAll(List.of(Math.nextDown(1.0), Math.nextUp(-1.0), 1e-300, Double.MIN_VALUE));
    double[] x = xs.stream().mapToDouble(Double::doubleValue).toArray();
    dev.arbor.backend.HostArray in =
        dev.arbor.backend.HostArray.ofDoubles(
            new dev.arbor.core.AbstractValue(
                dev.arbor.array.Shape.of(x.length), dev.arbor.array.DType.F64),
            x);
    double[] ref =
        dev.arbor.core.primitives.Elementwise.ERF_INV
            .referenceKernel()
            .apply(List.of(in), dev.arbor.core.Params.EMPTY, List.of(in.aval()))
            .get(0)
            .toDoubles();
    java.util.Map<Double, Double> want = new java.util.HashMap<>();
    for (int i = 0; i < x.length; i++) {
      want.put(x[i], ref[i]);
    }
    double w = worst("erf_inv vs reference", v -> DoubleMath.erfInv(J, v), want::get, xs);
    assertTrue(w <= 4, "erf_inv: " + w + " ulp > 4");
  }

  @Test
  void exp() {
    check("exp", x -> DoubleMath.exp(J, x), StrictMath::exp, 1);
  }

  @Test
  void expm1() {
    check("expm1", x -> DoubleMath.expm1(J, x), StrictMath::expm1, 2);
  }

  @Test
  void log() {
    check("log", x -> DoubleMath.log(J, x), StrictMath::log, 1);
  }

  @Test
  void log1p() {
    check("log1p", x -> DoubleMath.log1p(J, x), StrictMath::log1p, 2);
  }

  @Test
  void tanh() {
    check("tanh", x -> DoubleMath.tanh(J, x), StrictMath::tanh, 3);
  }

  @Test
  void logistic() {
    check("logistic", x -> DoubleMath.logistic(J, x), x -> 1 / (1 + StrictMath.exp(-x)), 2);
  }

  @Test
  void sinAndCos() {
    Random r = new Random(9);
    List<Double> xs = new ArrayList<>();
    xs.addAll(inputs(r, -4, 4, 40000));
    xs.addAll(inputs(r, -1e6, 1e6, 40000));
    for (double x : logUniform(r, 80000)) {
      if (Math.abs(x) < SIN_LIMIT) {
        xs.add(x);
      }
    }
    for (double x : SPECIAL) {
      if (!(Math.abs(x) >= SIN_LIMIT)) {
        xs.add(x);
      }
    }
    assertTrue(worst("sin |x| < 2^50", x -> DoubleMath.sin(J, x), StrictMath::sin, xs) <= 2);
    assertTrue(worst("cos |x| < 2^50", x -> DoubleMath.cos(J, x), StrictMath::cos, xs) <= 2);
  }

  /** Above this the one-step reduction by π/2 fails (documented: no Payne–Hanek reduction). */
  static final double SIN_LIMIT = 0x1p50;

  static void check2(
      String what, DoubleBinaryOperator mine, DoubleBinaryOperator ref, double bound, Pairs p) {
    Random r = new Random(what.hashCode());
    double worst = 0;
    String at = "";
    for (int i = 0; i < 200000; i++) {
      double[] xy = p.next(r);
      double e = ulps(mine.applyAsDouble(xy[0], xy[1]), ref.applyAsDouble(xy[0], xy[1]));
      if (!(e <= worst)) {
        worst = e;
        at = xy[0] + ", " + xy[1];
      }
    }
    System.out.printf("%-28s max %.3f ulp at (%s)%n", what, worst, at);
    assertTrue(worst <= bound, what + ": " + worst + " ulp > " + bound + " at " + at);
    for (double x : SPECIAL) {
      for (double y : SPECIAL) {
        double got = mine.applyAsDouble(x, y);
        double want = ref.applyAsDouble(x, y);
        assertTrue(
            ulps(got, want) <= bound,
            what + "(" + x + ", " + y + ") = " + got + ", StrictMath: " + want);
      }
    }
  }

  interface Pairs {
    double[] next(Random r);
  }

  @Test
  void atan2() {
    check2(
        "atan2",
        (y, x) -> DoubleMath.atan2(J, y, x),
        StrictMath::atan2,
        2,
        r -> new double[] {r.nextGaussian() * Math.exp(r.nextGaussian() * 5), r.nextGaussian()});
  }

  @Test
  void powForModerateExponents() {
    check2(
        "pow |y log x| < 50",
        (x, y) -> DoubleMath.pow(J, x, y),
        StrictMath::pow,
        2,
        r -> new double[] {r.nextDouble() * 100, r.nextGaussian() * 5});
    check2(
        "pow integer y, x < 0",
        (x, y) -> DoubleMath.pow(J, x, y),
        StrictMath::pow,
        4,
        r -> new double[] {-r.nextDouble() * 10, r.nextInt(41) - 20});
  }

  @Test
  void powNearOverflow() {
    check2(
        "pow |y log x| up to 700",
        (x, y) -> DoubleMath.pow(J, x, y),
        StrictMath::pow,
        32,
        r -> {
          double x = Math.exp(r.nextGaussian() * 3);
          double target = (r.nextDouble() * 2 - 1) * 700;
          return new double[] {x, target / Math.log(x)};
        });
  }

  @Test
  void remIsExact() {
    check2(
        "rem",
        (x, y) -> DoubleMath.rem(J, x, y),
        (x, y) -> x % y,
        0,
        r ->
            new double[] {
              Math.scalb(r.nextGaussian(), r.nextInt(200) - 100),
              Math.scalb(r.nextGaussian(), r.nextInt(200) - 100)
            });
    check2(
        "rem, extreme exponents",
        (x, y) -> DoubleMath.rem(J, x, y),
        (x, y) -> x % y,
        0,
        r -> {
          List<Double> a = logUniform(r, 2);
          return new double[] {a.get(0), a.get(1)};
        });
  }

  @Test
  void ldexpSplitsLikeThePtx() {
    assertEquals(1024.0, J.ldexp(1.0, 10.0));
    assertEquals(Double.MIN_VALUE, J.ldexp(1.0, -1074.0));
    assertEquals(0x1p1023, J.ldexp(0.5, 1024.0));
    assertEquals(1.0, J.ldexp(1.0, Double.NaN));
  }
}
