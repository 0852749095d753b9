package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels of the primitives that make values: {@code iota} (F32, F64, I32, I64: one {@code [n,
 * inner]} block written, then copied over the leading axes by doubling copies) and {@code
 * threefry2x32} (the Threefry-2x32-20 hash on {@link IntVector} lanes: 32-bit adds wrap, rotations
 * are {@code ROL}, so the uint32 bits equal the reference's bit for bit).
 */
final class GeneratorKernels {
  static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  static final ByteOrder O = ByteOrder.nativeOrder();

  private GeneratorKernels() {}

  static List<Buffer> iota(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int[] shape = params.ints("shape");
    int dim = params.intValue("dimension");
    CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
    if (y.size() == 0) {
      return List.of(y);
    }
    long inner = 1;
    for (int k = dim + 1; k < shape.length; k++) {
      inner *= shape[k];
    }
    long n = shape[dim];
    DType t = y.dtype();
    MemorySegment ys = y.segment();
    long e = 0;
    for (long j = 0; j < n; j++) {
      for (long k = 0; k < inner; k++, e++) {
        switch (t) {
          case F32 -> ys.setAtIndex(ValueLayout.JAVA_FLOAT, e, (float) j);
          case F64 -> ys.setAtIndex(ValueLayout.JAVA_DOUBLE, e, (double) j);
          case I32 -> ys.setAtIndex(ValueLayout.JAVA_INT, e, (int) j);
          case I64 -> ys.setAtIndex(ValueLayout.JAVA_LONG, e, j);
          case BOOL -> throw new IllegalArgumentException("'iota' needs a numeric dtype");
        }
      }
    }
    // The leading axes repeat the block: double the filled prefix until the buffer is full.
    long filled = n * inner * t.byteSize();
    long total = ys.byteSize();
    while (filled < total) {
      long len = Math.min(filled, total - filled);
      MemorySegment.copy(ys, 0, ys, filled, len);
      filled += len;
    }
    return List.of(y);
  }

  static List<Buffer> threefry2x32(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    MemorySegment k0 = CpuKernels.seg(in.get(0));
    MemorySegment k1 = CpuKernels.seg(in.get(1));
    MemorySegment x0 = CpuKernels.seg(in.get(2));
    MemorySegment x1 = CpuKernels.seg(in.get(3));
    CpuBuffer y0 = CpuBuffer.allocate(outAvals.get(0));
    CpuBuffer y1 = CpuBuffer.allocate(outAvals.get(1));
    MemorySegment s0 = y0.segment();
    MemorySegment s1 = y1.segment();
    CpuThreads.parallelFor(
        y0.size(),
        CpuKernels.GRAIN / 8,
        64,
        (from, to) -> threefry(k0, k1, x0, x1, s0, s1, from, to));
    return List.of(y0, y1);
  }

  /**
   * Hashes elements {@code [from, to)}: 20 rounds in 5 blocks of 4 (rotations 13, 15, 26, 6 then
   * 17, 29, 16, 24), a key injection after each block, as core's {@code Threefry.hash}. One loop
   * with an index-range mask: the masked loads and stores cost little next to the 20 rounds.
   */
  static void threefry(
      MemorySegment k0s,
      MemorySegment k1s,
      MemorySegment x0s,
      MemorySegment x1s,
      MemorySegment y0s,
      MemorySegment y1s,
      long from,
      long to) {
    for (long i = from; i < to; i += I.length()) {
      var m = I.indexInRange(i, to);
      IntVector ks0 = IntVector.fromMemorySegment(I, k0s, i * 4, O, m);
      IntVector ks1 = IntVector.fromMemorySegment(I, k1s, i * 4, O, m);
      IntVector ks2 =
          ks0.lanewise(VectorOperators.XOR, ks1).lanewise(VectorOperators.XOR, 0x1BD11BDA);
      IntVector a = IntVector.fromMemorySegment(I, x0s, i * 4, O, m).add(ks0);
      IntVector b = IntVector.fromMemorySegment(I, x1s, i * 4, O, m).add(ks1);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 13).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 15).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 26).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 6).lanewise(VectorOperators.XOR, a);
      a = a.add(ks1);
      b = b.add(ks2).add(1);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 17).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 29).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 16).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 24).lanewise(VectorOperators.XOR, a);
      a = a.add(ks2);
      b = b.add(ks0).add(2);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 13).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 15).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 26).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 6).lanewise(VectorOperators.XOR, a);
      a = a.add(ks0);
      b = b.add(ks1).add(3);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 17).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 29).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 16).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 24).lanewise(VectorOperators.XOR, a);
      a = a.add(ks1);
      b = b.add(ks2).add(4);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 13).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 15).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 26).lanewise(VectorOperators.XOR, a);
      a = a.add(b);
      b = b.lanewise(VectorOperators.ROL, 6).lanewise(VectorOperators.XOR, a);
      a = a.add(ks2);
      b = b.add(ks0).add(5);
      a.intoMemorySegment(y0s, i * 4, O, m);
      b.intoMemorySegment(y1s, i * 4, O, m);
    }
  }
}
