package dev.arbor.cpu;

import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Constants and the few helpers a generated fusion loop ({@link FusedCodegen}) uses. The loops call
 * the Vector API directly (its methods are {@code @ForceInline}, so C2 inlines them however large
 * the loop body grows) and read the species and byte order from these {@code static final} fields
 * (constants to C2). Only the float32 transcendental functions, rem and erf_inv go through a helper
 * here, so that generated and interpreted clusters compute the same {@link FastMath} values; each
 * helper is small and {@link FastMath}'s bodies are flat, so C2 inlines them into the loop while
 * the loop's node count is under its inlining cutoff (checked with {@code -XX:+PrintInlining}).
 */
final class FusedOps {
  static final VectorSpecies<Float> F = ElementwiseLoops.F;
  static final VectorSpecies<Double> D = ElementwiseLoops.D;
  static final VectorSpecies<Byte> BF = ElementwiseLoops.BF;
  static final VectorSpecies<Byte> BD = ElementwiseLoops.BD;
  static final ByteOrder O = ByteOrder.nativeOrder();

  private FusedOps() {}

  static FloatVector EXPF32(FloatVector v) {
    return FastMath.exp(v);
  }

  static FloatVector TANHF32(FloatVector v) {
    return FastMath.tanh(v);
  }

  static FloatVector LOGISTICF32(FloatVector v) {
    return FastMath.logistic(v);
  }

  static FloatVector REMF32(FloatVector a, FloatVector b) {
    return FastMath.rem(a, b);
  }

  static DoubleVector REMF64(DoubleVector a, DoubleVector b) {
    return FastMath.rem(a, b);
  }

  static FloatVector ERF_INVF32(FloatVector v) {
    return FastMath.erfInv(v);
  }

  static DoubleVector ERF_INVF64(DoubleVector v) {
    return FastMath.erfInv(v);
  }
}
