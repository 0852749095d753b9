package dev.arbor.testkit;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Threefry;
import dev.arbor.testkit.PrimitiveCases.Case;
import dev.arbor.testkit.Tolerance.Kind;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Cases of {@link PrimitiveCases} for rem, erf_inv, the bitwise ops and shifts, reduce_prod
 * (floats, integers and bool), argmax/argmin, iota and threefry2x32: every dtype each primitive
 * takes, the shared awkward shapes (size 0 and 1, odd lengths, vector tails), and the special
 * values of each (zeros of both signs, infinities, NaN, quotients beyond the fast path for rem; ±1
 * and |x| &gt; 1 for erf_inv; shift counts of the bit width and beyond, negative; ties and NaNs for
 * argmax/argmin). Drawn from their own random stream so the rest of the table keeps its data.
 */
final class MathAndBitsCases {
  private MathAndBitsCases() {}

  static final DType[] INTS = {DType.I32, DType.I64, DType.BOOL};

  static void addTo(List<Case> cases, long seed) {
    Random r = new Random(seed * 31 + 17);
    rem(cases, r);
    erfInv(cases, r);
    bitwise(cases, r);
    prod(cases, r);
    intProd(cases, r);
    argExtrema(cases, r);
    iota(cases);
    threefry(cases, r);
    intSumMaxMin(cases, r);
  }

  private static String label(Primitive p, DType t, int[] shape) {
    return p.name() + " " + t.shortName() + Arrays.toString(shape).replace(" ", "");
  }

  private static HostArray doubles(int[] shape, DType t, double[] v) {
    return HostArray.ofDoubles(new AbstractValue(Shape.of(shape), t), v);
  }

  private static HostArray longs(int[] shape, DType t, long[] v) {
    return HostArray.ofLongs(new AbstractValue(Shape.of(shape), t), v);
  }

  private static int size(int[] shape) {
    return (int) Shape.of(shape).size();
  }

  static void rem(List<Case> cases, Random r) {
    for (DType t : PrimitiveCases.FLOATS) {
      for (int[] s : PrimitiveCases.SHAPES) {
        int n = size(s);
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
          x[i] = (r.nextDouble() * 20 - 10) * (r.nextInt(8) == 0 ? 1e6 : 1);
          y[i] = (0.1 + r.nextDouble() * 3) * (r.nextBoolean() ? 1 : -1);
          if (r.nextInt(6) == 0) {
            x[i] = y[i] * (r.nextInt(9) - 4); // exact multiples: zero results of x's sign
          }
        }
        cases.add(
            new Case(
                label(Elementwise.REM, t, s),
                Elementwise.REM,
                Params.EMPTY,
                List.of(doubles(s, t, x), doubles(s, t, y)),
                Kind.EXACT));
      }
      double inf = Double.POSITIVE_INFINITY;
      double tiny = t == DType.F32 ? 1e-40 : 1e-310; // subnormal
      double[] x = {
        0.0,
        -0.0,
        5.5,
        -5.5,
        1e30,
        -1e30,
        7,
        inf,
        -inf,
        Double.NaN,
        3,
        3,
        -3,
        1e-30,
        6,
        -6,
        2.5,
        -2.5,
        tiny,
        1,
        4.75,
        -0.0,
        1e20,
        0.0,
        9.0
      };
      double[] y = {
        3.0,
        3.0,
        0.0,
        -0.0,
        3.0,
        7.0,
        inf,
        2,
        2,
        2,
        Double.NaN,
        -inf,
        inf,
        1e-30,
        3,
        3,
        -2.5,
        2.5,
        tiny * 3,
        tiny,
        0.25,
        1e-30,
        -1e-20,
        0.0,
        1.0 / 3
      };
      int[] s = {x.length};
      cases.add(
          new Case(
              "rem " + t.shortName() + " special values",
              Elementwise.REM,
              Params.EMPTY,
              List.of(doubles(s, t, x), doubles(s, t, y)),
              Kind.EXACT));
    }
  }

  static void erfInv(List<Case> cases, Random r) {
    for (DType t : PrimitiveCases.FLOATS) {
      for (int[] s : PrimitiveCases.SHAPES) {
        int n = size(s);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
          // Central values and, one in four, values within 1e-2..1e-7 of ±1 (the tails).
          x[i] =
              r.nextInt(4) == 0
                  ? (1 - Math.pow(10, -2 - 5 * r.nextDouble())) * (r.nextBoolean() ? 1 : -1)
                  : r.nextDouble() * 2 - 1;
        }
        cases.add(
            new Case(
                label(Elementwise.ERF_INV, t, s),
                Elementwise.ERF_INV,
                Params.EMPTY,
                List.of(doubles(s, t, x)),
                Kind.TRANSCENDENTAL));
      }
      double[] x = {
        1,
        -1,
        0.0,
        -0.0,
        1.5,
        -1.5,
        Double.NaN,
        0.5,
        -0.999999,
        0.9999999,
        1e-30,
        0.99,
        -0.95,
        Double.POSITIVE_INFINITY,
        1e-8
      };
      cases.add(
          new Case(
              "erf_inv " + t.shortName() + " special values",
              Elementwise.ERF_INV,
              Params.EMPTY,
              List.of(doubles(new int[] {x.length}, t, x)),
              Kind.TRANSCENDENTAL));
    }
  }

  private static long[] randomBits(Random r, DType t, int n, boolean small) {
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] =
          switch (t) {
            case BOOL -> r.nextInt(2);
            case I32 -> small ? r.nextInt(7) - 3 : r.nextInt();
            default -> small ? r.nextInt(7) - 3 : r.nextLong();
          };
    }
    return v;
  }

  static void bitwise(List<Case> cases, Random r) {
    int[][] shapes = {{}, {0}, {1}, {7}, {17}, {65}, {3, 33}, {1000}};
    for (DType t : INTS) {
      for (int[] s : shapes) {
        int n = size(s);
        for (Primitive p : List.of(Elementwise.AND, Elementwise.OR, Elementwise.XOR)) {
          cases.add(
              new Case(
                  label(p, t, s),
                  p,
                  Params.EMPTY,
                  List.of(
                      longs(s, t, randomBits(r, t, n, false)),
                      longs(s, t, randomBits(r, t, n, false))),
                  Kind.EXACT));
        }
        cases.add(
            new Case(
                label(Elementwise.NOT, t, s),
                Elementwise.NOT,
                Params.EMPTY,
                List.of(longs(s, t, randomBits(r, t, n, false))),
                Kind.EXACT));
        if (t == DType.BOOL) {
          continue;
        }
        int bits = t == DType.I32 ? 32 : 64;
        long[] counts = new long[n];
        for (int i = 0; i < n; i++) {
          // Mostly in range, with the width, beyond it and negative counts mixed in.
          counts[i] =
              switch (r.nextInt(6)) {
                case 0 -> bits + r.nextInt(3) - 1; // width - 1, width, width + 1
                case 1 -> -1 - r.nextInt(40);
                case 2 -> bits + r.nextInt(100);
                default -> r.nextInt(bits);
              };
        }
        for (Primitive p : List.of(Elementwise.SHIFT_LEFT, Elementwise.SHIFT_RIGHT_LOGICAL)) {
          cases.add(
              new Case(
                  label(p, t, s),
                  p,
                  Params.EMPTY,
                  List.of(longs(s, t, randomBits(r, t, n, false)), longs(s, t, counts.clone())),
                  Kind.EXACT));
        }
      }
    }
  }

  static final int[][][] REDUCE_SPECS = {
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

  static void prod(List<Case> cases, Random r) {
    for (DType t : PrimitiveCases.FLOATS) {
      for (int[][] sp : REDUCE_SPECS) {
        int n = size(sp[0]);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
          // Near ±1 so that long products neither overflow nor vanish at once; a few zeros.
          x[i] =
              r.nextInt(500) == 0 ? 0 : (0.9 + r.nextDouble() * 0.2) * (r.nextBoolean() ? 1 : -1);
        }
        cases.add(
            new Case(
                "reduce_prod "
                    + t.shortName()
                    + Arrays.toString(sp[0]).replace(" ", "")
                    + " axes "
                    + Arrays.toString(sp[1]).replace(" ", ""),
                Reductions.REDUCE_PROD,
                Params.of("axes", sp[1]),
                List.of(doubles(sp[0], t, x)),
                Kind.ACCUMULATING));
      }
    }
  }

  /** Integer and bool products wrap (I32 to 32 bits) and are exact: small factors, long runs. */
  static void intProd(List<Case> cases, Random r) {
    for (DType t : INTS) {
      for (int[][] sp : REDUCE_SPECS) {
        int n = size(sp[0]);
        long[] x = new long[n];
        for (int i = 0; i < n; i++) {
          // Mostly ±1, some ±2 and ±3 (products of long runs overflow and wrap), rare zeros.
          int k = r.nextInt(100);
          long v = k < 2 ? 0 : k < 80 ? 1 : k < 95 ? 2 : 3;
          x[i] = t == DType.BOOL ? (k < 5 ? 0 : 1) : r.nextBoolean() ? v : -v;
        }
        cases.add(
            new Case(
                "reduce_prod "
                    + t.shortName()
                    + Arrays.toString(sp[0]).replace(" ", "")
                    + " axes "
                    + Arrays.toString(sp[1]).replace(" ", ""),
                Reductions.REDUCE_PROD,
                Params.of("axes", sp[1]),
                List.of(longs(sp[0], t, x)),
                Kind.EXACT));
      }
    }
  }

  /**
   * Integer and bool sums (wrapping for I32 and I64; a bool sum counts into I32), maxima and
   * minima, over values that include the dtype's extremes, on the same shapes and axes as the
   * products.
   */
  static void intSumMaxMin(List<Case> cases, Random r) {
    for (Primitive p :
        List.of(Reductions.REDUCE_SUM, Reductions.REDUCE_MAX, Reductions.REDUCE_MIN)) {
      for (DType t : INTS) {
        for (int[][] sp : REDUCE_SPECS) {
          int n = size(sp[0]);
          long[] x = new long[n];
          long min = t == DType.I32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
          long max = t == DType.I32 ? Integer.MAX_VALUE : Long.MAX_VALUE;
          for (int i = 0; i < n; i++) {
            int k = r.nextInt(10);
            x[i] =
                t == DType.BOOL
                    ? r.nextInt(2)
                    : k == 0 ? min : k == 1 ? max : k == 2 ? r.nextLong() : r.nextInt(201) - 100;
            if (t == DType.I32) {
              x[i] = (int) x[i];
            }
          }
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
                  List.of(longs(sp[0], t, x)),
                  Kind.EXACT));
        }
      }
    }
  }

  static void argExtrema(List<Case> cases, Random r) {
    int[][][] specs = {
      // shape, {axis}
      {{1}, {0}},
      {{7}, {0}},
      {{33}, {0}},
      {{1000}, {0}},
      {{3, 5}, {0}},
      {{3, 5}, {1}},
      {{4, 17}, {1}},
      {{17, 4}, {0}},
      {{2, 3, 17}, {1}},
      {{2, 33, 3}, {2}},
      {{5, 1, 9}, {1}},
      {{0, 4}, {1}},
      {{4, 0, 3}, {2}},
      {{2, 19, 40}, {1}},
    };
    DType[] types = {DType.F32, DType.F64, DType.I32, DType.I64};
    for (Primitive p : List.of(Reductions.ARGMAX, Reductions.ARGMIN)) {
      for (DType t : types) {
        for (int c = 0; c < specs.length; c++) {
          int[] s = specs[c][0];
          int axis = specs[c][1][0];
          int n = size(s);
          // Small integers: many ties (the first index must win); -0.0 next to 0.0; in one
          // variant a few NaNs (the first NaN wins) and infinities.
          boolean nans = t.isFloating() && c % 2 == 1;
          HostArray x;
          if (t.isFloating()) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
              v[i] = (r.nextInt(9) - 4) * 0.5;
              if (v[i] == 0 && r.nextBoolean()) {
                v[i] = -0.0;
              }
              if (nans && r.nextInt(12) == 0) {
                v[i] = r.nextBoolean() ? Double.NaN : Double.NEGATIVE_INFINITY;
              }
            }
            x = doubles(s, t, v);
          } else {
            x = longs(s, t, randomBits(r, t, n, true));
          }
          DType index = c % 3 == 0 ? DType.I64 : DType.I32;
          Params params = Params.of("axis", axis, "index_dtype", index);
          cases.add(
              new Case(
                  label(p, t, s) + " axis " + axis + " -> " + index.shortName(),
                  p,
                  params,
                  List.of(x),
                  Kind.EXACT));
        }
      }
    }
  }

  static void iota(List<Case> cases) {
    int[][][] specs = {
      {{5}, {0}},
      {{1}, {0}},
      {{0}, {0}},
      {{3, 0}, {0}},
      {{3, 17}, {0}},
      {{3, 17}, {1}},
      {{2, 3, 17}, {1}},
      {{4, 1, 33}, {2}},
      {{1000}, {0}},
    };
    for (DType t : new DType[] {DType.F32, DType.F64, DType.I32, DType.I64}) {
      for (int[][] sp : specs) {
        Params p = Params.of("dtype", t, "shape", sp[0], "dimension", sp[1][0]);
        cases.add(
            new Case(
                label(Generators.IOTA, t, sp[0]) + " dimension " + sp[1][0],
                Generators.IOTA,
                p,
                List.of(),
                Kind.EXACT));
      }
    }
  }

  static void threefry(List<Case> cases, Random r) {
    int[][] shapes = {{}, {0}, {1}, {7}, {17}, {3, 33}, {1000}};
    for (int[] s : shapes) {
      int n = size(s);
      List<HostArray> in =
          List.of(
              longs(s, DType.I32, randomBits(r, DType.I32, n, false)),
              longs(s, DType.I32, randomBits(r, DType.I32, n, false)),
              longs(s, DType.I32, randomBits(r, DType.I32, n, false)),
              longs(s, DType.I32, randomBits(r, DType.I32, n, false)));
      cases.add(
          new Case(
              label(Threefry.THREEFRY2X32, DType.I32, s),
              Threefry.THREEFRY2X32,
              Params.EMPTY,
              in,
              Kind.EXACT));
    }
  }
}
