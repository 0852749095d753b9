package dev.arbor.gpu.ir;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Double-precision elementary functions for GPUs that have no accurate F64 transcendental
 * instructions (PTX has none): each algorithm is written once against {@link MathOps} and either
 * evaluated in Java ({@link #JAVA}: the mirror the tests compare with {@link StrictMath}, ULP by
 * ULP) or emitted as PTX by the {@link PtxEmitter}. Straight-line code with selects (no branches),
 * except {@link #rem}'s reduction loop.
 *
 * <p>Methods (error bounds measured by {@code DoubleMathTest} against {@link StrictMath} on random
 * and special inputs; see docs/design/gpu.md):
 *
 * <ul>
 *   <li>{@code exp}, {@code expm1}: {@code k = rint(x/ln2)}, {@code r = x − k·ln2} (ln2 in two
 *       parts, fused multiply-adds), Taylor series of {@code expm1(r)} to degree 14 on {@code |r| ≤
 *       ln2/2}, scaled by {@code 2^k} ({@code expm1 = 2^k·q + (2^k − 1)} in one fma).
 *   <li>{@code log}, {@code log1p}: {@code x = m·2^e} with {@code m ∈ [√½, √2)}, {@code f = m − 1}
 *       (exact), {@code log(1+f) = f − s·(f − R)} with {@code s = f/(2+f)} and {@code R} the atanh
 *       series in {@code s²}; {@code e·ln2} with a 32-bit {@code ln2} head (exact product). {@code
 *       log1p(x) = log(u) + c/u} with {@code u + c = 1 + x} exactly (two-sum).
 *   <li>{@code sin}, {@code cos}: {@code k = rint(x·2/π)}, {@code r = x − k·π/2} with π/2 in three
 *       parts through fmas, Taylor series on {@code |r| ≤ π/4}, quadrant by {@code k mod 4}.
 *   <li>{@code tanh = expm1(2|x|)/(expm1(2|x|) + 2)} with the sign of {@code x}; {@code logistic =
 *       1/(1 + exp(−x))}.
 *   <li>{@code atan2}: the ratio {@code min(|x|,|y|)/max(|x|,|y|) ∈ [0, 1]}, above tan(π/8) reduced
 *       by {@code atan t = π/4 + atan((t−1)/(t+1))}, Taylor series, then quadrant; Java's special
 *       cases (signed zeros, infinities).
 *   <li>{@code pow = exp(y·log|x|)} with {@code log|x|} as a head and tail and the product split by
 *       an fma; Java's special cases (odd integers, zeros, infinities, {@code pow(x, 0) = 1},
 *       {@code pow(±1, ±∞) = NaN}).
 *   <li>{@code rem} (Java's {@code %}, C's {@code fmod}): exact, by subtracting {@code
 *       trunc(r/ys)·ys} in fmas, {@code ys} being {@code |y|} scaled to within 2^52 of {@code r}:
 *       at most ~41 iterations.
 * </ul>
 */
public final class DoubleMath {
  private DoubleMath() {}

  private static final MathContext MC = MathContext.DECIMAL128;
  private static final BigDecimal LN2_BIG =
      new BigDecimal("0.693147180559945309417232121458176568075500134360255254120680009");
  private static final BigDecimal PIO2_BIG =
      new BigDecimal("1.570796326794896619231321691639751442098584699687552910487472296");

  static final double LOG2E = 1.4426950408889634;
  static final double LN2_HI = Math.log(2);
  static final double LN2_LO = LN2_BIG.subtract(new BigDecimal(LN2_HI), MC).doubleValue();

  /** ln 2 with its low 21 bits zero: {@code e·LN2_HEAD} is exact for {@code |e| < 2^21}. */
  static final double LN2_HEAD = Double.longBitsToDouble(0x3FE62E42FEE00000L);

  static final double LN2_TAIL = LN2_BIG.subtract(new BigDecimal(LN2_HEAD), MC).doubleValue();

  static final double TWO_OVER_PI = 0.6366197723675814;
  static final double PIO2_1 = PIO2_BIG.doubleValue();
  static final double PIO2_2 = PIO2_BIG.subtract(new BigDecimal(PIO2_1), MC).doubleValue();
  static final double PIO2_3 =
      PIO2_BIG
          .subtract(new BigDecimal(PIO2_1), MC)
          .subtract(new BigDecimal(PIO2_2), MC)
          .doubleValue();

  static final double PI_HI = 2 * PIO2_1;
  static final double PI_LO = 2 * PIO2_2;
  static final double PIO4_HI = PIO2_1 / 2;
  static final double PIO4_LO = PIO2_2 / 2;
  static final double TAN_PI_8 = 0.41421356237309503;

  static final double EXP_OVERFLOW = 709.782712893384;
  static final double EXP_UNDERFLOW = -745.1332191019412;
  static final double MIN_NORMAL = Double.MIN_NORMAL;

  /** Taylor coefficients 1/n! for n = 2..14 (expm1). */
  private static final double[] EXPM1 = new double[13];

  /** 2/(2k+1) for k = 1..12 (log's atanh series in s²). */
  private static final double[] LOG = new double[12];

  /** (-1)^k/(2k+1)! for k = 1..12 (sin), (-1)^k/(2k)! for k = 1..12 (cos). */
  private static final double[] SIN = new double[12];

  private static final double[] COS = new double[12];

  /** (-1)^k/(2k+1) for k = 1..24 (atan on |u| ≤ tan(π/8)). */
  private static final double[] ATAN = new double[24];

  static {
    BigDecimal f = BigDecimal.ONE;
    for (int n = 2; n <= 14; n++) {
      f = f.multiply(BigDecimal.valueOf(n));
      EXPM1[n - 2] = BigDecimal.ONE.divide(f, MC).doubleValue();
    }
    for (int k = 1; k <= LOG.length; k++) {
      LOG[k - 1] = BigDecimal.valueOf(2).divide(BigDecimal.valueOf(2L * k + 1), MC).doubleValue();
    }
    BigDecimal fact = BigDecimal.ONE;
    for (int n = 2; n <= 25; n++) {
      fact = fact.multiply(BigDecimal.valueOf(n));
      double v = BigDecimal.ONE.divide(fact, MC).doubleValue();
      int k = n / 2;
      double signed = (k % 2 == 1) ? -v : v;
      if (n % 2 == 1 && k - 1 < SIN.length) {
        SIN[k - 1] = signed;
      } else if (n % 2 == 0 && k - 1 < COS.length) {
        COS[k - 1] = signed;
      }
    }
    for (int k = 1; k <= ATAN.length; k++) {
      double v = BigDecimal.ONE.divide(BigDecimal.valueOf(2L * k + 1), MC).doubleValue();
      ATAN[k - 1] = k % 2 == 1 ? -v : v;
    }
  }

  /** {@code c[0] + z·(c[1] + z·(… + z·c[n−1]))}. */
  private static <V, P> V horner(MathOps<V, P> o, V z, double[] c) {
    V acc = o.c(c[c.length - 1]);
    for (int i = c.length - 2; i >= 0; i--) {
      acc = o.fma(acc, z, o.c(c[i]));
    }
    return acc;
  }

  /** {@code k = rint(x/ln2)} and {@code r = x − k·ln2}, {@code |r| ≤ ln2/2}. */
  private static <V, P> V reduceLn2(MathOps<V, P> o, V x, V k) {
    V r = o.fma(o.neg(k), o.c(LN2_HI), x);
    return o.fma(o.neg(k), o.c(LN2_LO), r);
  }

  /** {@code expm1(r)} for {@code |r| ≤ ln2/2}: {@code r + r²·P(r)}. */
  private static <V, P> V expm1Small(MathOps<V, P> o, V r) {
    return o.fma(o.mul(r, r), horner(o, r, EXPM1), r);
  }

  public static <V, P> V exp(MathOps<V, P> o, V x) {
    V k = o.rint(o.mul(x, o.c(LOG2E)));
    V q = expm1Small(o, reduceLn2(o, x, k));
    V res = o.ldexp(o.add(o.c(1), q), k);
    res = o.select(o.gt(x, o.c(EXP_OVERFLOW)), o.c(Double.POSITIVE_INFINITY), res);
    return o.select(o.lt(x, o.c(EXP_UNDERFLOW)), o.c(0), res);
  }

  public static <V, P> V expm1(MathOps<V, P> o, V x) {
    V k = o.rint(o.mul(x, o.c(LOG2E)));
    V q = expm1Small(o, reduceLn2(o, x, k));
    V large = o.ldexp(o.add(o.c(1), q), k);
    large = o.select(o.gt(x, o.c(EXP_OVERFLOW)), o.c(Double.POSITIVE_INFINITY), large);
    V t =
        o.ldexp(
            o.c(1), o.select(o.gt(k, o.c(60)), o.c(60), o.select(o.lt(k, o.c(-60)), o.c(-60), k)));
    V mid = o.fma(t, q, o.sub(t, o.c(1)));
    V res = o.select(o.gt(k, o.c(56)), large, mid);
    res = o.select(o.lt(k, o.c(-56)), o.c(-1), res);
    return o.select(o.eq(x, o.c(0)), x, res); // expm1(-0) = -0
  }

  /**
   * {@code log(1+f)} for {@code f ∈ [√½−1, √2−1)}, returned as head and tail: {@code f − t} with
   * {@code t = s·(f − R)}, carrying the rounding errors of {@code 2+f}, {@code s}, {@code f − R}
   * and the product in the tail (what {@code pow} needs: its error is {@code |y|} times this
   * one's).
   */
  private static <V, P> V[] log1pCore(MathOps<V, P> o, V f) {
    V d = o.add(o.c(2), f);
    V dlo = o.sub(f, o.sub(d, o.c(2))); // d + dlo = 2 + f exactly
    V s = o.div(f, d);
    V slo = o.div(o.sub(o.fma(o.neg(s), d, f), o.mul(s, dlo)), d); // s + slo ≈ f/(2+f)
    V z = o.mul(s, s);
    V r = o.mul(z, horner(o, z, LOG));
    V fr = o.sub(f, r);
    V frlo = o.sub(o.sub(f, fr), r); // fr + frlo = f − r exactly (|f| ≥ |r|)
    V t = o.mul(s, fr);
    V tlo = o.add(o.fma(s, fr, o.neg(t)), o.fma(s, frlo, o.mul(slo, fr)));
    V hi = o.sub(f, t);
    V lo = o.sub(o.sub(o.sub(f, hi), t), tlo);
    @SuppressWarnings("unchecked")
    V[] out = (V[]) new Object[] {hi, lo};
    return out;
  }

  /**
   * {@code log x} for {@code x > 0} finite, as head and tail ({@code e·ln2 + log(1+f)}, the head's
   * rounding error in the tail); other inputs give garbage that the callers' selects replace.
   */
  private static <V, P> V[] logParts(MathOps<V, P> o, V x) {
    P sub = o.lt(x, o.c(MIN_NORMAL));
    V xs = o.select(sub, o.mul(x, o.c(0x1p54)), x);
    V e = o.sub(o.exponent(xs), o.select(sub, o.c(54), o.c(0)));
    V m = o.mantissa(xs);
    P big = o.gt(m, o.c(Math.sqrt(2)));
    m = o.select(big, o.mul(m, o.c(0.5)), m);
    e = o.select(big, o.add(e, o.c(1)), e);
    V[] core = log1pCore(o, o.sub(m, o.c(1)));
    V eh = o.mul(e, o.c(LN2_HEAD)); // exact
    V hi = o.add(eh, core[0]);
    // two-sum error of eh + core[0], plus the tails
    V bb = o.sub(hi, eh);
    V err = o.add(o.sub(eh, o.sub(hi, bb)), o.sub(core[0], bb));
    V lo = o.add(err, o.fma(e, o.c(LN2_TAIL), core[1]));
    V head = o.add(hi, lo);
    V tail = o.sub(lo, o.sub(head, hi));
    @SuppressWarnings("unchecked")
    V[] out = (V[]) new Object[] {head, tail};
    return out;
  }

  public static <V, P> V log(MathOps<V, P> o, V x) {
    V res = logParts(o, x)[0];
    res =
        o.select(
            o.gt(x, o.c(0)),
            res,
            o.select(o.eq(x, o.c(0)), o.c(Double.NEGATIVE_INFINITY), o.c(Double.NaN)));
    return o.select(o.eq(x, o.c(Double.POSITIVE_INFINITY)), o.c(Double.POSITIVE_INFINITY), res);
  }

  public static <V, P> V log1p(MathOps<V, P> o, V x) {
    V u = o.add(o.c(1), x);
    V bb = o.sub(u, o.c(1));
    V c = o.add(o.sub(o.c(1), o.sub(u, bb)), o.sub(x, bb));
    V lu = log(o, u);
    V res = o.select(o.gt(o.abs(c), o.c(0)), o.add(lu, o.div(c, u)), lu);
    return o.select(o.eq(x, o.c(0)), x, res); // log1p(-0) = -0
  }

  public static <V, P> V tanh(MathOps<V, P> o, V x) {
    V a = o.abs(x);
    V e = expm1(o, o.add(a, a));
    V t = o.div(e, o.add(e, o.c(2)));
    t = o.select(o.gt(a, o.c(22)), o.c(1), t);
    return o.copysign(t, x);
  }

  public static <V, P> V logistic(MathOps<V, P> o, V x) {
    return o.div(o.c(1), o.add(o.c(1), exp(o, o.neg(x))));
  }

  /** {@code r = x − k·π/2} and the quadrant {@code k mod 4} (0..3). */
  private static <V, P> V[] reducePio2(MathOps<V, P> o, V x) {
    V k = o.rint(o.mul(x, o.c(TWO_OVER_PI)));
    V nk = o.neg(k);
    V r = o.fma(nk, o.c(PIO2_1), x);
    r = o.fma(nk, o.c(PIO2_2), r);
    r = o.fma(nk, o.c(PIO2_3), r);
    V n = o.sub(k, o.mul(o.c(4), o.rint(o.mul(o.sub(k, o.c(1.5)), o.c(0.25)))));
    @SuppressWarnings("unchecked")
    V[] out = (V[]) new Object[] {r, n};
    return out;
  }

  private static <V, P> V sinPoly(MathOps<V, P> o, V r) {
    V z = o.mul(r, r);
    return o.fma(o.mul(r, z), horner(o, z, SIN), r);
  }

  private static <V, P> V cosPoly(MathOps<V, P> o, V r) {
    V z = o.mul(r, r);
    return o.fma(z, horner(o, z, COS), o.c(1));
  }

  /** Picks by quadrant {@code n}: {@code v0, v1, -v0, -v1} for n = 0, 1, 2, 3. */
  private static <V, P> V quadrant(MathOps<V, P> o, V n, V v0, V v1) {
    V odd = o.select(o.eq(n, o.c(1)), v1, o.neg(v1));
    V even = o.select(o.eq(n, o.c(0)), v0, o.neg(v0));
    return o.select(o.or(o.eq(n, o.c(1)), o.eq(n, o.c(3))), odd, even);
  }

  public static <V, P> V sin(MathOps<V, P> o, V x) {
    V[] rn = reducePio2(o, x);
    V res = quadrant(o, rn[1], sinPoly(o, rn[0]), cosPoly(o, rn[0]));
    return o.select(o.eq(x, o.c(0)), x, res); // sin(-0) = -0
  }

  public static <V, P> V cos(MathOps<V, P> o, V x) {
    V[] rn = reducePio2(o, x);
    V s = sinPoly(o, rn[0]);
    return quadrant(o, rn[1], cosPoly(o, rn[0]), o.neg(s));
  }

  /** atan t for t ∈ [0, 1] (NaN propagates). */
  private static <V, P> V atan01(MathOps<V, P> o, V t) {
    P big = o.gt(t, o.c(TAN_PI_8));
    V u = o.select(big, o.div(o.sub(t, o.c(1)), o.add(t, o.c(1))), t);
    V z = o.mul(u, u);
    V a = o.fma(o.mul(u, z), horner(o, z, ATAN), u);
    return o.select(big, o.add(o.c(PIO4_HI), o.add(a, o.c(PIO4_LO))), a);
  }

  public static <V, P> V atan2(MathOps<V, P> o, V y, V x) {
    V ax = o.abs(x);
    V ay = o.abs(y);
    P swap = o.gt(ay, ax);
    V t = o.div(o.select(swap, ax, ay), o.select(swap, ay, ax));
    V a = atan01(o, t);
    a = o.select(swap, o.add(o.c(PIO2_1), o.sub(o.c(PIO2_2), a)), a);
    P neg = o.signBit(x);
    a = o.select(neg, o.add(o.c(PI_HI), o.sub(o.c(PI_LO), a)), a);
    P zeros = o.and(o.eq(ax, o.c(0)), o.eq(ay, o.c(0)));
    a = o.select(zeros, o.select(neg, o.c(Math.PI), o.c(0)), a);
    V inf = o.c(Double.POSITIVE_INFINITY);
    P infs = o.and(o.eq(ax, inf), o.eq(ay, inf));
    a = o.select(infs, o.select(neg, o.c(3 * Math.PI / 4), o.c(Math.PI / 4)), a);
    return o.copysign(a, y);
  }

  public static <V, P> V pow(MathOps<V, P> o, V x, V y) {
    V ax = o.abs(x);
    V[] l = logParts(o, ax);
    V lhi = o.select(o.gt(ax, o.c(0)), l[0], o.c(Double.NEGATIVE_INFINITY));
    lhi = o.select(o.eq(ax, o.c(Double.POSITIVE_INFINITY)), ax, lhi);
    lhi = o.select(o.isNan(x), x, lhi);
    V p = o.mul(y, lhi);
    V plo = o.fma(y, l[1], o.fma(y, lhi, o.neg(p)));
    V z = exp(o, p);
    V inf = o.c(Double.POSITIVE_INFINITY);
    z = o.select(o.and(o.lt(o.abs(z), inf), o.lt(o.abs(p), inf)), o.fma(z, plo, z), z);
    // signs: x < 0 (or -0, -inf) with y an odd integer negates; x < 0 finite, y not an integer: NaN
    P yInt = o.eq(o.trunc(y), y);
    V half = o.mul(y, o.c(0.5));
    P yOdd = o.and(yInt, o.not(o.eq(o.trunc(half), half)));
    P neg = o.signBit(x);
    z = o.select(o.and(neg, yOdd), o.neg(z), z);
    P finiteNeg = o.and(o.lt(x, o.c(0)), o.gt(x, o.c(Double.NEGATIVE_INFINITY)));
    P notInt = o.not(yInt);
    z = o.select(o.and(finiteNeg, notInt), o.c(Double.NaN), z);
    z = o.select(o.eq(y, o.c(1)), x, z);
    return o.select(o.eq(y, o.c(0)), o.c(1), z);
  }

  /** Java's {@code x % y} on doubles (C's fmod): exact. */
  public static <V, P> V rem(MathOps<V, P> o, V x, V y) {
    V ax = o.abs(x);
    V ay = o.abs(y);
    V r =
        o.loopWhile(
            ax,
            v -> o.ge(v, ay),
            v -> {
              V d = o.sub(ilogb(o, v), ilogb(o, ay));
              V ys = o.ldexp(ay, o.select(o.gt(d, o.c(52)), o.sub(d, o.c(52)), o.c(0)));
              V q = o.trunc(o.div(v, ys));
              V nv = o.fma(o.neg(q), ys, v);
              return o.select(o.lt(nv, o.c(0)), o.add(nv, ys), nv);
            });
    V res = o.copysign(r, x);
    V inf = o.c(Double.POSITIVE_INFINITY);
    P bad = o.or(o.or(o.eq(ay, o.c(0)), o.eq(ax, inf)), o.or(o.isNan(x), o.isNan(y)));
    return o.select(bad, o.c(Double.NaN), res);
  }

  private static final double[][] ERF_INV = erfInvCoefficients();

  /**
   * Giles' polynomials ({@link dev.arbor.core.primitives.ErfInvPolynomials}) padded at the front
   * with zeros to one length, so that each term's coefficient is a select among three constants: a
   * leading zero leaves {@code p = 0 + 0·w = 0} and the first real term {@code c + 0·w = c}
   * exactly.
   */
  private static double[][] erfInvCoefficients() {
    double[][] polys = {
      dev.arbor.core.primitives.ErfInvPolynomials.central(),
      dev.arbor.core.primitives.ErfInvPolynomials.tail(),
      dev.arbor.core.primitives.ErfInvPolynomials.farTail()
    };
    int n = 0;
    for (double[] c : polys) {
      n = Math.max(n, c.length);
    }
    double[][] out = new double[3][n];
    for (int k = 0; k < 3; k++) {
      System.arraycopy(polys[k], 0, out[k], n - polys[k].length, polys[k].length);
    }
    return out;
  }

  /**
   * The inverse error function as the reference computes it ({@code Elementwise.erfInv}): {@code w
   * = −log((1 − x)(1 + x))}, one of Giles' three polynomials by {@code w} (in {@code w − 3.125},
   * {@code √w − 3.25} or {@code √w − 5}), evaluated as {@code p = c + p·w} (a multiply and an add,
   * as the reference does, not an fma), times {@code x}; ±∞ at ±1, NaN outside [−1, 1]. Only the
   * {@code log} differs from the reference's ({@link #log}, within 1 ulp of {@link StrictMath}).
   * Straight-line: the three branches share one polynomial whose coefficients are selected.
   */
  public static <V, P> V erfInv(MathOps<V, P> o, V x) {
    V one = o.c(1);
    V w = o.neg(log(o, o.mul(o.sub(one, x), o.add(one, x))));
    P central = o.lt(w, o.c(6.25));
    P tail = o.lt(w, o.c(16.0));
    V s = o.sqrt(w);
    V z =
        o.select(
            central, o.sub(w, o.c(3.125)), o.select(tail, o.sub(s, o.c(3.25)), o.sub(s, o.c(5.0))));
    double[][] c = ERF_INV;
    V p = null;
    for (int k = 0; k < c[0].length; k++) {
      boolean zero = c[0][k] == 0 && c[1][k] == 0 && c[2][k] == 0;
      if (p == null && zero) {
        continue; // a leading zero term: p would stay exactly 0
      }
      V ck = o.select(central, o.c(c[0][k]), o.select(tail, o.c(c[1][k]), o.c(c[2][k])));
      p = p == null ? ck : o.add(ck, o.mul(p, z));
    }
    V ax = o.abs(x);
    V r = o.mul(p, x);
    r = o.select(o.eq(ax, one), o.mul(x, o.c(Double.POSITIVE_INFINITY)), r);
    return o.select(o.le(ax, one), r, o.c(Double.NaN)); // NaN, |x| > 1
  }

  /** floor(log2|v|) for finite non-zero {@code v}, subnormals included. */
  private static <V, P> V ilogb(MathOps<V, P> o, V v) {
    P sub = o.lt(v, o.c(MIN_NORMAL));
    return o.select(sub, o.sub(o.exponent(o.mul(v, o.c(0x1p54))), o.c(54)), o.exponent(v));
  }

  // ------------------------------------------------------------------ the Java mirror

  /** Evaluates the algorithms in Java, operation for operation as the emitted code does. */
  public static final MathOps<Double, Boolean> JAVA =
      new MathOps<>() {
        @Override
        public Double c(double v) {
          return v;
        }

        @Override
        public Double add(Double a, Double b) {
          return a + b;
        }

        @Override
        public Double sub(Double a, Double b) {
          return a - b;
        }

        @Override
        public Double mul(Double a, Double b) {
          return a * b;
        }

        @Override
        public Double div(Double a, Double b) {
          return a / b;
        }

        @Override
        public Double fma(Double a, Double b, Double c) {
          return Math.fma(a, b, c);
        }

        @Override
        public Double neg(Double a) {
          return -a;
        }

        @Override
        public Double abs(Double a) {
          return Math.abs(a);
        }

        @Override
        public Double rint(Double a) {
          return Math.rint(a);
        }

        @Override
        public Double sqrt(Double a) {
          return Math.sqrt(a);
        }

        @Override
        public Double trunc(Double a) {
          return a < 0 ? Math.ceil(a) : Math.floor(a);
        }

        @Override
        public Double copysign(Double mag, Double sign) {
          return Math.copySign(mag, sign);
        }

        @Override
        public Double select(Boolean p, Double a, Double b) {
          return p ? a : b;
        }

        @Override
        public Boolean lt(Double a, Double b) {
          return a < b;
        }

        @Override
        public Boolean le(Double a, Double b) {
          return a <= b;
        }

        @Override
        public Boolean gt(Double a, Double b) {
          return a > b;
        }

        @Override
        public Boolean ge(Double a, Double b) {
          return a >= b;
        }

        @Override
        public Boolean eq(Double a, Double b) {
          return a.doubleValue() == b.doubleValue();
        }

        @Override
        public Boolean isNan(Double a) {
          return Double.isNaN(a);
        }

        @Override
        public Boolean signBit(Double a) {
          return Double.doubleToRawLongBits(a) < 0;
        }

        @Override
        public Boolean and(Boolean a, Boolean b) {
          return a && b;
        }

        @Override
        public Boolean or(Boolean a, Boolean b) {
          return a || b;
        }

        @Override
        public Boolean not(Boolean a) {
          return !a;
        }

        @Override
        public Double ldexp(Double x, Double k) {
          int[] parts = ldexpParts(k);
          double v = x;
          for (int p : parts) {
            v *= Double.longBitsToDouble((long) (p + 1023) << 52);
          }
          return v;
        }

        @Override
        public Double exponent(Double x) {
          return (double) (((Double.doubleToRawLongBits(x) >>> 52) & 0x7ff) - 1023);
        }

        @Override
        public Double mantissa(Double x) {
          long bits = Double.doubleToRawLongBits(x);
          return Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        }

        @Override
        public Double loopWhile(
            Double state, Function<Double, Boolean> cond, UnaryOperator<Double> body) {
          Double v = state;
          while (cond.apply(v)) {
            v = body.apply(v);
          }
          return v;
        }
      };

  /**
   * The three exponents {@link MathOps#ldexp} multiplies by: {@code k} truncated to an int the way
   * PTX's {@code cvt.rzi.s32.f64} does (NaN → 0, saturating), clamped to ±2200, split as {@code
   * k/3}, then halves of the rest (all of one sign, each within ±734).
   */
  static int[] ldexpParts(double k) {
    int ki = Double.isNaN(k) ? 0 : (int) k;
    ki = Math.max(-2200, Math.min(2200, ki));
    int k1 = ki / 3;
    int rest = ki - k1;
    int k2 = rest / 2;
    return new int[] {k1, k2, rest - k2};
  }
}
