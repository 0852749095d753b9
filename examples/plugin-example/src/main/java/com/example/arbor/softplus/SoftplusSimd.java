package com.example.arbor.softplus;

import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.cpu.CpuBuffer;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@code cpu-simd} softplus kernel: {@code max(x, 0) + log1p(exp(-|x|))}, which neither
 * overflows for large {@code x} nor loses the tiny result for very negative {@code x}. One flat
 * Vector API loop per dtype (species are constants, as the Vector API needs for speed), full
 * vectors then one masked tail. Runs on the calling thread. Reached only through {@link
 * SoftplusCpuKernels}, so it is loaded only where {@code arbor-cpu} and the Vector API are present.
 */
final class SoftplusSimd {
  private static final VectorSpecies<Float> F32 = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> F64 = DoubleVector.SPECIES_PREFERRED;
  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

  private SoftplusSimd() {}

  static List<Buffer> run(List<Buffer> inputs, List<AbstractValue> outputAvals) {
    CpuBuffer x = (CpuBuffer) inputs.get(0);
    CpuBuffer y = CpuBuffer.allocate(outputAvals.get(0));
    switch (x.dtype()) {
      case F32 -> f32(x.segment(), y.segment(), y.size());
      case F64 -> f64(x.segment(), y.segment(), y.size());
      default -> {
        y.release();
        // Softplus's shape rule admits only floating dtypes, all of which are handled above.
        throw new AssertionError("softplus got " + x.aval() + " past its shape rule");
      }
    }
    return List.of(y);
  }

  private static void f32(MemorySegment x, MemorySegment y, long n) {
    long k = 0;
    for (long bound = F32.loopBound(n); k < bound; k += F32.length()) {
      FloatVector v = FloatVector.fromMemorySegment(F32, x, k * Float.BYTES, NATIVE);
      FloatVector tail =
          v.lanewise(VectorOperators.ABS)
              .neg()
              .lanewise(VectorOperators.EXP)
              .lanewise(VectorOperators.LOG1P);
      v.max(0f).add(tail).intoMemorySegment(y, k * Float.BYTES, NATIVE);
    }
    if (k < n) {
      VectorMask<Float> m = F32.indexInRange(k, n);
      FloatVector v = FloatVector.fromMemorySegment(F32, x, k * Float.BYTES, NATIVE, m);
      FloatVector tail =
          v.lanewise(VectorOperators.ABS)
              .neg()
              .lanewise(VectorOperators.EXP)
              .lanewise(VectorOperators.LOG1P);
      v.max(0f).add(tail).intoMemorySegment(y, k * Float.BYTES, NATIVE, m);
    }
  }

  private static void f64(MemorySegment x, MemorySegment y, long n) {
    long k = 0;
    for (long bound = F64.loopBound(n); k < bound; k += F64.length()) {
      DoubleVector v = DoubleVector.fromMemorySegment(F64, x, k * Double.BYTES, NATIVE);
      DoubleVector tail =
          v.lanewise(VectorOperators.ABS)
              .neg()
              .lanewise(VectorOperators.EXP)
              .lanewise(VectorOperators.LOG1P);
      v.max(0.0).add(tail).intoMemorySegment(y, k * Double.BYTES, NATIVE);
    }
    if (k < n) {
      VectorMask<Double> m = F64.indexInRange(k, n);
      DoubleVector v = DoubleVector.fromMemorySegment(F64, x, k * Double.BYTES, NATIVE, m);
      DoubleVector tail =
          v.lanewise(VectorOperators.ABS)
              .neg()
              .lanewise(VectorOperators.EXP)
              .lanewise(VectorOperators.LOG1P);
      v.max(0.0).add(tail).intoMemorySegment(y, k * Double.BYTES, NATIVE, m);
    }
  }
}
