package dev.arbor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Integer {@code div} and {@code rem} over {@code [from, to)}, as the reference computes them:
 * Java's truncating division and remainder in 64 bits, narrowed for I32 ({@code MIN / -1} wraps to
 * {@code MIN}, {@code MIN % -1} is 0, as in {@code int} arithmetic), and an {@link
 * ArithmeticException} naming the primitive on a zero divisor. Scalar: AVX-512 has no integer
 * division instruction.
 */
final class IntDivision {
  private IntDivision() {}

  static void run(
      boolean div,
      boolean i64,
      MemorySegment x,
      MemorySegment z,
      MemorySegment y,
      long from,
      long to) {
    for (long i = from; i < to; i++) {
      long b = i64 ? z.getAtIndex(ValueLayout.JAVA_LONG, i) : z.getAtIndex(ValueLayout.JAVA_INT, i);
      if (b == 0) {
        throw new ArithmeticException(
            div ? "integer division by zero in 'div'" : "integer remainder by zero in 'rem'");
      }
      long a = i64 ? x.getAtIndex(ValueLayout.JAVA_LONG, i) : x.getAtIndex(ValueLayout.JAVA_INT, i);
      long r = div ? a / b : a % b;
      if (i64) {
        y.setAtIndex(ValueLayout.JAVA_LONG, i, r);
      } else {
        y.setAtIndex(ValueLayout.JAVA_INT, i, (int) r);
      }
    }
  }
}
