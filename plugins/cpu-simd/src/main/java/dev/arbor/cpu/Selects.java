package dev.arbor.cpu;

import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code select(pred, onTrue, onFalse)} for every dtype: a bitwise blend, so 4-byte types go
 * through float lanes and 8-byte types through double lanes without changing any bits.
 */
final class Selects {
  // Same lane counts as ElementwiseLoops.F / D, whose byte species BF / BD the predicates use.
  private static final VectorSpecies<Integer> I = ElementwiseLoops.F.withLanes(int.class);
  private static final VectorSpecies<Long> L = ElementwiseLoops.D.withLanes(long.class);
  private static final VectorOperators.Conversion<Byte, Integer> B2I = VectorOperators.B2I;
  private static final VectorOperators.Conversion<Byte, Long> B2L = VectorOperators.B2L;
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
    // The predicate bytes are widened to int lanes and compared there: a byte-vector mask cast to
    // a float mask (Byte128 -> Float512) was not intrinsified and ran the whole loop in the Vector
    // API's boxed fallback (~40% of the MLP gradient step, relu's select, in a JFR profile).
    for (long bound = from + I.loopBound(to - from); i < bound; i += I.length()) {
      VectorMask<Integer> m =
          ((IntVector) ByteVector.fromMemorySegment(BF, p, i, O).convertShape(B2I, I, 0))
              .compare(VectorOperators.NE, 0);
      IntVector.fromMemorySegment(I, b, i * 4, O)
          .blend(IntVector.fromMemorySegment(I, a, i * 4, O), m)
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
    for (long bound = from + L.loopBound(to - from); i < bound; i += L.length()) {
      VectorMask<Long> m =
          ((LongVector) ByteVector.fromMemorySegment(BD, p, i, O).convertShape(B2L, L, 0))
              .compare(VectorOperators.NE, 0);
      LongVector.fromMemorySegment(L, b, i * 8, O)
          .blend(LongVector.fromMemorySegment(L, a, i * 8, O), m)
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
