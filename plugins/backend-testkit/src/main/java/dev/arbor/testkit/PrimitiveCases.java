package dev.arbor.testkit;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.Convolution;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Indexing;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Structural;
import dev.arbor.testkit.Tolerance.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The table of primitive cases the conformance suite runs: every core primitive on a fixed list of
 * awkward shapes (scalars, size-0 and size-1 axes, lengths just below and above vector widths, odd
 * sizes, blocks larger than a GEMM's cache blocks) in F32 and F64, with random data from a fixed
 * seed, each with the tolerance class of its primitive.
 */
public final class PrimitiveCases {
  private PrimitiveCases() {}

  /** One primitive application to check. */
  public record Case(
      String name, Primitive primitive, Params params, List<HostArray> inputs, Kind kind) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** Value ranges for random inputs. */
  enum Domain {
    ANY,
    POSITIVE,
    AWAY_FROM_ZERO,
    SMALL_INTEGERS,
    /** Integers only: the dtype's extremes, ±1, 0 and values over the whole range (wrap-around). */
    INTEGER_EXTREMES
  }

  static final int[][] SHAPES = {
    {},
    {0},
    {1},
    {7},
    {15},
    {16},
    {17},
    {33},
    {3, 5},
    {1, 31},
    {4, 0, 3},
    {2, 3, 17},
    {65, 3},
    {257},
    {1000},
    {5, 1, 9, 2}
  };

  static final DType[] FLOATS = {DType.F32, DType.F64};

  static final List<Primitive> COMPARISONS =
      List.of(
          Elementwise.EQ,
          Elementwise.NE,
          Elementwise.LT,
          Elementwise.LE,
          Elementwise.GT,
          Elementwise.GE);

  /** All cases, generated from {@code seed}. */
  public static List<Case> all(long seed) {
    Random r = new Random(seed);
    List<Case> cases = new ArrayList<>();
    unary(cases, r, Elementwise.NEG, Domain.ANY, Kind.EXACT);
    unary(cases, r, Elementwise.EXP, Domain.ANY, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.LOG, Domain.POSITIVE, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.TANH, Domain.ANY, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.SIN, Domain.ANY, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.COS, Domain.ANY, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.LOGISTIC, Domain.ANY, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.SQRT, Domain.POSITIVE, Kind.EXACT);
    unary(cases, r, Elementwise.RSQRT, Domain.POSITIVE, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.ABS, Domain.ANY, Kind.EXACT);
    unary(cases, r, Elementwise.EXPM1, Domain.ANY, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.LOG1P, Domain.POSITIVE, Kind.TRANSCENDENTAL);
    unary(cases, r, Elementwise.SIGN, Domain.SMALL_INTEGERS, Kind.EXACT); // zeros included
    for (Primitive p : List.of(Elementwise.FLOOR, Elementwise.CEIL, Elementwise.ROUND)) {
      unary(cases, r, p, Domain.ANY, Kind.EXACT);
      unary(cases, r, p, Domain.SMALL_INTEGERS, Kind.EXACT); // integers and exact halves
    }
    binary(cases, r, Elementwise.ADD, Domain.ANY, Kind.EXACT);
    binary(cases, r, Elementwise.SUB, Domain.ANY, Kind.EXACT);
    binary(cases, r, Elementwise.MUL, Domain.ANY, Kind.EXACT);
    binary(cases, r, Elementwise.DIV, Domain.AWAY_FROM_ZERO, Kind.EXACT);
    binary(cases, r, Elementwise.MAX, Domain.SMALL_INTEGERS, Kind.EXACT);
    binary(cases, r, Elementwise.MIN, Domain.SMALL_INTEGERS, Kind.EXACT);
    binary(cases, r, Elementwise.POW, Domain.POSITIVE, Kind.TRANSCENDENTAL);
    binary(cases, r, Elementwise.ATAN2, Domain.ANY, Kind.TRANSCENDENTAL);
    for (Primitive p : COMPARISONS) {
      binary(cases, r, p, Domain.SMALL_INTEGERS, Kind.EXACT);
      int[] s = {37};
      cases.add(
          new Case(
              p.name() + " i32" + Shape.of(s),
              p,
              Params.EMPTY,
              List.of(
                  random(r, s, DType.I32, Domain.SMALL_INTEGERS),
                  random(r, s, DType.I32, Domain.SMALL_INTEGERS)),
              Kind.EXACT));
    }
    // Integer arithmetic exercises a backend's dtype fallback path.
    binary(
        cases, r, Elementwise.ADD, DType.I32, new int[] {3, 19}, Domain.SMALL_INTEGERS, Kind.EXACT);
    binary(cases, r, Elementwise.MUL, DType.I64, new int[] {23}, Domain.SMALL_INTEGERS, Kind.EXACT);
    integers(cases, r);
    select(cases, r);
    convert(cases, r);
    broadcast(cases, r);
    transpose(cases, r);
    reshape(cases, r);
    reductions(cases, r, Reductions.REDUCE_SUM, Kind.ACCUMULATING);
    reductions(cases, r, Reductions.REDUCE_MAX, Kind.EXACT);
    reductions(cases, r, Reductions.REDUCE_MIN, Kind.EXACT);
    dots(cases, r);
    gathers(cases, r);
    slices(cases, r);
    convs(cases, r);
    WindowScanSortCases.add(cases, r);
    MathAndBitsCases.addTo(cases, seed);
    return cases;
  }

  /**
   * gather and scatter_add: plain takes, row lookups with odd row lengths, several index axes,
   * batch dims, empty rows and empty indices; indices run past both ends (clamped) and repeat
   * (scatter_add accumulates), in I32 and I64.
   */
  static void gathers(List<Case> cases, Random r) {
    int[][][] configs = {
      // x dims, idx dims, {axis, batch_dims}
      {{7}, {5}, {0, 0}},
      {{6, 33}, {9}, {0, 0}},
      {{3, 5, 17}, {2, 3}, {1, 0}},
      {{4, 6, 5}, {4, 3}, {1, 1}},
      {{2, 3, 4, 2}, {2, 3, 5}, {2, 2}},
      {{5, 0}, {3}, {0, 0}},
      {{2, 3}, {0}, {1, 0}},
    };
    for (int c = 0; c < configs.length; c++) {
      int[] xd = configs[c][0];
      int[] id = configs[c][1];
      int axis = configs[c][2][0];
      int nb = configs[c][2][1];
      DType it = c % 2 == 0 ? DType.I32 : DType.I64;
      long[] iv = new long[(int) Shape.of(id).size()];
      for (int k = 0; k < iv.length; k++) {
        iv[k] = r.nextInt(xd[axis] + 4) - 2; // out of range at both ends: clamped
      }
      HostArray idx = HostArray.ofLongs(new AbstractValue(Shape.of(id), it), iv);
      Params p = Params.of("axis", axis, "batch_dims", nb);
      // The updates have the shape gather returns (its shape rule says which).
      int[] ud =
          Indexing.GATHER
              .abstractEval(List.of(new AbstractValue(Shape.of(xd), DType.F32), idx.aval()), p)
              .get(0)
              .shape()
              .dims();
      String shapes = Shape.of(xd) + " idx " + it.shortName() + Shape.of(id) + " " + p;
      for (DType t : FLOATS) {
        HostArray x = random(r, xd, t, Domain.ANY);
        cases.add(
            new Case(
                "gather " + t.shortName() + shapes,
                Indexing.GATHER,
                p,
                List.of(x, idx),
                Kind.EXACT));
        cases.add(
            new Case(
                "scatter_add " + t.shortName() + shapes,
                Indexing.SCATTER_ADD,
                p,
                List.of(x, idx, random(r, ud, t, Domain.ANY)),
                Kind.EXACT));
      }
      cases.add(
          new Case(
              "gather i32" + shapes,
              Indexing.GATHER,
              p,
              List.of(random(r, xd, DType.I32, Domain.ANY), idx),
              Kind.EXACT));
    }
  }

  /** slice (unit and larger strides, empty results, every axis) and concatenate (every axis). */
  static void slices(List<Case> cases, Random r) {
    int[][][] slices = {
      // x dims, start, limit, strides
      {{17}, {3}, {16}, {1}},
      {{17}, {1}, {17}, {4}},
      {{5, 33}, {1, 2}, {4, 31}, {1, 1}},
      {{5, 33}, {0, 0}, {5, 33}, {2, 3}},
      {{4, 3, 9}, {1, 0, 2}, {3, 3, 9}, {1, 2, 2}},
      {{4, 6}, {2, 3}, {2, 6}, {1, 1}},
    };
    for (int[][] c : slices) {
      Params p = Params.of("start", c[1], "limit", c[2], "strides", c[3]);
      for (DType t : new DType[] {DType.F32, DType.F64, DType.I32}) {
        cases.add(
            new Case(
                "slice " + t.shortName() + Shape.of(c[0]) + " " + p,
                Indexing.SLICE,
                p,
                List.of(random(r, c[0], t, Domain.ANY)),
                Kind.EXACT));
      }
    }
    int[][] base = {{3, 4, 5}, {7}};
    for (int[] d : base) {
      for (int axis = 0; axis < d.length; axis++) {
        for (DType t : new DType[] {DType.F32, DType.F64, DType.BOOL}) {
          List<HostArray> parts = new ArrayList<>();
          for (int len : new int[] {2, 0, 3}) {
            int[] pd = d.clone();
            pd[axis] = len;
            parts.add(random(r, pd, t, Domain.ANY));
          }
          Params p = Params.of("axis", axis);
          cases.add(
              new Case(
                  "concatenate " + t.shortName() + Shape.of(d) + " " + p,
                  Indexing.CONCATENATE,
                  p,
                  parts,
                  Kind.EXACT));
        }
      }
    }
  }

  /**
   * Integer arithmetic and comparisons in I32 and I64 over values that wrap around (the extremes
   * times anything), on shapes with vector tails.
   */
  private static void integers(List<Case> cases, Random r) {
    List<Primitive> unary = List.of(Elementwise.NEG, Elementwise.ABS, Elementwise.SIGN);
    List<Primitive> binary =
        new ArrayList<>(
            List.of(
                Elementwise.ADD,
                Elementwise.SUB,
                Elementwise.MUL,
                Elementwise.MAX,
                Elementwise.MIN));
    binary.addAll(COMPARISONS);
    for (int[] s : new int[][] {{0}, {7}, {65}, {1000}}) {
      for (Primitive p : COMPARISONS) { // on bool bytes
        binary(cases, r, p, DType.BOOL, s, Domain.ANY, Kind.EXACT);
      }
    }
    for (DType t : new DType[] {DType.I32, DType.I64}) {
      for (int[] s : new int[][] {{0}, {7}, {17}, {33}, {2, 3, 17}, {1000}}) {
        for (Primitive p : unary) {
          cases.add(
              new Case(
                  label(p, t, s),
                  p,
                  Params.EMPTY,
                  List.of(random(r, s, t, Domain.INTEGER_EXTREMES)),
                  Kind.EXACT));
        }
        for (Primitive p : binary) {
          binary(cases, r, p, t, s, Domain.INTEGER_EXTREMES, Kind.EXACT);
        }
        // div and rem: Java's truncation, MIN / -1 wrapping to MIN; divisors never 0 (a zero
        // divisor is an error, tested per backend).
        for (Primitive p : List.of(Elementwise.DIV, Elementwise.REM)) {
          HostArray a = random(r, s, t, Domain.INTEGER_EXTREMES);
          long[] d = random(r, s, t, Domain.INTEGER_EXTREMES).longs();
          for (int i = 0; i < d.length; i++) {
            d[i] = d[i] == 0 ? -1 : d[i];
          }
          cases.add(
              new Case(
                  label(p, t, s),
                  p,
                  Params.EMPTY,
                  List.of(a, HostArray.ofLongs(a.aval(), d)),
                  Kind.EXACT));
        }
      }
    }
  }

  // ------------------------------------------------------------------ generators

  static HostArray random(Random r, int[] shape, DType t, Domain d) {
    AbstractValue aval = new AbstractValue(Shape.of(shape), t);
    int n = (int) aval.shape().size();
    if (!t.isFloating()) {
      long[] v = new long[n];
      for (int i = 0; i < n; i++) {
        v[i] =
            t == DType.BOOL
                ? r.nextInt(2)
                : d == Domain.INTEGER_EXTREMES ? integerExtreme(r, t) : r.nextInt(7) - 3;
      }
      return HostArray.ofLongs(aval, v);
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] =
          switch (d) {
            case ANY -> r.nextDouble() * 6 - 3;
            case POSITIVE -> 0.05 + r.nextDouble() * 4;
            case AWAY_FROM_ZERO -> (0.5 + r.nextDouble() * 3) * (r.nextBoolean() ? 1 : -1);
            case SMALL_INTEGERS -> (r.nextInt(9) - 4) * 0.5;
            case INTEGER_EXTREMES ->
                throw new IllegalArgumentException(
                    "INTEGER_EXTREMES is for integer dtypes, got " + t);
          };
    }
    return HostArray.ofDoubles(aval, v);
  }

  private static long integerExtreme(Random r, DType t) {
    long min = t == DType.I32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
    long max = t == DType.I32 ? Integer.MAX_VALUE : Long.MAX_VALUE;
    return switch (r.nextInt(8)) {
      case 0 -> min;
      case 1 -> max;
      case 2 -> min + 1;
      case 3 -> r.nextInt(3) - 1;
      case 4 -> r.nextInt(201) - 100;
      default -> t == DType.I32 ? r.nextInt() : r.nextLong();
    };
  }

  private static String label(Primitive p, DType t, int[] shape) {
    return p.name() + " " + t.shortName() + Arrays.toString(shape).replace(" ", "");
  }

  private static void unary(List<Case> cases, Random r, Primitive p, Domain d, Kind kind) {
    for (DType t : FLOATS) {
      for (int[] s : SHAPES) {
        cases.add(new Case(label(p, t, s), p, Params.EMPTY, List.of(random(r, s, t, d)), kind));
      }
    }
  }

  private static void binary(List<Case> cases, Random r, Primitive p, Domain d, Kind kind) {
    for (DType t : FLOATS) {
      for (int[] s : SHAPES) {
        binary(cases, r, p, t, s, d, kind);
      }
    }
  }

  private static void binary(
      List<Case> cases, Random r, Primitive p, DType t, int[] s, Domain d, Kind kind) {
    cases.add(
        new Case(
            label(p, t, s),
            p,
            Params.EMPTY,
            List.of(random(r, s, t, d), random(r, s, t, d)),
            kind));
  }

  private static void select(List<Case> cases, Random r) {
    for (DType t : DType.values()) {
      for (int[] s : new int[][] {{}, {0}, {17}, {3, 33}, {1000}}) {
        cases.add(
            new Case(
                label(Elementwise.SELECT, t, s),
                Elementwise.SELECT,
                Params.EMPTY,
                List.of(
                    random(r, s, DType.BOOL, Domain.ANY),
                    random(r, s, t, Domain.ANY),
                    random(r, s, t, Domain.ANY)),
                Kind.EXACT));
      }
    }
  }

  private static void convert(List<Case> cases, Random r) {
    for (DType from : DType.values()) {
      for (DType to : DType.values()) {
        int[] s = {2, 37};
        HostArray x = random(r, s, from, Domain.ANY);
        if (from.isFloating()) {
          // Values beyond int range and exact zeros exercise truncation and bool conversion.
          x.setDouble(0, 3.0e9);
          x.setDouble(1, -0.0);
          x.setDouble(2, -2.75);
        }
        cases.add(
            new Case(
                "convert " + from.shortName() + "->" + to.shortName(),
                Elementwise.CONVERT,
                Params.of("dtype", to),
                List.of(x),
                Kind.EXACT));
      }
    }
  }

  private static void broadcast(List<Case> cases, Random r) {
    int[][][] specs = {
      // operand shape, output shape, dims
      {{}, {4, 5}, {}},
      {{3}, {3, 17}, {0}},
      {{17}, {3, 17}, {1}},
      {{1}, {33}, {0}},
      {{3, 1}, {3, 16}, {0, 1}},
      {{1, 5}, {2, 4, 5}, {1, 2}},
      {{2, 1, 3}, {2, 7, 3, 2}, {0, 1, 2}},
      {{0}, {4, 0}, {1}},
      {{5}, {5, 0}, {0}},
      {{65}, {2, 65, 3}, {1}},
    };
    for (DType t : new DType[] {DType.F32, DType.F64, DType.I32, DType.BOOL}) {
      for (int[][] sp : specs) {
        cases.add(
            new Case(
                "broadcast_in_dim "
                    + t.shortName()
                    + Arrays.toString(sp[0]).replace(" ", "")
                    + "->"
                    + Arrays.toString(sp[1]).replace(" ", ""),
                Structural.BROADCAST_IN_DIM,
                Params.of("shape", sp[1], "dims", sp[2]),
                List.of(random(r, sp[0], t, Domain.ANY)),
                Kind.EXACT));
      }
    }
  }

  private static void transpose(List<Case> cases, Random r) {
    int[][][] specs = {
      {{3, 5}, {1, 0}},
      {{33, 17}, {1, 0}},
      {{2, 3, 4}, {2, 0, 1}},
      {{2, 3, 4}, {0, 2, 1}},
      {{1, 7, 1, 3}, {3, 1, 0, 2}},
      {{0, 3}, {1, 0}},
      {{4, 5, 6, 7}, {3, 2, 1, 0}},
    };
    for (DType t : new DType[] {DType.F32, DType.F64, DType.I64, DType.BOOL}) {
      for (int[][] sp : specs) {
        cases.add(
            new Case(
                "transpose "
                    + t.shortName()
                    + Arrays.toString(sp[0]).replace(" ", "")
                    + " perm "
                    + Arrays.toString(sp[1]).replace(" ", ""),
                Structural.TRANSPOSE,
                Params.of("perm", sp[1]),
                List.of(random(r, sp[0], t, Domain.ANY)),
                Kind.EXACT));
      }
    }
  }

  private static void reshape(List<Case> cases, Random r) {
    int[][][] specs = {
      {{3, 5}, {15}}, {{2, 3, 4}, {4, 6}}, {{0, 3}, {3, 0}}, {{}, {1, 1}}, {{17}, {17, 1}}
    };
    for (DType t : FLOATS) {
      for (int[][] sp : specs) {
        cases.add(
            new Case(
                "reshape "
                    + t.shortName()
                    + Arrays.toString(sp[0]).replace(" ", "")
                    + "->"
                    + Arrays.toString(sp[1]).replace(" ", ""),
                Structural.RESHAPE,
                Params.of("shape", sp[1]),
                List.of(random(r, sp[0], t, Domain.ANY)),
                Kind.EXACT));
      }
    }
  }

  private static void reductions(List<Case> cases, Random r, Primitive p, Kind kind) {
    int[][][] specs = {
      {{}, {}},
      {{1000}, {0}},
      {{17}, {0}},
      {{0}, {0}},
      {{3, 0}, {1}},
      {{3, 17}, {1}},
      {{3, 17}, {0}},
      {{33, 65}, {0, 1}},
      {{2, 3, 17}, {1}},
      {{2, 3, 17}, {0, 2}},
      {{4, 1, 5, 3}, {1, 2}},
      {{5, 7}, {}},
      {{2, 40000}, {1}},
      {{70000}, {0}},
    };
    for (DType t : FLOATS) {
      for (int[][] sp : specs) {
        cases.add(
            new Case(
                p.name()
                    + " "
                    + t.shortName()
                    + Arrays.toString(sp[0]).replace(" ", "")
                    + " axes "
                    + Arrays.toString(sp[1]).replace(" ", ""),
                p,
                Params.of("axes", sp[1]),
                List.of(random(r, sp[0], t, Domain.ANY)),
                kind));
      }
    }
  }

  private static void dots(List<Case> cases, Random r) {
    List<Object[]> specs = new ArrayList<>();
    int[][] mkn = {
      {1, 1, 1},
      {3, 5, 7},
      {17, 33, 9},
      {8, 32, 32},
      {9, 33, 65},
      {0, 3, 4},
      {3, 0, 4},
      {67, 129, 45},
      {130, 300, 70},
      {1, 64, 200}
    };
    for (int[] s : mkn) {
      int m = s[0];
      int k = s[1];
      int n = s[2];
      specs.add(
          new Object[] {
            new int[] {m, k},
            new int[] {k, n},
            dims(new int[] {1}, new int[] {0}, new int[0], new int[0])
          });
    }
    // Transposed operands: lhs [k, m] contracted on axis 0, rhs [n, k] on axis 1.
    specs.add(
        new Object[] {
          new int[] {33, 17},
          new int[] {9, 33},
          dims(new int[] {0}, new int[] {1}, new int[0], new int[0])
        });
    specs.add(
        new Object[] {
          new int[] {260, 40},
          new int[] {260, 35},
          dims(new int[] {0}, new int[] {0}, new int[0], new int[0])
        });
    // Batch dims leading and in the middle.
    specs.add(
        new Object[] {
          new int[] {3, 5, 7},
          new int[] {3, 7, 4},
          dims(new int[] {2}, new int[] {1}, new int[] {0}, new int[] {0})
        });
    specs.add(
        new Object[] {
          new int[] {5, 3, 7},
          new int[] {7, 3, 4},
          dims(new int[] {2}, new int[] {0}, new int[] {1}, new int[] {1})
        });
    specs.add(
        new Object[] {
          new int[] {64, 9, 17},
          new int[] {64, 17, 33},
          dims(new int[] {2}, new int[] {1}, new int[] {0}, new int[] {0})
        });
    // Two contracting axes, in memory order and reversed (forces a relayout).
    specs.add(
        new Object[] {
          new int[] {6, 4, 5},
          new int[] {4, 5, 3},
          dims(new int[] {1, 2}, new int[] {0, 1}, new int[0], new int[0])
        });
    specs.add(
        new Object[] {
          new int[] {6, 4, 5},
          new int[] {5, 4, 3},
          dims(new int[] {2, 1}, new int[] {0, 1}, new int[0], new int[0])
        });
    // Matrix-vector and outer product.
    specs.add(
        new Object[] {
          new int[] {19, 23},
          new int[] {23},
          dims(new int[] {1}, new int[] {0}, new int[0], new int[0])
        });
    specs.add(
        new Object[] {
          new int[] {7}, new int[] {9}, dims(new int[0], new int[0], new int[0], new int[0])
        });
    // Short contractions (per-example weight gradients under vmap: batched outer products), with
    // row tails, a transposed lhs, and a transposed rhs.
    specs.add(
        new Object[] {
          new int[] {6, 1, 13},
          new int[] {6, 1, 37},
          dims(new int[] {1}, new int[] {1}, new int[] {0}, new int[] {0})
        });
    specs.add(
        new Object[] {
          new int[] {4, 3, 11},
          new int[] {4, 3, 21},
          dims(new int[] {1}, new int[] {1}, new int[] {0}, new int[] {0})
        });
    specs.add(
        new Object[] {
          new int[] {5, 2},
          new int[] {9, 2},
          dims(new int[] {1}, new int[] {1}, new int[0], new int[0])
        });
    // Floats, then integer and bool contractions over the same dimension numbers: wrapping I32/I64
    // sums of products of extremes, bool results "nonzero".
    for (DType t : new DType[] {DType.F32, DType.F64, DType.I32, DType.I64, DType.BOOL}) {
      Domain d = t.isFloating() ? Domain.ANY : Domain.INTEGER_EXTREMES;
      for (Object[] sp : specs) {
        int[] xs = (int[]) sp[0];
        int[] ys = (int[]) sp[1];
        cases.add(
            new Case(
                "dot_general "
                    + t.shortName()
                    + Arrays.toString(xs).replace(" ", "")
                    + "x"
                    + Arrays.toString(ys).replace(" ", "")
                    + " "
                    + sp[2],
                LinearAlgebra.DOT_GENERAL,
                (Params) sp[2],
                List.of(random(r, xs, t, d), random(r, ys, t, d)),
                t.isFloating() ? Kind.ACCUMULATING : Kind.EXACT));
      }
    }
  }

  /**
   * conv_general specs: {input NHWC, kernel HWIO, strides, padding {top, bottom, left, right}}.
   * Forward convolutions (odd sizes, strides 1 and 2, VALID, SAME, asymmetric and negative padding,
   * batch 1 and 3, channels 1/3/8), then the input- and kernel-gradient convolutions the transpose
   * rules bind for some of them ({@link #convTransposeSpecs}).
   */
  public static List<int[][]> convSpecs() {
    List<int[][]> f = new ArrayList<>();
    f.add(conv(new int[] {1, 7, 7, 1}, new int[] {3, 3, 1, 8}, 1, 1, 0, 0, 0, 0));
    f.add(conv(new int[] {3, 9, 11, 3}, new int[] {3, 3, 3, 8}, 1, 1, 1, 1, 1, 1));
    int[] same = Convolution.samePadding(9, 11, 3, 3, 2, 2);
    f.add(
        conv(
            new int[] {3, 9, 11, 3},
            new int[] {3, 3, 3, 8},
            2,
            2,
            same[0],
            same[1],
            same[2],
            same[3]));
    f.add(conv(new int[] {1, 13, 13, 8}, new int[] {5, 3, 8, 3}, 2, 2, 2, 1, 0, 3));
    f.add(conv(new int[] {3, 8, 9, 8}, new int[] {2, 2, 8, 1}, 2, 1, 0, 0, 0, 0));
    f.add(conv(new int[] {1, 9, 9, 3}, new int[] {3, 3, 3, 3}, 1, 1, -1, 2, -2, 0));
    f.add(conv(new int[] {3, 5, 7, 8}, new int[] {1, 1, 8, 3}, 1, 1, 0, 0, 0, 0));
    f.add(conv(new int[] {1, 5, 7, 3}, new int[] {5, 7, 3, 1}, 1, 1, 0, 0, 0, 0));
    List<int[][]> all = new ArrayList<>(f);
    for (int[][] sp : List.of(f.get(2), f.get(3), f.get(5))) {
      all.addAll(convTransposeSpecs(sp));
    }
    return all;
  }

  /**
   * The two convolutions {@code conv_general}'s transpose rules bind for the forward spec {@code
   * sp}: the input gradient (stride-dilated cotangent with the flipped, I/O-swapped kernel, stride
   * 1) and the kernel gradient (input as [C, H, W, N] with the dilated cotangent as [DH, DW, N, O],
   * stride 1, padding often negative). Mirrors {@code Convolution.transposeConv}.
   */
  public static List<int[][]> convTransposeSpecs(int[][] sp) {
    int[] x = sp[0];
    int[] k = sp[1];
    int[] s = sp[2];
    int[] pad = sp[3];
    int n = x[0];
    int h = x[1];
    int w = x[2];
    int c = x[3];
    int kh = k[0];
    int kw = k[1];
    int o = k[3];
    int oh = (h + pad[0] + pad[1] - kh) / s[0] + 1;
    int ow = (w + pad[2] + pad[3] - kw) / s[1] + 1;
    int dh = (oh - 1) * s[0] + 1;
    int dw = (ow - 1) * s[1] + 1;
    int top = kh - 1 - pad[0];
    int left = kw - 1 - pad[2];
    int[][] dx = {
      {n, dh, dw, o},
      {kh, kw, o, c},
      {1, 1},
      {top, h + kh - 1 - dh - top, left, w + kw - 1 - dw - left}
    };
    int[][] dk = {
      {c, h, w, n},
      {dh, dw, n, o},
      {1, 1},
      {pad[0], kh + dh - 1 - h - pad[0], pad[2], kw + dw - 1 - w - pad[2]}
    };
    return List.of(dx, dk);
  }

  private static int[][] conv(int[] x, int[] k, int sh, int sw, int t, int b, int l, int rr) {
    return new int[][] {x, k, {sh, sw}, {t, b, l, rr}};
  }

  /** The params of a {@link #convSpecs} entry. */
  public static Params convParams(int[][] sp) {
    return Params.of("strides", sp[2].clone(), "padding", sp[3].clone());
  }

  private static void convs(List<Case> cases, Random r) {
    for (DType t : FLOATS) {
      for (int[][] sp : convSpecs()) {
        cases.add(
            new Case(
                "conv_general "
                    + t.shortName()
                    + Arrays.toString(sp[0]).replace(" ", "")
                    + "x"
                    + Arrays.toString(sp[1]).replace(" ", "")
                    + " strides="
                    + Arrays.toString(sp[2]).replace(" ", "")
                    + " padding="
                    + Arrays.toString(sp[3]).replace(" ", ""),
                Convolution.CONV_GENERAL,
                convParams(sp),
                List.of(random(r, sp[0], t, Domain.ANY), random(r, sp[1], t, Domain.ANY)),
                Kind.ACCUMULATING));
      }
    }
  }

  private static Params dims(int[] lc, int[] rc, int[] lb, int[] rb) {
    return Params.of("lhs_contract", lc, "rhs_contract", rc, "lhs_batch", lb, "rhs_batch", rb);
  }
}
