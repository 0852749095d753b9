package dev.arbor.testkit;

import dev.arbor.array.DType;
import dev.arbor.backend.HostArray;

/**
 * How close a backend's result must be to the reference: element {@code i} passes when {@code |got
 * - want| <= atol + rtol * scale_i}, where {@code scale_i} is {@code |want_i|} or, for accumulating
 * primitives (sums, contractions), the same primitive applied to the absolute values of the inputs
 * (the natural bound on rounding error, which does not vanish when terms cancel). NaN must meet NaN
 * and infinities must match exactly. Integer and bool results must be equal (compared as longs).
 *
 * <p>The documented tolerances ({@link #of}):
 *
 * <ul>
 *   <li>{@link Kind#EXACT}: layout, select, convert, comparisons, add/sub/mul/div/neg, max/min and
 *       max/min reductions must be bit-identical after rounding to the dtype;
 *   <li>{@link Kind#TRANSCENDENTAL}: exp, log, tanh, sin, cos, pow, … — F32: rtol 1e-6 (about 8
 *       ulp), atol 1e-7; F64: rtol 1e-13, atol 1e-15;
 *   <li>{@link Kind#ACCUMULATING}: reduce_sum, dot_general (magnitude-scaled) — F32: rtol 1e-5;
 *       F64: rtol 1e-12; atol 1e-30.
 * </ul>
 */
public record Tolerance(double rtol, double atol, boolean magnitudeScaled) {
  /** The accuracy class of a primitive. */
  public enum Kind {
    EXACT,
    TRANSCENDENTAL,
    ACCUMULATING
  }

  /** The documented tolerance of {@code kind} for {@code dtype}. */
  public static Tolerance of(Kind kind, DType dtype) {
    boolean f32 = dtype == DType.F32;
    return switch (kind) {
      case EXACT -> new Tolerance(0, 0, false);
      case TRANSCENDENTAL ->
          f32 ? new Tolerance(1e-6, 1e-7, false) : new Tolerance(1e-13, 1e-15, false);
      case ACCUMULATING -> new Tolerance(f32 ? 1e-5 : 1e-12, 1e-30, true);
    };
  }

  /**
   * Null if {@code got} matches {@code want}, else a message naming the first bad element.
   *
   * @param scale per-element magnitudes for {@link #magnitudeScaled} tolerances (else ignored)
   */
  public String check(HostArray got, HostArray want, HostArray scale) {
    if (!got.aval().equals(want.aval())) {
      return "result is " + got.aval() + ", expected " + want.aval();
    }
    int bad = 0;
    String first = null;
    boolean integral = !want.dtype().isFloating();
    for (int i = 0; i < want.size(); i++) {
      if (integral) {
        // Integers compare as longs: doubles would hide differences in the low bits of I64s.
        long gl = got.getLong(i);
        long wl = want.getLong(i);
        if (gl != wl) {
          bad++;
          if (first == null) {
            first = "element " + i + ": got " + gl + ", expected " + wl;
          }
        }
        continue;
      }
      double g = got.getDouble(i);
      double w = want.getDouble(i);
      boolean ok;
      if (Double.isNaN(w) || Double.isNaN(g) || Double.isInfinite(w) || Double.isInfinite(g)) {
        ok = Double.compare(g, w) == 0 || (Double.isNaN(g) && Double.isNaN(w));
      } else {
        double s = magnitudeScaled && scale != null ? Math.abs(scale.getDouble(i)) : Math.abs(w);
        ok = Math.abs(g - w) <= atol + rtol * s;
      }
      if (!ok) {
        bad++;
        if (first == null) {
          first = "element " + i + ": got " + g + ", expected " + w;
        }
      }
    }
    return bad == 0
        ? null
        : bad + " of " + want.size() + " elements differ beyond " + this + "; first " + first;
  }
}
