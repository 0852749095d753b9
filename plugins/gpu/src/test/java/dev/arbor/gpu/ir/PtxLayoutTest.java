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
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Indexing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The PTX of the layout primitives ({@code slice}, {@code pad}, {@code concatenate}, {@code iota},
 * {@code dynamic_slice}, {@code dynamic_update_slice}) executed by {@link PtxInterpreter}: each
 * case is lowered by {@link Lowering}, emitted by {@link PtxEmitter}, run on the interpreter and
 * compared element for element (bits) with the primitive's reference kernel, in every dtype the
 * reference accepts, with empty axes, strided slices, interior padding and start indices past both
 * ends (clamped) in I32 and I64. The interpreter also fails any out-of-range access that a missing
 * guard would let through.
 */
class PtxLayoutTest {
  private static final List<DType> ALL =
      List.of(DType.F32, DType.F64, DType.I32, DType.I64, DType.BOOL);

  record Case(String name, Primitive p, Params params, List<HostArray> in) {
    @Override
    public String toString() {
      return name;
    }
  }

  static HostArray random(Random r, DType t, int... dims) {
    AbstractValue a = new AbstractValue(Shape.of(dims), t);
    int n = (int) a.shape().size();
    if (t.isFloating()) {
      double[] d = new double[n];
      for (int i = 0; i < n; i++) {
        d[i] = t == DType.F32 ? (float) r.nextGaussian() : r.nextGaussian();
      }
      return HostArray.ofDoubles(a, d);
    }
    long[] l = new long[n];
    for (int i = 0; i < n; i++) {
      l[i] =
          switch (t) {
            case BOOL -> r.nextInt(2);
            case I32 -> r.nextInt();
            default -> r.nextLong();
          };
    }
    return HostArray.ofLongs(a, l);
  }

  static HostArray scalar(DType t, long v) {
    return HostArray.ofLongs(new AbstractValue(Shape.of(), t), new long[] {v});
  }

  static List<Case> cases() {
    Random r = new Random(42);
    List<Case> c = new ArrayList<>();
    int[][][] slices = {
      // x dims, start, limit, strides
      {{5, 7}, {1, 2}, {4, 7}, {1, 2}},
      {{17}, {3}, {16}, {4}},
      {{4, 3, 9}, {1, 0, 2}, {3, 3, 9}, {1, 2, 3}},
      {{4, 6}, {2, 3}, {2, 6}, {1, 1}},
    };
    int[][][] pads = {
      // x dims, low, high, interior
      {{7}, {2}, {3}, {0}},
      {{3, 5}, {1, 0}, {2, 3}, {0, 1}},
      {{2, 3, 4}, {0, 1, 1}, {1, 0, 2}, {2, 0, 1}},
      {{0}, {2}, {1}, {3}},
      {{4, 6}, {0, 0}, {0, 0}, {0, 0}},
      {{}, {}, {}, {}},
    };
    int[][][] windows = {
      // x dims, window, starts (clamped)
      {{17}, {5}, {3}},
      {{17}, {5}, {15}},
      {{17}, {5}, {-4}},
      {{4, 3, 9}, {2, 1, 4}, {-1, 2, 7}},
      {{3, 0, 4}, {2, 0, 3}, {1, 0, 1}},
      {{2, 3}, {2, 3}, {1, 5}},
      {{}, {}, {}},
    };
    int k = 0;
    for (DType t : ALL) {
      for (int[][] s : slices) {
        Params p = Params.of("start", s[1], "limit", s[2], "strides", s[3]);
        c.add(
            new Case(
                "slice " + t.shortName() + Shape.of(s[0]) + " " + p,
                Indexing.SLICE,
                p,
                List.of(random(r, t, s[0]))));
      }
      for (int[][] s : pads) {
        Params p = Params.of("low", s[1], "high", s[2], "interior", s[3]);
        c.add(
            new Case(
                "pad " + t.shortName() + Shape.of(s[0]) + " " + p,
                Indexing.PAD,
                p,
                List.of(random(r, t, s[0]), random(r, t))));
      }
      int[][] bases = {{3, 4, 5}, {7}};
      for (int[] d : bases) {
        for (int axis = 0; axis < d.length; axis++) {
          List<HostArray> parts = new ArrayList<>();
          for (int len : new int[] {2, 0, 3, 1}) {
            int[] pd = d.clone();
            pd[axis] = len;
            parts.add(random(r, t, pd));
          }
          Params p = Params.of("axis", axis);
          c.add(
              new Case(
                  "concatenate " + t.shortName() + Shape.of(d) + " " + p,
                  Indexing.CONCATENATE,
                  p,
                  parts));
        }
      }
      for (int[][] w : windows) {
        DType it = k++ % 2 == 0 ? DType.I32 : DType.I64;
        List<HostArray> starts = new ArrayList<>();
        for (int s : w[2]) {
          starts.add(scalar(it, it == DType.I64 && s > 10 ? s + (1L << 40) : s));
        }
        HostArray x = random(r, t, w[0]);
        List<HostArray> in = new ArrayList<>(List.of(x));
        in.addAll(starts);
        String where = t.shortName() + Shape.of(w[0]) + " at " + it.shortName() + " " + starts;
        c.add(
            new Case(
                "dynamic_slice " + where + " sizes " + Shape.of(w[1]),
                Indexing.DYNAMIC_SLICE,
                Params.of("sizes", w[1]),
                in));
        List<HostArray> upd = new ArrayList<>(List.of(x, random(r, t, w[1])));
        upd.addAll(starts);
        c.add(
            new Case(
                "dynamic_update_slice " + where + " update " + Shape.of(w[1]),
                Indexing.DYNAMIC_UPDATE_SLICE,
                Params.EMPTY,
                upd));
      }
      if (t != DType.BOOL) {
        int[][][] iotas = {{{3, 4}, {1}}, {{5}, {0}}, {{2, 3, 4}, {1}}, {{0, 3}, {0}}};
        for (int[][] s : iotas) {
          Params p = Params.of("dtype", t, "shape", s[0], "dimension", s[1][0]);
          c.add(
              new Case(
                  "iota " + t.shortName() + Shape.of(s[0]) + " dimension " + s[1][0],
                  Generators.IOTA,
                  p,
                  List.of()));
        }
      }
    }
    return c;
  }

  @TestFactory
  Stream<DynamicTest> ptxMatchesTheReference() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c, null)));
  }

  @Test
  void casesCoverEveryLayoutPrimitiveWithoutTheFallback() {
    List<String> names = cases().stream().map(c -> c.p().name()).distinct().toList();
    assertEquals(
        List.of("slice", "pad", "concatenate", "dynamic_slice", "dynamic_update_slice", "iota"),
        names);
    for (Case c : cases()) {
      assertTrue(Lowering.isLoopPrimitive(c.p()), c.name());
    }
  }

  @Test
  void aWrongOffsetFails() {
    // The check can fail: the slice's base offset (1 * 7 + 2 = 9) off by one.
    Case c = cases().get(0);
    assertTrue(c.name().startsWith("slice f32[5,7]"), c.name());
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> check(c, ptx -> replaceOnce(ptx, "mov.b32 (%r\\d+), 9;", "mov.b32 $1, 8;")));
    assertTrue(e.getMessage().contains("element"), e.getMessage());
  }

  @Test
  void aMissingGuardFails() {
    // Without its guard, a pad kernel's load reads outside the operand for padding points.
    Case c =
        cases().stream().filter(x -> x.name().startsWith("pad f32[7]")).findFirst().orElseThrow();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> check(c, ptx -> replaceOnce(ptx, "@%p\\d+ (ld\\.global)", "$1")));
    assertTrue(e.getMessage().startsWith("global access out of bounds"), e.getMessage());
  }

  private static String replaceOnce(String text, String regex, String replacement) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), "no " + regex + " in\n" + text);
    return m.replaceFirst(replacement);
  }

  /**
   * Lowers, emits (then {@code edit}s, if given) and runs {@code c}; compares with the reference.
   */
  static void check(Case c, java.util.function.UnaryOperator<String> edit) {
    List<AbstractValue> in = avals(c);
    List<AbstractValue> out = c.p().abstractEval(in, c.params());
    LoopKernel k = kernel(c);
    String ptx = PtxEmitter.emit(k);
    if (edit != null) {
      ptx = edit.apply(ptx);
    }
    List<HostArray> want = c.p().referenceKernel().apply(c.in(), c.params(), out);
    HostArray got = run(ptx, k, c.in(), out.get(0));
    HostArray w = want.get(0);
    assertEquals(w.size(), got.size());
    for (int i = 0; i < w.size(); i++) {
      boolean same =
          w.dtype().isFloating()
              ? Double.doubleToRawLongBits(w.getDouble(i))
                  == Double.doubleToRawLongBits(got.getDouble(i))
              : w.getLong(i) == got.getLong(i);
      if (!same) {
        throw new AssertionError(
            c.name()
                + ": element "
                + i
                + " is "
                + (w.dtype().isFloating() ? got.getDouble(i) : got.getLong(i))
                + ", the reference has "
                + (w.dtype().isFloating() ? w.getDouble(i) : w.getLong(i)));
      }
    }
  }

  static List<AbstractValue> avals(Case c) {
    List<AbstractValue> in = new ArrayList<>();
    for (HostArray h : c.in()) {
      in.add(h.aval());
    }
    return in;
  }

  /** The loop kernel of case {@code c}, as the backends lower it. */
  static LoopKernel kernel(Case c) {
    List<AbstractValue> in = avals(c);
    List<AbstractValue> out = c.p().abstractEval(in, c.params());
    String name = "arbor_" + c.p().name() + "_" + out.get(0).dtype().shortName();
    return Lowering.loop(name, c.p(), c.params(), in, out);
  }

  /** Runs a loop kernel's PTX as the backend launches it; returns its (only) output. */
  static HostArray run(String ptx, LoopKernel k, List<HostArray> in, AbstractValue out) {
    List<PtxInterpreter.Global> globals = new ArrayList<>();
    List<Long> args = new ArrayList<>();
    for (HostArray h : in) {
      PtxInterpreter.Global g = new PtxInterpreter.Global((globals.size() + 1L) << 32, bytes(h));
      globals.add(g);
      args.add(g.address());
    }
    int n = (int) out.shape().size();
    ByteBuffer result =
        ByteBuffer.allocate(n * out.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < result.capacity(); i++) {
      result.put(i, (byte) 0x5A); // unwritten elements show
    }
    PtxInterpreter.Global o = new PtxInterpreter.Global((globals.size() + 1L) << 32, result);
    globals.add(o);
    args.add(o.address());
    args.add((long) k.workItems());
    if (k.workItems() > 0) {
      int block = PtxEmitter.BLOCK;
      int groups = (k.launchItems() + block - 1) / block;
      new PtxInterpreter(ptx)
          .launch(
              new int[] {groups, 1, 1},
              block,
              args.stream().mapToLong(Long::longValue).toArray(),
              globals);
    }
    return host(result, out);
  }

  static ByteBuffer bytes(HostArray h) {
    int size = h.dtype().byteSize();
    ByteBuffer b = ByteBuffer.allocate(h.size() * size).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < h.size(); i++) {
      switch (h.dtype()) {
        case F32 -> b.putFloat(i * size, (float) h.getDouble(i));
        case F64 -> b.putDouble(i * size, h.getDouble(i));
        case I32 -> b.putInt(i * size, (int) h.getLong(i));
        case I64 -> b.putLong(i * size, h.getLong(i));
        case BOOL -> b.put(i, (byte) h.getLong(i));
      }
    }
    return b;
  }

  static HostArray host(ByteBuffer b, AbstractValue a) {
    int n = (int) a.shape().size();
    int size = a.dtype().byteSize();
    if (a.dtype().isFloating()) {
      double[] d = new double[n];
      for (int i = 0; i < n; i++) {
        d[i] = a.dtype() == DType.F32 ? b.getFloat(i * size) : b.getDouble(i * size);
      }
      return HostArray.ofDoubles(a, d);
    }
    long[] l = new long[n];
    for (int i = 0; i < n; i++) {
      l[i] =
          switch (a.dtype()) {
            case I32 -> b.getInt(i * size);
            case I64 -> b.getLong(i * size);
            default -> b.get(i);
          };
    }
    return HostArray.ofLongs(a, l);
  }
}
