package dev.arbor.testkit;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Indexing;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Sorting;
import dev.arbor.testkit.PrimitiveCases.Case;
import dev.arbor.testkit.PrimitiveCases.Domain;
import dev.arbor.testkit.Tolerance.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Cases for squeeze, expand_dims, pad, dynamic_slice, dynamic_update_slice, cumsum and sort: every
 * dtype, size-0 and size-1 axes, odd lengths, start indices past both ends (clamped), interior
 * padding, every axis in both directions, ties, NaNs, infinities and signed zeros.
 */
final class WindowScanSortCases {
  private WindowScanSortCases() {}

  static final DType[] ALL = {DType.F32, DType.F64, DType.I32, DType.I64, DType.BOOL};

  static void add(List<Case> cases, Random r) {
    squeezeAndExpand(cases, r);
    pads(cases, r);
    dynamicSlices(cases, r);
    cumsums(cases, r);
    sorts(cases, r);
  }

  static void squeezeAndExpand(List<Case> cases, Random r) {
    int[][][] squeezes = {{{1}, {0}}, {{3, 1, 5}, {1}}, {{1, 7, 1}, {0, 2}}, {{1, 0, 1}, {0, 2}}};
    int[][][] expands = {{{}, {0}}, {{7}, {0, 2}}, {{3, 5}, {1}}, {{0, 3}, {0, 3}}};
    for (DType t : ALL) {
      for (int[][] c : squeezes) {
        Params p = Params.of("dims", c[1]);
        cases.add(
            new Case(
                "squeeze " + t.shortName() + Shape.of(c[0]) + " " + p,
                Indexing.SQUEEZE,
                p,
                List.of(PrimitiveCases.random(r, c[0], t, Domain.ANY)),
                Kind.EXACT));
      }
      for (int[][] c : expands) {
        Params p = Params.of("dims", c[1]);
        cases.add(
            new Case(
                "expand_dims " + t.shortName() + Shape.of(c[0]) + " " + p,
                Indexing.EXPAND_DIMS,
                p,
                List.of(PrimitiveCases.random(r, c[0], t, Domain.ANY)),
                Kind.EXACT));
      }
    }
  }

  static void pads(List<Case> cases, Random r) {
    int[][][] pads = {
      // x dims, low, high, interior
      {{7}, {2}, {3}, {0}},
      {{17}, {0}, {0}, {1}},
      {{1}, {3}, {0}, {2}},
      {{0}, {2}, {1}, {3}},
      {{3, 5}, {1, 0}, {2, 3}, {0, 1}},
      {{2, 3, 17}, {0, 1, 1}, {1, 0, 2}, {2, 0, 1}},
      {{4, 6}, {0, 0}, {0, 0}, {0, 0}},
      {{1, 31}, {1, 1}, {1, 1}, {0, 0}},
      {{5, 0, 3}, {1, 1, 0}, {0, 1, 1}, {1, 2, 0}},
      {{}, {}, {}, {}},
    };
    for (int[][] c : pads) {
      Params p = Params.of("low", c[1], "high", c[2], "interior", c[3]);
      for (DType t : ALL) {
        cases.add(
            new Case(
                "pad " + t.shortName() + Shape.of(c[0]) + " " + p,
                Indexing.PAD,
                p,
                List.of(
                    PrimitiveCases.random(r, c[0], t, Domain.ANY),
                    PrimitiveCases.random(r, new int[0], t, Domain.ANY)),
                Kind.EXACT));
      }
    }
  }

  static void dynamicSlices(List<Case> cases, Random r) {
    int[][][] windows = {
      // x dims, window (slice sizes / update dims), starts (clamped into [0, dim - size])
      {{17}, {5}, {3}},
      {{17}, {5}, {15}},
      {{17}, {5}, {-4}},
      {{17}, {0}, {9}},
      {{17}, {17}, {2}},
      {{5, 33}, {2, 16}, {4, 20}},
      {{4, 3, 9}, {2, 1, 4}, {-1, 2, 7}},
      {{1, 31}, {1, 7}, {0, 30}},
      {{3, 0, 4}, {2, 0, 3}, {1, 0, 1}},
      {{2, 3}, {0, 3}, {1, 0}},
      {{}, {}, {}},
    };
    int k = 0;
    for (int[][] c : windows) {
      for (DType t : ALL) {
        DType it = k++ % 2 == 0 ? DType.I32 : DType.I64;
        List<HostArray> starts = new ArrayList<>();
        for (int s : c[2]) {
          starts.add(HostArray.ofLongs(new AbstractValue(Shape.of(), it), new long[] {s}));
        }
        HostArray x = PrimitiveCases.random(r, c[0], t, Domain.ANY);
        Params p = Params.of("sizes", c[1]);
        List<HostArray> in = new ArrayList<>();
        in.add(x);
        in.addAll(starts);
        String where = t.shortName() + Shape.of(c[0]) + " at " + it.shortName() + str(c[2]);
        cases.add(
            new Case(
                "dynamic_slice " + where + " " + p, Indexing.DYNAMIC_SLICE, p, in, Kind.EXACT));
        List<HostArray> upd = new ArrayList<>();
        upd.add(x);
        upd.add(PrimitiveCases.random(r, c[1], t, Domain.ANY));
        upd.addAll(starts);
        cases.add(
            new Case(
                "dynamic_update_slice " + where + " update" + Shape.of(c[1]),
                Indexing.DYNAMIC_UPDATE_SLICE,
                Params.EMPTY,
                upd,
                Kind.EXACT));
      }
    }
  }

  static void cumsums(List<Case> cases, Random r) {
    int[][] shapes = {
      {7},
      {33},
      {0},
      {1},
      {1000},
      {3, 5},
      {65, 3},
      {3, 40},
      {4, 0, 3},
      {2, 37, 20},
      {3, 2500},
      {5, 1, 9, 2}
    };
    for (int[] s : shapes) {
      for (int axis = 0; axis < s.length; axis++) {
        for (boolean reverse : new boolean[] {false, true}) {
          Params p = Params.of("axis", axis, "reverse", reverse);
          boolean ints = s.length == 2 || s.length == 3;
          for (DType t : ints ? new DType[] {DType.F32, DType.F64, DType.I32, DType.I64} : FLOATS) {
            cases.add(
                new Case(
                    "cumsum " + t.shortName() + Shape.of(s) + " " + p,
                    Reductions.CUMSUM,
                    p,
                    List.of(PrimitiveCases.random(r, s, t, Domain.ANY)),
                    Kind.EXACT));
          }
        }
      }
    }
    // Signed zeros, infinities and NaN (the first sum is 0 + x: -0.0 becomes 0.0).
    for (DType t : FLOATS) {
      for (boolean reverse : new boolean[] {false, true}) {
        for (int[] s : new int[][] {{2, 9}, {9, 18}}) {
          Params p = Params.of("axis", 0, "reverse", reverse);
          cases.add(
              new Case(
                  "cumsum specials " + t.shortName() + Shape.of(s) + " " + p,
                  Reductions.CUMSUM,
                  p,
                  List.of(specials(r, s, t)),
                  Kind.EXACT));
        }
      }
    }
  }

  private static final DType[] FLOATS = {DType.F32, DType.F64};

  static void sorts(List<Case> cases, Random r) {
    int[][] shapes = {
      {0}, {1}, {7}, {33}, {1000}, {3, 5}, {65, 3}, {4, 0, 3}, {2, 3, 17}, {5, 1, 9, 2}
    };
    for (int[] s : shapes) {
      for (int axis = 0; axis < s.length; axis++) {
        Params p = Params.of("axis", axis);
        for (DType t : ALL) {
          // Small integers (ties) as keys; positions and random F64s ride along (stability).
          HostArray keys =
              t.isFloating()
                  ? specials(r, s, t)
                  : PrimitiveCases.random(r, s, t, Domain.SMALL_INTEGERS);
          cases.add(
              new Case(
                  "sort " + t.shortName() + Shape.of(s) + " " + p + " + positions",
                  Sorting.SORT,
                  p,
                  List.of(
                      keys,
                      positions(s),
                      PrimitiveCases.random(r, s, DType.F64, Domain.ANY),
                      PrimitiveCases.random(r, s, DType.BOOL, Domain.ANY)),
                  Kind.EXACT));
        }
      }
      cases.add(
          new Case(
              "sort keys only f32" + Shape.of(s),
              Sorting.SORT,
              Params.of("axis", s.length - 1),
              List.of(PrimitiveCases.random(r, s, DType.F32, Domain.ANY)),
              Kind.EXACT));
    }
  }

  /** Halves in [-2, 2] (many ties) mixed with -0.0, 0.0, infinities and NaN. */
  static HostArray specials(Random r, int[] shape, DType t) {
    AbstractValue aval = new AbstractValue(Shape.of(shape), t);
    double[] pool = {
      -0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5, -1.5, 0.5
    };
    double[] v = new double[(int) aval.shape().size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextInt(3) == 0 ? pool[r.nextInt(pool.length)] : (r.nextInt(9) - 4) * 0.5;
    }
    return HostArray.ofDoubles(aval, v);
  }

  /** Each element's row-major position, as I32. */
  static HostArray positions(int[] shape) {
    AbstractValue aval = new AbstractValue(Shape.of(shape), DType.I32);
    long[] v = new long[(int) aval.shape().size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    return HostArray.ofLongs(aval, v);
  }

  private static String str(int[] v) {
    return java.util.Arrays.toString(v);
  }
}
