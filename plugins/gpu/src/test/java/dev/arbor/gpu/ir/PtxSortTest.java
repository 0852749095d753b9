package dev.arbor.gpu.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Sorting;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The PTX {@link SortKernel} executed by {@link PtxInterpreter} (one block of {@link
 * SortKernel#GROUP} threads per line, barriers and shared memory checked) and compared bit for bit
 * with {@code sort}'s reference kernel: keys of every dtype with many ties, {@code -0.0}/{@code
 * 0.0}, infinities and NaNs of several payloads and signs, lines of length 0, 1, odd, a power of
 * two and the longest ({@link SortKernel#MAX_LOCAL}), along every axis, with positions, F64 and
 * BOOL operands riding along (so stability shows). Breaking the kernel's tie-break or its NaN rule
 * fails.
 */
class PtxSortTest {
  private static final long BASE = 1L << 32;

  /** Keys of type {@code t} with many ties and, for floats, the special values. */
  static HostArray keys(DType t, int[] shape, Random r) {
    AbstractValue a = new AbstractValue(Shape.of(shape), t);
    int n = (int) a.shape().size();
    if (t.isFloating()) {
      double[] pool = {
        -0.0,
        0.0,
        Double.NaN,
        Double.longBitsToDouble(0xFFF8_0000_0000_0001L), // a negative NaN
        Double.longBitsToDouble(0x7FF0_0000_0000_0001L), // a signalling NaN
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        Double.MIN_VALUE,
        -Double.MIN_VALUE,
        t == DType.F32 ? Float.MAX_VALUE : Double.MAX_VALUE,
        t == DType.F32 ? -Float.MAX_VALUE : -Double.MAX_VALUE
      };
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        v[i] = r.nextInt(3) == 0 ? pool[r.nextInt(pool.length)] : (r.nextInt(9) - 4) * 0.5;
        if (t == DType.F32 && !Double.isNaN(v[i])) {
          v[i] = (float) v[i];
        }
      }
      return HostArray.ofDoubles(a, v);
    }
    long[] v = new long[n];
    long[] extremes =
        t == DType.I32
            ? new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0}
            : new long[] {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0};
    for (int i = 0; i < n; i++) {
      v[i] =
          switch (t) {
            case BOOL -> r.nextInt(2);
            default -> r.nextInt(4) == 0 ? extremes[r.nextInt(4)] : r.nextInt(7) - 3;
          };
    }
    return HostArray.ofLongs(a, v);
  }

  static HostArray positions(int[] shape) {
    AbstractValue a = new AbstractValue(Shape.of(shape), DType.I32);
    long[] v = new long[(int) a.shape().size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    return HostArray.ofLongs(a, v);
  }

  static HostArray random(DType t, int[] shape, Random r) {
    AbstractValue a = new AbstractValue(Shape.of(shape), t);
    int n = (int) a.shape().size();
    if (t.isFloating()) {
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        v[i] = r.nextGaussian();
      }
      return HostArray.ofDoubles(a, v);
    }
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = t == DType.BOOL ? r.nextInt(2) : r.nextLong();
    }
    return HostArray.ofLongs(a, v);
  }

  private static ByteBuffer buffer(HostArray h) {
    ByteBuffer b =
        ByteBuffer.allocate(Math.max(1, (int) h.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < h.size(); i++) {
      switch (h.dtype()) {
        case F32 -> b.putFloat(4 * i, (float) h.getDouble(i));
        case F64 -> b.putDouble(8 * i, h.getDouble(i));
        case I32 -> b.putInt(4 * i, (int) h.getLong(i));
        case I64 -> b.putLong(8 * i, h.getLong(i));
        case BOOL -> b.put(i, (byte) h.getLong(i));
      }
    }
    return b;
  }

  /**
   * Sorts {@code operands} along {@code axis} with the PTX kernels, launched as the backend
   * launches them ({@link SortKernel#launches}); {@code edit} rewrites every kernel's text.
   */
  static List<HostArray> runSortPtx(
      List<HostArray> operands, int axis, UnaryOperator<String> edit) {
    List<AbstractValue> avals = operands.stream().map(HostArray::aval).toList();
    SortKernel k = SortKernel.of(avals);
    SortKernel.Sizes s = SortKernel.sizes(avals.get(0), axis);
    int m = operands.size();
    List<PtxInterpreter.Global> globals = new ArrayList<>();
    List<ByteBuffer> outs = new ArrayList<>();
    long[] in = new long[m];
    long[] out = new long[m];
    for (int o = 0; o < m; o++) {
      in[o] = BASE * (o + 1);
      globals.add(new PtxInterpreter.Global(in[o], buffer(operands.get(o))));
    }
    for (int o = 0; o < m; o++) {
      HostArray h = operands.get(o);
      ByteBuffer b =
          ByteBuffer.allocate(Math.max(1, (int) h.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
      outs.add(b);
      out[o] = BASE * (m + o + 1);
      globals.add(new PtxInterpreter.Global(out[o], b));
    }
    // the scratch arrays of the multi-pass sort: exactly lines·p keys and positions
    long scratch = (long) s.lines() * s.padded();
    long gkey = BASE * (2 * m + 1);
    long gpos = BASE * (2 * m + 2);
    globals.add(
        new PtxInterpreter.Global(
            gkey,
            ByteBuffer.allocate((int) Math.max(1, scratch * (k.wideKeys() ? 8 : 4)))
                .order(ByteOrder.LITTLE_ENDIAN)));
    globals.add(
        new PtxInterpreter.Global(
            gpos,
            ByteBuffer.allocate((int) Math.max(1, scratch * 4)).order(ByteOrder.LITTLE_ENDIAN)));
    for (SortKernel.Launch launch : SortKernel.launches(s)) {
      SortKernel phase =
          launch.phase() == SortKernel.Phase.LINE
              ? k.line(launch.capacity())
              : k.phase(launch.phase());
      PtxInterpreter ptx = new PtxInterpreter(edit.apply(PtxEmitter.emit(phase)));
      List<Long> args = new ArrayList<>();
      switch (launch.phase()) {
        case LINE, GATHER -> {
          for (long a : in) {
            args.add(a);
          }
          for (long a : out) {
            args.add(a);
          }
          if (launch.phase() == SortKernel.Phase.GATHER) {
            args.add(gpos);
          }
        }
        case BLOCKS -> {
          args.add(in[0]);
          args.add(gkey);
          args.add(gpos);
        }
        case STEP, MERGE -> {
          args.add(gkey);
          args.add(gpos);
        }
      }
      for (int v : launch.ints()) {
        args.add((long) v);
      }
      assertEquals(0, launch.items() % launch.group(), "whole work groups");
      ptx.launch(
          new int[] {(int) (launch.items() / launch.group()), 1, 1},
          launch.group(),
          args.stream().mapToLong(Long::longValue).toArray(),
          globals);
    }
    List<HostArray> result = new ArrayList<>();
    for (int o = 0; o < m; o++) {
      HostArray h = HostArray.zeros(operands.get(o).aval());
      ByteBuffer b = outs.get(o);
      for (int i = 0; i < h.size(); i++) {
        switch (h.dtype()) {
          case F32 -> h.setDouble(i, b.getFloat(4 * i));
          case F64 -> h.setDouble(i, b.getDouble(8 * i));
          case I32 -> h.setLong(i, b.getInt(4 * i));
          case I64 -> h.setLong(i, b.getLong(8 * i));
          case BOOL -> h.setLong(i, b.get(i));
        }
      }
      result.add(h);
    }
    return result;
  }

  /** The PTX sort equals the reference's, bit for bit, in every operand. */
  static void check(List<HostArray> operands, int axis, UnaryOperator<String> edit) {
    Params p = Params.of("axis", axis);
    List<AbstractValue> avals = operands.stream().map(HostArray::aval).toList();
    List<HostArray> want =
        Sorting.SORT.referenceKernel().apply(operands, p, Sorting.SORT.abstractEval(avals, p));
    List<HostArray> got = runSortPtx(operands, axis, edit);
    for (int o = 0; o < operands.size(); o++) {
      HostArray w = want.get(o);
      HostArray g = got.get(o);
      String what = "sort " + avals + " axis " + axis + ", operand " + o;
      for (int i = 0; i < w.size(); i++) {
        long wb =
            w.dtype().isFloating()
                ? Double.doubleToRawLongBits(
                    w.dtype() == DType.F32 ? (float) w.getDouble(i) : w.getDouble(i))
                : w.getLong(i);
        long gb =
            g.dtype().isFloating()
                ? Double.doubleToRawLongBits(
                    g.dtype() == DType.F32 ? (float) g.getDouble(i) : g.getDouble(i))
                : g.getLong(i);
        assertEquals(wb, gb, what + " at " + i);
      }
    }
  }

  @Test
  void sortMatchesTheReferenceBitForBit() {
    int[][] shapes = {{0}, {1}, {2}, {7}, {33}, {64}, {3, 5}, {4, 0, 3}, {2, 9, 3}};
    Random r = new Random(11);
    for (DType t : DType.values()) {
      for (int[] s : shapes) {
        for (int axis = 0; axis < s.length; axis++) {
          check(
              List.of(
                  keys(t, s, r),
                  positions(s),
                  random(DType.F64, s, r),
                  random(DType.BOOL, s, r),
                  random(DType.I64, s, r),
                  random(DType.F32, s, r)),
              axis,
              x -> x);
        }
      }
      check(List.of(keys(t, new int[] {300}, r)), 0, x -> x); // keys only
    }
  }

  @Test
  void longestLocalLine() {
    // MAX_LOCAL elements: the padded length equals the line's, one work group sorts it all.
    Random r = new Random(12);
    int[] s = {SortKernel.MAX_LOCAL};
    assertEquals(
        List.of(SortKernel.Phase.LINE),
        SortKernel.launches(SortKernel.sizes(new AbstractValue(Shape.of(s), DType.F64), 0)).stream()
            .map(SortKernel.Launch::phase)
            .toList());
    for (DType t : List.of(DType.F64, DType.I32)) {
      check(List.of(keys(t, s, r), positions(s)), 0, x -> x);
    }
  }

  @Test
  void longLinesSortInPasses() {
    // Past MAX_LOCAL: blocks sorted in shared memory, global steps and block merges, a gather.
    // 5000 pads to 8192 (stages 4096 and 8192: one and two global steps); two lines of 2049
    // along a leading axis (strided lines, almost all padding in the second block).
    Random r = new Random(15);
    SortKernel.Sizes sizes = SortKernel.sizes(new AbstractValue(Shape.of(5000), DType.F32), 0);
    assertEquals(
        "[BLOCKS[5000, 1, 8192], STEP[8192, 4096, 2048, 4096], MERGE[8192, 4096],"
            + " STEP[8192, 8192, 4096, 4096], STEP[8192, 8192, 2048, 4096], MERGE[8192, 8192],"
            + " GATHER[5000, 1, 8192, 5000]]",
        SortKernel.launches(sizes).toString());
    for (DType t : List.of(DType.F32, DType.I64)) {
      int[] s = {5000};
      check(List.of(keys(t, s, r), positions(s), random(DType.BOOL, s, r)), 0, x -> x);
    }
    int[] s = {2049, 2};
    check(List.of(keys(DType.F64, s, r), positions(s)), 0, x -> x);
  }

  @Test
  void withoutTheTieBreakTheSortIsNotStable() {
    // The check can fail: with the position tie-break gone (or.pred becomes a copy of the key
    // comparison), equal keys leave the network in another order.
    // Small keys (no MAX_VALUE, which would tie with the padding) and 33 of them: many ties.
    // One line in one work group, and one sorted in passes (every kernel edited).
    Random r = new Random(13);
    for (int n : new int[] {33, 5000}) {
      int[] s = {n};
      long[] small = new long[n];
      for (int i = 0; i < small.length; i++) {
        small[i] = r.nextInt(3);
      }
      HostArray keys = HostArray.ofLongs(new AbstractValue(Shape.of(s), DType.I32), small);
      List<HostArray> ops = List.of(keys, positions(s));
      check(ops, 0, x -> x);
      UnaryOperator<String> noTieBreak =
          x -> {
            if (!x.contains("or.pred")) {
              return x; // GATHER: no comparison
            }
            return x.replaceFirst("or\\.pred (%p\\d+), (%p\\d+), (%p\\d+);", "mov.pred $1, $2;");
          };
      assertThrows(AssertionError.class, () -> check(ops, 0, noTieBreak));
    }
  }

  @Test
  void withoutTheNanRuleNaNsDoNotSortLast() {
    // The check can fail: without the NaN select a negative NaN sorts first, a positive one
    // beyond +inf but apart from the others.
    Random r = new Random(14);
    int[] s = {40};
    List<HostArray> ops = List.of(keys(DType.F64, s, r), positions(s));
    check(ops, 0, x -> x);
    UnaryOperator<String> noNan =
        x -> {
          assertTrue(x.contains("selp.b64"), "the NaN select is where this test expects it");
          return x.replaceFirst(
              "selp\\.b64 (%rd\\d+), \\d+, (%rd\\d+), %p\\d+;", "mov.b64 $1, $2;");
        };
    assertThrows(AssertionError.class, () -> check(ops, 0, noNan));
  }
}
