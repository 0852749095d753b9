package dev.arbor.gpu.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.Elementwise;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Loop kernels' PTX executed by {@link PtxInterpreter} (no GPU needed), against the reference
 * kernels: the integer shifts bit for bit (counts of the width and beyond, negative, and for I64
 * counts above 2^32, which a narrowing without the clamp would wrap), and {@code erf_inv} bit for
 * bit against {@link DoubleMath#JAVA} (the emitted operations' mirror) and within a few ulp of the
 * reference. Launched with small blocks so that several items, groups and the 4-points-per-item
 * tail are exercised.
 */
class PtxLoopKernelTest {
  static final long BASE = 1L << 32;

  /** Runs {@code p} on {@code inputs} as the PTX loop kernel the backend would launch. */
  static List<HostArray> runPtx(Primitive p, Params params, List<HostArray> inputs) {
    return runPtx(p, params, inputs, s -> s);
  }

  static List<HostArray> runPtx(
      Primitive p,
      Params params,
      List<HostArray> inputs,
      java.util.function.UnaryOperator<String> edit) {
    List<AbstractValue> in = new ArrayList<>();
    for (HostArray h : inputs) {
      in.add(h.aval());
    }
    List<AbstractValue> out = p.abstractEval(in, params);
    LoopKernel k = Lowering.loop("k", p, params, in, out);
    PtxInterpreter ptx = new PtxInterpreter(edit.apply(PtxEmitter.emit(k)));
    List<PtxInterpreter.Global> globals = new ArrayList<>();
    List<Long> args = new ArrayList<>();
    for (HostArray h : inputs) {
      ByteBuffer b =
          ByteBuffer.allocate(Math.max(1, (int) h.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < h.size(); i++) {
        put(b, i, h.dtype(), h.dtype().isFloating() ? h.getDouble(i) : 0, h.getLong(i));
      }
      long at = BASE * (globals.size() + 1);
      globals.add(new PtxInterpreter.Global(at, b));
      args.add(at);
    }
    List<ByteBuffer> outs = new ArrayList<>();
    for (AbstractValue a : out) {
      long bytes = Math.max(1, a.shape().size() * a.dtype().byteSize());
      ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
      long at = BASE * (globals.size() + 1);
      globals.add(new PtxInterpreter.Global(at, b));
      args.add(at);
      outs.add(b);
    }
    args.add((long) k.workItems());
    int block = 32;
    int grid = (k.launchItems() + block - 1) / block;
    ptx.launch(
        new int[] {grid, 1, 1}, block, args.stream().mapToLong(Long::longValue).toArray(), globals);
    List<HostArray> res = new ArrayList<>();
    for (int o = 0; o < out.size(); o++) {
      AbstractValue a = out.get(o);
      HostArray h = HostArray.zeros(a);
      ByteBuffer b = outs.get(o);
      for (int i = 0; i < h.size(); i++) {
        switch (a.dtype()) {
          case F32 -> h.setDouble(i, b.getFloat(4 * i));
          case F64 -> h.setDouble(i, b.getDouble(8 * i));
          case I32 -> h.setLong(i, b.getInt(4 * i));
          case I64 -> h.setLong(i, b.getLong(8 * i));
          case BOOL -> h.setLong(i, b.get(i));
        }
      }
      res.add(h);
    }
    return res;
  }

  private static void put(ByteBuffer b, int i, DType t, double d, long l) {
    switch (t) {
      case F32 -> b.putFloat(4 * i, (float) d);
      case F64 -> b.putDouble(8 * i, d);
      case I32 -> b.putInt(4 * i, (int) l);
      case I64 -> b.putLong(8 * i, l);
      case BOOL -> b.put(i, (byte) l);
    }
  }

  static HostArray longs(DType t, long[] v) {
    return HostArray.ofLongs(new AbstractValue(Shape.of(v.length), t), v);
  }

  static HostArray doubles(DType t, double[] v) {
    return HostArray.ofDoubles(new AbstractValue(Shape.of(v.length), t), v);
  }

  /** Values and counts: random bits; counts in range, the width ±1, far beyond, negative. */
  static List<HostArray> shiftOperands(DType t, int n, long seed) {
    Random r = new Random(seed);
    int bits = t == DType.I32 ? 32 : 64;
    long[] x = new long[n];
    long[] c = new long[n];
    for (int i = 0; i < n; i++) {
      x[i] = t == DType.I32 ? r.nextInt() : r.nextLong();
      c[i] =
          switch (i % 8) {
            case 0 -> bits + (i / 8) % 3 - 1;
            case 1 -> -1 - r.nextInt(70);
            case 2 -> bits + r.nextInt(100);
            case 3 -> t == DType.I32 ? Integer.MIN_VALUE : (1L << 32) + r.nextInt(bits);
            case 4 -> t == DType.I32 ? Integer.MAX_VALUE : Long.MIN_VALUE + r.nextInt(bits);
            default -> r.nextInt(bits);
          };
    }
    return List.of(longs(t, x), longs(t, c));
  }

  @Test
  void shiftsMatchTheReferenceBitForBit() {
    for (Primitive p : List.of(Elementwise.SHIFT_LEFT, Elementwise.SHIFT_RIGHT_LOGICAL)) {
      for (DType t : List.of(DType.I32, DType.I64)) {
        for (int n : new int[] {1, 7, 1001}) {
          List<HostArray> in = shiftOperands(t, n, n * 31L + t.ordinal());
          long[] want =
              p.referenceKernel()
                  .apply(in, Params.EMPTY, List.of(in.get(0).aval()))
                  .get(0)
                  .toLongs();
          long[] got = runPtx(p, Params.EMPTY, in).get(0).toLongs();
          for (int i = 0; i < n; i++) {
            assertEquals(
                want[i],
                got[i],
                p.name() + " " + t + " " + in.get(0).getLong(i) + " by " + in.get(1).getLong(i));
          }
        }
      }
    }
  }

  @Test
  void anUnclampedI64CountFails() {
    // The check can fail: without the clamp, a count of 2^32 + k narrows to k.
    List<HostArray> in = shiftOperands(DType.I64, 64, 5);
    long[] want =
        Elementwise.SHIFT_LEFT
            .referenceKernel()
            .apply(in, Params.EMPTY, List.of(in.get(0).aval()))
            .get(0)
            .toLongs();
    long[] got =
        runPtx(
                Elementwise.SHIFT_LEFT,
                Params.EMPTY,
                in,
                s -> {
                  assertTrue(s.contains("min.u64"), "the clamp is where this test expects it");
                  return s.replaceAll("min\\.u64 (%rd\\d+), (%rd\\d+), 64", "mov.b64 $1, $2");
                })
            .get(0)
            .toLongs();
    assertTrue(!java.util.Arrays.equals(want, got), "an unclamped shift passed");
  }

  static double[] erfInvInputs(int n, long seed) {
    Random r = new Random(seed);
    double[] special = {
      0.0,
      -0.0,
      1,
      -1,
      1.5,
      -1.5,
      Double.NaN,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      0.5,
      -0.999999,
      0.9999999,
      1e-30,
      0.99,
      -0.95,
      1e-8,
      Math.nextDown(1.0),
      Math.nextUp(-1.0),
      Double.MIN_VALUE,
      0.8427,
      0.99999999999
    };
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      if (i < special.length) {
        x[i] = special[i];
      } else if (i % 3 == 0) {
        // the tails: within 1e-2 .. 1e-15 of ±1 (w from ~5 to ~35: all three polynomials)
        x[i] = (1 - Math.pow(10, -2 - 13 * r.nextDouble())) * (r.nextBoolean() ? 1 : -1);
      } else {
        x[i] = r.nextDouble() * 2 - 1;
      }
    }
    return x;
  }

  /** Error of {@code got} in ulps of {@code want} (0 when both NaN or equal infinities). */
  static double ulps(double got, double want, boolean f32) {
    if (Double.isNaN(want) || Double.isNaN(got)) {
      return Double.isNaN(want) && Double.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
    }
    if (got == want) {
      return 0;
    }
    return Math.abs(got - want) / (f32 ? Math.ulp((float) want) : Math.ulp(want));
  }

  /** The largest error of the PTX erf_inv against the reference, in ulps; the mirror's bits. */
  static double erfInvError(DType t) {
    boolean f32 = t == DType.F32;
    double[] x = erfInvInputs(3000, t.ordinal());
    if (f32) {
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) x[i];
      }
    }
    HostArray in = doubles(t, x);
    double[] want =
        Elementwise.ERF_INV
            .referenceKernel()
            .apply(List.of(in), Params.EMPTY, List.of(in.aval()))
            .get(0)
            .toDoubles();
    double[] got = runPtx(Elementwise.ERF_INV, Params.EMPTY, List.of(in)).get(0).toDoubles();
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      double mirror = DoubleMath.erfInv(DoubleMath.JAVA, x[i]);
      if (f32) {
        mirror = (float) mirror;
      }
      assertEquals(
          Double.doubleToLongBits(mirror),
          Double.doubleToLongBits(got[i]),
          "erf_inv " + t + " of " + x[i] + ": the PTX must give the mirror's bits");
      worst = Math.max(worst, ulps(got[i], want[i], f32));
    }
    return worst;
  }

  @Test
  void erfInvF64() {
    double e = erfInvError(DType.F64);
    assertTrue(e <= 4, "erf_inv F64: " + e + " ulp from the reference");
  }

  @Test
  void erfInvF32() {
    double e = erfInvError(DType.F32);
    assertTrue(e <= 1, "erf_inv F32: " + e + " ulp from the reference");
  }

  /** Runs argmax/argmin of {@code x} along {@code axis} as the PTX {@link ArgReduceKernel}. */
  static long[] runArgPtx(String prim, HostArray x, int axis, DType index, String edit) {
    ArgReduceKernel k =
        ArgReduceKernel.of(prim, Params.of("axis", axis, "index_dtype", index), x.aval());
    LineSizes s = ArgReduceKernel.shape(x.aval(), axis);
    String text = PtxEmitter.emit(k);
    PtxInterpreter ptx =
        new PtxInterpreter(edit == null ? text : text.replace(edit, "@%p999 " + edit));
    DType t = x.dtype();
    ByteBuffer in =
        ByteBuffer.allocate(Math.max(1, (int) x.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < x.size(); i++) {
      put(in, i, t, t.isFloating() ? x.getDouble(i) : 0, x.getLong(i));
    }
    ByteBuffer out =
        ByteBuffer.allocate(Math.max(1, s.lines() * index.byteSize()))
            .order(ByteOrder.LITTLE_ENDIAN);
    int block = 32;
    ptx.launch(
        new int[] {(s.lines() + block - 1) / block, 1, 1},
        block,
        new long[] {BASE, 2 * BASE, s.lines(), s.length(), s.inner()},
        List.of(new PtxInterpreter.Global(BASE, in), new PtxInterpreter.Global(2 * BASE, out)));
    long[] r = new long[s.lines()];
    for (int o = 0; o < r.length; o++) {
      r[o] = index == DType.I32 ? out.getInt(4 * o) : out.getLong(8 * o);
    }
    return r;
  }

  /** Small values (many ties), ±0.0 and, for floats, NaNs and infinities. */
  static HostArray argInput(DType t, int[] shape, Random r, boolean nans) {
    int n = (int) Shape.of(shape).size();
    if (!t.isFloating()) {
      long[] v = new long[n];
      for (int i = 0; i < n; i++) {
        v[i] = t == DType.BOOL ? r.nextInt(2) : r.nextInt(7) - 3;
      }
      return HostArray.ofLongs(new AbstractValue(Shape.of(shape), t), v);
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = (r.nextInt(9) - 4) * 0.5;
      if (v[i] == 0 && r.nextBoolean()) {
        v[i] = -0.0;
      }
      if (nans && r.nextInt(10) == 0) {
        v[i] = r.nextBoolean() ? Double.NaN : Double.NEGATIVE_INFINITY;
      }
    }
    return HostArray.ofDoubles(new AbstractValue(Shape.of(shape), t), v);
  }

  @Test
  void argReductionsMatchTheReference() {
    int[][][] specs = {
      {{1}, {0}},
      {{7}, {0}},
      {{100}, {0}},
      {{3, 5}, {0}},
      {{3, 5}, {1}},
      {{4, 17}, {1}},
      {{2, 33, 3}, {2}},
      {{2, 19, 4}, {1}},
      {{5, 1, 9}, {1}},
      {{0, 4}, {1}}
    };
    Random r = new Random(3);
    for (Primitive p :
        List.of(
            dev.arbor.core.primitives.Reductions.ARGMAX,
            dev.arbor.core.primitives.Reductions.ARGMIN)) {
      for (DType t : DType.values()) {
        for (int c = 0; c < specs.length; c++) {
          int[] shape = specs[c][0];
          int axis = specs[c][1][0];
          DType index = c % 2 == 0 ? DType.I32 : DType.I64;
          HostArray x = argInput(t, shape, r, c % 3 != 0);
          Params params = Params.of("axis", axis, "index_dtype", index);
          long[] want =
              p.referenceKernel()
                  .apply(List.of(x), params, p.abstractEval(List.of(x.aval()), params))
                  .get(0)
                  .toLongs();
          long[] got = runArgPtx(p.name(), x, axis, index, null);
          assertEquals(
              java.util.Arrays.toString(want),
              java.util.Arrays.toString(got),
              p.name() + " " + t + " " + java.util.Arrays.toString(shape) + " axis " + axis);
        }
      }
    }
  }

  @Test
  void argmaxWithoutTheNanRuleFails() {
    // The check can fail: without "a NaN candidate wins" (the or.pred disabled), a NaN after the
    // maximum is not chosen.
    HostArray x =
        HostArray.ofDoubles(
            new AbstractValue(Shape.of(4), DType.F32), new double[] {1, 3, Double.NaN, 2});
    String orPred = "or.pred %p3, %p3, %p4;";
    assertTrue(
        PtxEmitter.emit(
                ArgReduceKernel.of(
                    "argmax", Params.of("axis", 0, "index_dtype", DType.I32), x.aval()))
            .contains(orPred),
        "or.pred is where this test expects it");
    assertEquals(2, runArgPtx("argmax", x, 0, DType.I32, null)[0]);
    assertEquals(1, runArgPtx("argmax", x, 0, DType.I32, orPred)[0]);
  }

  /** Runs gather/scatter_add as the PTX {@link GatherKernel}; {@code edit} rewrites the text. */
  static HostArray runGatherPtx(
      Primitive p,
      Params params,
      List<HostArray> inputs,
      java.util.function.UnaryOperator<String> edit) {
    List<AbstractValue> in = new ArrayList<>();
    for (HostArray h : inputs) {
      in.add(h.aval());
    }
    AbstractValue outAval = p.abstractEval(in, params).get(0);
    GatherKernel k = GatherKernel.of(p.name(), in.get(0), in.get(1));
    GatherKernel.Sizes sizes = k.sizes(in.get(0), in.get(1), params);
    PtxInterpreter ptx = new PtxInterpreter(edit.apply(PtxEmitter.emit(k)));
    List<PtxInterpreter.Global> globals = new ArrayList<>();
    List<Long> args = new ArrayList<>();
    for (HostArray h : inputs) {
      ByteBuffer b =
          ByteBuffer.allocate(Math.max(1, (int) h.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < h.size(); i++) {
        put(b, i, h.dtype(), h.dtype().isFloating() ? h.getDouble(i) : 0, h.getLong(i));
      }
      long at = BASE * (globals.size() + 1);
      globals.add(new PtxInterpreter.Global(at, b));
      args.add(at);
    }
    // exactly the output's size (no padding byte unless empty): the interpreter checks bounds
    ByteBuffer ob =
        ByteBuffer.allocate((int) Math.max(1, outAval.shape().size() * outAval.dtype().byteSize()))
            .order(ByteOrder.LITTLE_ENDIAN);
    long outAt = BASE * (globals.size() + 1);
    globals.add(new PtxInterpreter.Global(outAt, ob));
    args.add(outAt);
    for (int v : sizes.arguments()) {
      args.add((long) v);
    }
    int block = 32;
    if (sizes.items() > 0) {
      ptx.launch(
          new int[] {(sizes.items() + block - 1) / block, 1, 1},
          block,
          args.stream().mapToLong(Long::longValue).toArray(),
          globals);
    }
    HostArray h = HostArray.zeros(outAval);
    for (int i = 0; i < h.size(); i++) {
      switch (outAval.dtype()) {
        case F32 -> h.setDouble(i, ob.getFloat(4 * i));
        case F64 -> h.setDouble(i, ob.getDouble(8 * i));
        case I32 -> h.setLong(i, ob.getInt(4 * i));
        case I64 -> h.setLong(i, ob.getLong(8 * i));
        case BOOL -> h.setLong(i, ob.get(i));
      }
    }
    return h;
  }

  /** {operand shape, index shape, {axis, batch_dims}}. */
  static final int[][][] GATHER_SPECS = {
    {{10}, {7}, {0, 0}},
    {{10}, {}, {0, 0}},
    {{6, 5}, {4}, {0, 0}},
    {{6, 5}, {3, 2}, {1, 0}},
    {{2, 3, 4}, {2, 5}, {1, 1}},
    {{3, 7, 2}, {3, 2, 4}, {2, 1}},
    {{4, 5}, {4, 6}, {1, 1}},
    {{5, 3}, {0}, {0, 0}},
    {{40, 9}, {33}, {0, 0}}
  };

  static HostArray indices(DType it, int[] shape, int n, Random r) {
    int size = (int) Shape.of(shape).size();
    long[] v = new long[size];
    for (int i = 0; i < size; i++) {
      // mostly in range (with repeats), some below 0 and beyond n-1 (clamped), I64 far beyond
      v[i] =
          switch (r.nextInt(8)) {
            case 0 -> -1 - r.nextInt(5);
            case 1 -> n + r.nextInt(5);
            case 2 -> it == DType.I64 ? (r.nextBoolean() ? 1L << 40 : -(1L << 40)) : n;
            default -> r.nextInt(Math.max(1, n));
          };
    }
    return HostArray.ofLongs(new AbstractValue(Shape.of(shape), it), v);
  }

  static HostArray data(DType t, int[] shape, Random r) {
    int size = (int) Shape.of(shape).size();
    AbstractValue a = new AbstractValue(Shape.of(shape), t);
    if (t.isFloating()) {
      double[] v = new double[size];
      for (int i = 0; i < size; i++) {
        v[i] = r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3); // rounding-order sensitive
      }
      return HostArray.ofDoubles(a, v);
    }
    long[] v = new long[size];
    for (int i = 0; i < size; i++) {
      v[i] = t == DType.BOOL ? r.nextInt(2) : t == DType.I32 ? r.nextInt() : r.nextLong(); // wraps
    }
    return HostArray.ofLongs(a, v);
  }

  static void checkGather(
      Primitive p,
      DType t,
      DType it,
      int[][] spec,
      Random r,
      java.util.function.UnaryOperator<String> edit) {
    int axis = spec[2][0];
    int nb = spec[2][1];
    Params params = Params.of("axis", axis, "batch_dims", nb);
    HostArray x = data(t, spec[0], r);
    HostArray idx = indices(it, spec[1], spec[0][axis], r);
    List<HostArray> in = new ArrayList<>(List.of(x, idx));
    if (p == dev.arbor.core.primitives.Indexing.SCATTER_ADD) {
      AbstractValue g =
          dev.arbor.core.primitives.Indexing.GATHER
              .abstractEval(List.of(x.aval(), idx.aval()), params)
              .get(0);
      in.add(data(t, g.shape().dims(), r));
    }
    List<AbstractValue> avals = new ArrayList<>();
    for (HostArray h : in) {
      avals.add(h.aval());
    }
    HostArray want = p.referenceKernel().apply(in, params, p.abstractEval(avals, params)).get(0);
    HostArray got = runGatherPtx(p, params, in, edit);
    String what = p.name() + " " + t + " by " + it + " " + java.util.Arrays.deepToString(spec);
    if (t.isFloating()) {
      double[] w = want.toDoubles();
      double[] g = got.toDoubles();
      for (int i = 0; i < w.length; i++) {
        assertEquals(
            Double.doubleToLongBits(t == DType.F32 ? (float) w[i] : w[i]),
            Double.doubleToLongBits(g[i]),
            what + " at " + i);
      }
    } else {
      assertEquals(
          java.util.Arrays.toString(want.toLongs()),
          java.util.Arrays.toString(got.toLongs()),
          what);
    }
  }

  @Test
  void gatherAndScatterAddMatchTheReferenceBitForBit() {
    Random r = new Random(9);
    for (Primitive p :
        List.of(
            dev.arbor.core.primitives.Indexing.GATHER,
            dev.arbor.core.primitives.Indexing.SCATTER_ADD)) {
      for (DType t : DType.values()) {
        if (t == DType.BOOL && p == dev.arbor.core.primitives.Indexing.SCATTER_ADD) {
          continue; // refused: the reference's bool sums are not a plain add
        }
        for (DType it : List.of(DType.I32, DType.I64)) {
          for (int[][] spec : GATHER_SPECS) {
            checkGather(p, t, it, spec, r, s -> s);
          }
        }
      }
    }
  }

  @Test
  void scatterWithoutTheOwnershipTestFails() {
    // The check can fail: if every part added every update (no "is this row mine" test), rows
    // would receive each update once per part.
    assertThrows(
        AssertionError.class,
        () ->
            checkGather(
                dev.arbor.core.primitives.Indexing.SCATTER_ADD,
                DType.F64,
                DType.I32,
                new int[][] {{10}, {7}, {0, 0}},
                new Random(1),
                s -> {
                  assertTrue(s.contains(" bra $Lnext;"), "the ownership test is where expected");
                  return s.replaceAll("@%p\\d+ bra \\$Lnext;", "@%p999 bra \\$Lnext;");
                }));
  }

  @Test
  void gatherWithoutTheClampFails() {
    // The check can fail: without the lower clamp a negative index reads before the operand,
    // which the interpreter refuses.
    assertThrows(
        IllegalStateException.class,
        () ->
            checkGather(
                dev.arbor.core.primitives.Indexing.GATHER,
                DType.F32,
                DType.I32,
                new int[][] {{10}, {50}, {0, 0}},
                new Random(1),
                s -> s.replaceAll("max\\.s32 (%r\\d+), (%r\\d+), 0;", "mov.b32 $1, $2;")));
  }

  /** cumsum of {@code x} as the PTX {@link ScanKernel} (of direction {@code kernelReverse}). */
  static HostArray runScanPtx(HostArray x, int axis, boolean kernelReverse) {
    ScanKernel k = ScanKernel.of(x.aval(), kernelReverse);
    LineSizes s = ScanKernel.sizes(x.aval(), axis);
    PtxInterpreter ptx = new PtxInterpreter(PtxEmitter.emit(k));
    DType t = x.dtype();
    ByteBuffer in =
        ByteBuffer.allocate(Math.max(1, (int) x.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < x.size(); i++) {
      put(in, i, t, t.isFloating() ? x.getDouble(i) : 0, x.getLong(i));
    }
    ByteBuffer out =
        ByteBuffer.allocate(Math.max(1, (int) x.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
    int block = 32;
    if (s.lines() > 0) {
      ptx.launch(
          new int[] {(s.lines() + block - 1) / block, 1, 1},
          block,
          new long[] {BASE, 2 * BASE, s.lines(), s.length(), s.inner()},
          List.of(new PtxInterpreter.Global(BASE, in), new PtxInterpreter.Global(2 * BASE, out)));
    }
    HostArray h = HostArray.zeros(x.aval());
    for (int i = 0; i < h.size(); i++) {
      switch (t) {
        case F32 -> h.setDouble(i, out.getFloat(4 * i));
        case F64 -> h.setDouble(i, out.getDouble(8 * i));
        case I32 -> h.setLong(i, out.getInt(4 * i));
        case I64 -> h.setLong(i, out.getLong(8 * i));
        case BOOL -> h.setLong(i, out.get(i));
      }
    }
    return h;
  }

  static void checkScan(HostArray x, int axis, boolean reverse, boolean kernelReverse) {
    Params params = Params.of("axis", axis, "reverse", reverse);
    HostArray want =
        dev.arbor.core.primitives.Reductions.CUMSUM
            .referenceKernel()
            .apply(List.of(x), params, List.of(x.aval()))
            .get(0);
    HostArray got = runScanPtx(x, axis, kernelReverse);
    String what = "cumsum " + x.aval() + " " + params;
    if (x.dtype().isFloating()) {
      double[] w = want.toDoubles();
      double[] g = got.toDoubles();
      for (int i = 0; i < w.length; i++) {
        assertEquals(
            Double.doubleToLongBits(w[i]), Double.doubleToLongBits(g[i]), what + " at " + i);
      }
    } else {
      assertEquals(
          java.util.Arrays.toString(want.toLongs()),
          java.util.Arrays.toString(got.toLongs()),
          what);
    }
  }

  @Test
  void cumsumMatchesTheReferenceBitForBit() {
    // F32 sums must be accumulated in F64 as the reference does (values over 7 decades, so an F32
    // accumulator would differ); signed zeros, infinities and NaN; integers wrap.
    Random r = new Random(4);
    int[][] shapes = {{1}, {9}, {70}, {3, 5}, {4, 0, 3}, {2, 7, 6}, {5, 1, 9, 2}};
    for (DType t : List.of(DType.F32, DType.F64, DType.I32, DType.I64)) {
      for (int[] shape : shapes) {
        for (int axis = 0; axis < shape.length; axis++) {
          for (boolean reverse : new boolean[] {false, true}) {
            HostArray x = data(t, shape, r);
            if (t.isFloating() && shape.length == 2) {
              double[] v = x.toDoubles();
              double[] sp = {
                -0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN
              };
              for (int i = 0; i < v.length; i += 3) {
                v[i] = sp[r.nextInt(sp.length)];
              }
              x = HostArray.ofDoubles(x.aval(), v);
            }
            checkScan(x, axis, reverse, reverse);
          }
        }
      }
    }
  }

  @Test
  void cumsumInTheWrongDirectionFails() {
    HostArray x = data(DType.F64, new int[] {3, 5}, new Random(2));
    org.junit.jupiter.api.Assertions.assertThrows(
        AssertionError.class, () -> checkScan(x, 1, true, false));
  }

  /** threefry2x32 as the PTX {@link ThreefryKernel}; (y0, y1) as unsigned bits. */
  static long[][] runThreefryPtx(long[][] in, java.util.function.UnaryOperator<String> edit) {
    int n = in[0].length;
    PtxInterpreter ptx =
        new PtxInterpreter(edit.apply(PtxEmitter.emit(new ThreefryKernel("arbor_threefry2x32"))));
    List<PtxInterpreter.Global> globals = new ArrayList<>();
    long[] args = new long[7];
    for (int b = 0; b < 6; b++) {
      ByteBuffer buf = ByteBuffer.allocate(4 * Math.max(1, n)).order(ByteOrder.LITTLE_ENDIAN);
      if (b < 4) {
        for (int i = 0; i < n; i++) {
          buf.putInt(4 * i, (int) in[b][i]);
        }
      }
      args[b] = BASE * (b + 1);
      globals.add(new PtxInterpreter.Global(args[b], buf));
    }
    args[6] = n;
    int block = 32;
    ptx.launch(new int[] {(n + block - 1) / block, 1, 1}, block, args, globals);
    long[][] y = new long[2][n];
    for (int i = 0; i < n; i++) {
      y[0][i] = globals.get(4).data().getInt(4 * i) & 0xFFFF_FFFFL;
      y[1][i] = globals.get(5).data().getInt(4 * i) & 0xFFFF_FFFFL;
    }
    return y;
  }

  @Test
  void threefryMatchesTheReferenceBitForBit() {
    Random r = new Random(8);
    int n = 300;
    long[][] in = new long[4][n];
    for (int b = 0; b < 4; b++) {
      for (int i = 0; i < n; i++) {
        in[b][i] = i < 4 ? new long[] {0, -1, Integer.MIN_VALUE, 1}[(i + b) % 4] : r.nextInt();
      }
    }
    long[][] got = runThreefryPtx(in, s -> s);
    for (int i = 0; i < n; i++) {
      long[] want = dev.arbor.core.primitives.Threefry.hash(in[0][i], in[1][i], in[2][i], in[3][i]);
      assertEquals(want[0], got[0][i], "y0 at " + i);
      assertEquals(want[1], got[1][i], "y1 at " + i);
    }
    // Random123's known answer for Threefry-2x32-20 with key and counter zero
    long[][] kat = runThreefryPtx(new long[][] {{0}, {0}, {0}, {0}}, x -> x);
    assertEquals(0x6b200159L, kat[0][0]);
    assertEquals(0x99ba4efeL, kat[1][0]);
  }

  @Test
  void threefryWithAWrongRotationFails() {
    // The check can fail: the first round's rotation by 13 done as (b << 13) | (b >>> 18).
    // (Large operands: for b < 2^18 the two agree.)
    long[][] in = {{0x9E3779B9L}, {0x7F4A7C15L}, {0xF39CC060L}, {0x5CEDC834L}};
    long[][] got =
        runThreefryPtx(
            in, s -> s.replaceFirst("shr\\.u32 (%r\\d+), (%r\\d+), 19", "shr.u32 $1, $2, 18"));
    long[] want = dev.arbor.core.primitives.Threefry.hash(in[0][0], in[1][0], in[2][0], in[3][0]);
    assertTrue(want[0] != got[0][0] || want[1] != got[1][0], "a wrong rotation passed");
  }

  @Test
  void unknownInstructionsAreErrors() {
    // The interpreter refuses what it does not implement rather than guessing.
    PtxInterpreter ptx =
        new PtxInterpreter(
            ".visible .entry k(\n\t.param .u32 n\n)\n{\n\tbogus.op.f32 %f1, %f2;\n\tret;\n}\n");
    assertThrows(
        IllegalStateException.class,
        () -> ptx.launch(new int[] {1, 1, 1}, 1, new long[] {0}, List.of()));
  }
}
