package dev.arbor.cpu;

import dev.arbor.array.DType;
import java.lang.foreign.MemorySegment;

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
      boolean div, DType t, MemorySegment x, MemorySegment z, MemorySegment y, long from, long to) {
    for (long i = from; i < to; i++) {
      long b = Converts.getLong(z, t, i);
      if (b == 0) {
        throw new ArithmeticException(
            div ? "integer division by zero in 'div'" : "integer remainder by zero in 'rem'");
      }
      long a = Converts.getLong(x, t, i);
      Converts.putLong(y, t, i, div ? a / b : a % b);
    }
  }
}
