package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * {@code convert} between every pair of dtypes with the reference semantics: float to integer
 * truncates toward zero through a 64-bit integer (then wraps to 32 bits for I32), anything to BOOL
 * is {@code != 0}, F64 to F32 rounds to nearest. Scalar loops: conversion is memory-bound.
 */
final class Converts {
  private Converts() {}

  static List<Buffer> convert(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    DType from = inAvals.get(0).dtype();
    DType to = outAvals.get(0).dtype();
    MemorySegment x = CpuKernels.seg(in.get(0));
    CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
    MemorySegment ys = y.segment();
    if (from == to) {
      MemorySegment.copy(x, 0, ys, 0, ys.byteSize());
      return List.of(y);
    }
    CpuThreads.parallelFor(
        y.size(), CpuKernels.GRAIN, 64, (lo, hi) -> range(x, from, ys, to, lo, hi));
    return List.of(y);
  }

  /** Converts elements {@code [lo, hi)} of {@code x} into {@code y}. */
  static void range(MemorySegment x, DType from, MemorySegment y, DType to, long lo, long hi) {
    if (from == to) {
      MemorySegment.copy(x, lo * from.byteSize(), y, lo * to.byteSize(), (hi - lo) * to.byteSize());
    } else if (from.isFloating()) {
      for (long i = lo; i < hi; i++) {
        putDouble(y, to, i, getDouble(x, from, i));
      }
    } else {
      for (long i = lo; i < hi; i++) {
        putLong(y, to, i, getLong(x, from, i));
      }
    }
  }

  private static double getDouble(MemorySegment s, DType t, long i) {
    return t == DType.F32
        ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i)
        : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
  }

  /** Element {@code i} of an I32, I64 or BOOL segment, widened to {@code long}. */
  static long getLong(MemorySegment s, DType t, long i) {
    return switch (t) {
      case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, i);
      case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG, i);
      case BOOL -> s.get(ValueLayout.JAVA_BYTE, i);
      default -> throw new AssertionError(t);
    };
  }

  private static void putDouble(MemorySegment s, DType t, long i, double v) {
    switch (t) {
      case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
      case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
      case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, i, (int) (long) v);
      case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG, i, (long) v);
      case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
    }
  }

  /**
   * Stores {@code v} as element {@code i} the way the reference does (I32 wraps, BOOL is v != 0).
   */
  static void putLong(MemorySegment s, DType t, long i, long v) {
    switch (t) {
      case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
      case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, (double) v);
      case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
      case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG, i, v);
      case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
    }
  }
}
