package dev.arbor.cpu;

import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code select(pred, onTrue, onFalse)} for every dtype: a bitwise blend, so 4-byte types go
 * through float lanes and 8-byte types through double lanes without changing any bits.
 */
final class Selects {
  private static final VectorSpecies<Float> F = ElementwiseLoops.F;
  private static final VectorSpecies<Double> D = ElementwiseLoops.D;
  private static final VectorSpecies<Byte> BF = ElementwiseLoops.BF;
  private static final VectorSpecies<Byte> BD = ElementwiseLoops.BD;
  private static final ByteOrder O = ByteOrder.nativeOrder();

  private Selects() {}

  static List<Buffer> select(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    MemorySegment p = CpuKernels.seg(in.get(0));
    MemorySegment a = CpuKernels.seg(in.get(1));
    MemorySegment b = CpuKernels.seg(in.get(2));
    CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
    MemorySegment ys = y.segment();
    int esize = outAvals.get(0).dtype().byteSize();
    CpuThreads.parallelFor(
        y.size(),
        CpuKernels.GRAIN,
        64,
        switch (esize) {
          case 4 -> (from, to) -> select4(p, a, b, ys, from, to);
          case 8 -> (from, to) -> select8(p, a, b, ys, from, to);
          default -> (from, to) -> select1(p, a, b, ys, from, to);
        });
    return List.of(y);
  }

  static void select4(
      MemorySegment p, MemorySegment a, MemorySegment b, MemorySegment y, long from, long to) {
    long i = from;
    for (long bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
      VectorMask<Float> m =
          ByteVector.fromMemorySegment(BF, p, i, O).compare(VectorOperators.NE, 0).cast(F);
      FloatVector.fromMemorySegment(F, b, i * 4, O)
          .blend(FloatVector.fromMemorySegment(F, a, i * 4, O), m)
          .intoMemorySegment(y, i * 4, O);
    }
    for (; i < to; i++) {
      y.setAtIndex(
          ValueLayout.JAVA_INT,
          i,
          (p.get(ValueLayout.JAVA_BYTE, i) != 0 ? a : b).getAtIndex(ValueLayout.JAVA_INT, i));
    }
  }

  static void select8(
      MemorySegment p, MemorySegment a, MemorySegment b, MemorySegment y, long from, long to) {
    long i = from;
    for (long bound = from + D.loopBound(to - from); i < bound; i += D.length()) {
      VectorMask<Double> m =
          ByteVector.fromMemorySegment(BD, p, i, O).compare(VectorOperators.NE, 0).cast(D);
      DoubleVector.fromMemorySegment(D, b, i * 8, O)
          .blend(DoubleVector.fromMemorySegment(D, a, i * 8, O), m)
          .intoMemorySegment(y, i * 8, O);
    }
    for (; i < to; i++) {
      y.setAtIndex(
          ValueLayout.JAVA_LONG,
          i,
          (p.get(ValueLayout.JAVA_BYTE, i) != 0 ? a : b).getAtIndex(ValueLayout.JAVA_LONG, i));
    }
  }

  static void select1(
      MemorySegment p, MemorySegment a, MemorySegment b, MemorySegment y, long from, long to) {
    for (long i = from; i < to; i++) {
      y.set(
          ValueLayout.JAVA_BYTE,
          i,
          (p.get(ValueLayout.JAVA_BYTE, i) != 0 ? a : b).get(ValueLayout.JAVA_BYTE, i));
    }
  }
}
