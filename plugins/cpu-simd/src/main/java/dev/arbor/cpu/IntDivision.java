package dev.arbor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Integer {@code div} and {@code rem} over {@code [from, to)}, as the reference computes them:
 * Java's truncating division and remainder ({@code MIN / -1} wraps to {@code MIN}, {@code MIN % -1}
 * is 0), and an {@link ArithmeticException} naming the primitive on a zero divisor. Scalar: AVX-512
 * has no integer division instruction.
 */
final class IntDivision {
  private IntDivision() {}

  static void i32(
      boolean div, MemorySegment x, MemorySegment z, MemorySegment y, long from, long to) {
    for (long i = from; i < to; i++) {
      int b = z.getAtIndex(ValueLayout.JAVA_INT, i);
      if (b == 0) {
        throw zero(div);
      }
      int a = x.getAtIndex(ValueLayout.JAVA_INT, i);
      y.setAtIndex(ValueLayout.JAVA_INT, i, div ? a / b : a % b);
    }
  }

  static void i64(
      boolean div, MemorySegment x, MemorySegment z, MemorySegment y, long from, long to) {
    for (long i = from; i < to; i++) {
      long b = z.getAtIndex(ValueLayout.JAVA_LONG, i);
      if (b == 0) {
        throw zero(div);
      }
      long a = x.getAtIndex(ValueLayout.JAVA_LONG, i);
      y.setAtIndex(ValueLayout.JAVA_LONG, i, div ? a / b : a % b);
    }
  }

  private static ArithmeticException zero(boolean div) {
    return new ArithmeticException(
        div ? "integer division by zero in 'div'" : "integer remainder by zero in 'rem'");
  }
}
