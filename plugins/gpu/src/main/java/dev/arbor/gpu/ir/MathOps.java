package dev.arbor.gpu.ir;

import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The F64 operations {@link DoubleMath}'s algorithms are written in: IEEE-754 binary64 arithmetic
 * rounded to nearest ({@code fma} rounds once), predicates, selects and exact exponent
 * manipulation. One implementation evaluates in Java ({@link DoubleMath#JAVA}, the mirror the tests
 * measure against {@link StrictMath}); the PTX emitter's implementation writes one instruction per
 * operation, so both compute the same bits.
 *
 * @param <V> a double value
 * @param <P> a predicate
 */
public interface MathOps<V, P> {
  V c(double v);

  V add(V a, V b);

  V sub(V a, V b);

  V mul(V a, V b);

  V div(V a, V b);

  /** {@code a·b + c} rounded once. */
  V fma(V a, V b, V c);

  V neg(V a);

  V abs(V a);

  /** Round to the nearest integer, ties to even. */
  V rint(V a);

  /** The square root, correctly rounded (IEEE). */
  V sqrt(V a);

  /** Round toward zero. */
  V trunc(V a);

  /** {@code |mag|} with the sign bit of {@code sign}. */
  V copysign(V mag, V sign);

  V select(P p, V a, V b);

  P lt(V a, V b);

  P le(V a, V b);

  P gt(V a, V b);

  P ge(V a, V b);

  P eq(V a, V b);

  P isNan(V a);

  /** Whether the sign bit is set (true for {@code -0.0}). */
  P signBit(V a);

  P and(P a, P b);

  P or(P a, P b);

  P not(P a);

  /**
   * {@code x · 2^k} for an integral {@code k} (clamped to ±2200), as three exact power-of-two
   * multiplications: exact unless the result is subnormal.
   */
  V ldexp(V x, V k);

  /** The unbiased exponent field of a normal {@code x}, as a double ({@code 1.5 → 0}). */
  V exponent(V x);

  /** {@code |x|} with its exponent field set to 0: in {@code [1, 2)} for normal {@code x}. */
  V mantissa(V x);

  /** Repeats {@code body} on {@code state} while {@code cond} holds; returns the final state. */
  V loopWhile(V state, Function<V, P> cond, UnaryOperator<V> body);
}
