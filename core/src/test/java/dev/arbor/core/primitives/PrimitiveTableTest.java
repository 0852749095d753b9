package dev.arbor.core.primitives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.testing.RuleChecks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * One table of op specs drives, for every primitive: values against {@code java.lang.Math} (or long
 * arithmetic) in double, JVP against finite differences, VJP against JVP, and vmap against a loop
 * for several batch axes. Inputs are {@code [3, 4]} tensors drawn from each op's valid domain.
 */
class PrimitiveTableTest {
  static final int[] BASE = {3, 4};

  /** Makes an input of the given dims (valid domain for the op). */
  @FunctionalInterface
  interface Gen {
    Tensor make(Random rng, int... dims);
  }

  /** Expected output values, computed on the host from the inputs' values. */
  @FunctionalInterface
  interface Oracle {
    double[] expected(List<Tensor> inputs);
  }

  /**
   * @param fd whether to check JVP against finite differences (smooth at the sampled points)
   * @param vjp whether to check the VJP (the op is differentiable)
   */
  record OpSpec(
      String name,
      Function<List<Tensor>, Tensor> fn,
      Oracle oracle,
      List<Gen> inputs,
      double tol,
      boolean fd,
      boolean vjp) {
    @Override
    public String toString() {
      return name;
    }
  }

  // ------------------------------------------------------------ generators

  static Gen uniform(double lo, double hi) {
    return (rng, dims) -> RuleChecks.random(rng, lo, hi, dims);
  }

  /** Values in [lo, hi] with a random sign. */
  static Gen signed(double lo, double hi) {
    return (rng, dims) -> {
      double[] v = RuleChecks.random(rng, lo, hi, dims).toDoubleArray();
      for (int k = 0; k < v.length; k++) {
        v[k] = rng.nextBoolean() ? v[k] : -v[k];
      }
      return Tensor.fromArray(v, dims);
    };
  }

  static Gen ints(DType t, long lo, long hi) {
    return (rng, dims) -> {
      double[] v = new double[(int) size(dims)];
      for (int k = 0; k < v.length; k++) {
        v[k] = lo + rng.nextLong(hi - lo + 1);
      }
      return Tensor.fromArray(v, dims).astype(t);
    };
  }

  static final Gen BOOLS = (rng, dims) -> ints(DType.I32, 0, 1).make(rng, dims).astype(DType.BOOL);
  static final Gen ANY = uniform(-1, 1);
  static final Gen POSITIVE = uniform(0.5, 2);

  /** Some exact zeros: one in row 0 and two in row 1 of a [3, 4] operand. */
  static final Gen WITH_ZEROS =
      (rng, dims) -> {
        double[] v = RuleChecks.random(rng, -1.5, 1.5, dims).toDoubleArray();
        if (Arrays.equals(dims, BASE)) {
          v[1] = 0;
          v[4] = 0;
          v[6] = 0;
        }
        return Tensor.fromArray(v, dims);
      };

  static long size(int[] dims) {
    long n = 1;
    for (int d : dims) {
      n *= d;
    }
    return n;
  }

  // ------------------------------------------------------------ oracles

  static Oracle ew(DoubleUnaryOperator f) {
    return in -> Arrays.stream(in.get(0).toDoubleArray()).map(f).toArray();
  }

  static Oracle ew(DoubleBinaryOperator f) {
    return in -> {
      double[] a = in.get(0).toDoubleArray();
      double[] b = in.get(1).toDoubleArray();
      double[] r = new double[a.length];
      for (int k = 0; k < r.length; k++) {
        r[k] = f.applyAsDouble(a[k], b[k]);
      }
      return r;
    };
  }

  static Oracle ewLong(LongUnaryOperator f) {
    return in -> Arrays.stream(in.get(0).toLongArray()).map(f).asDoubleStream().toArray();
  }

  /** A long binary op, wrapped to 32 bits when the operands are I32. */
  static Oracle ewLong(LongBinaryOperator f) {
    return in -> {
      long[] a = in.get(0).toLongArray();
      long[] b = in.get(1).toLongArray();
      boolean i32 = in.get(0).dtype() == DType.I32;
      double[] r = new double[a.length];
      for (int k = 0; k < r.length; k++) {
        long v = f.applyAsLong(a[k], b[k]);
        r[k] = i32 ? (int) v : v;
      }
      return r;
    };
  }

  /** Reduces rows (axis 1) or columns (axis 0) of a [3, 4] operand. */
  interface Fold {
    double apply(double[] line);
  }

  static Oracle alongAxis(int axis, Fold f) {
    return in -> {
      double[] a = in.get(0).toDoubleArray();
      int lines = axis == 1 ? 3 : 4;
      int n = axis == 1 ? 4 : 3;
      double[] r = new double[lines];
      for (int l = 0; l < lines; l++) {
        double[] line = new double[n];
        for (int j = 0; j < n; j++) {
          line[j] = axis == 1 ? a[l * 4 + j] : a[j * 4 + l];
        }
        r[l] = f.apply(line);
      }
      return r;
    };
  }

  /** A scan along axis 1 of a [3, 4] operand. */
  static Oracle scanRows(Function<double[], double[]> f) {
    return in -> {
      double[] a = in.get(0).toDoubleArray();
      double[] r = new double[12];
      for (int l = 0; l < 3; l++) {
        System.arraycopy(f.apply(Arrays.copyOfRange(a, l * 4, l * 4 + 4)), 0, r, l * 4, 4);
      }
      return r;
    };
  }

  static double logistic(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  static double argBest(double[] v, boolean max) {
    int best = 0;
    for (int j = 1; j < v.length; j++) {
      if (max ? v[j] > v[best] : v[j] < v[best]) {
        best = j;
      }
    }
    return best;
  }

  // ------------------------------------------------------------ the table

  static OpSpec spec(String name, Function<List<Tensor>, Tensor> fn, Oracle o, Gen... in) {
    return new OpSpec(name, fn, o, List.of(in), 1e-12, true, true);
  }

  static OpSpec nonDiff(String name, Function<List<Tensor>, Tensor> fn, Oracle o, Gen... in) {
    return new OpSpec(name, fn, o, List.of(in), 0, false, false);
  }

  static Function<List<Tensor>, Tensor> un(Function<Tensor, Tensor> f) {
    return l -> f.apply(l.get(0));
  }

  static Function<List<Tensor>, Tensor> bin(java.util.function.BinaryOperator<Tensor> f) {
    return l -> f.apply(l.get(0), l.get(1));
  }

  static final List<OpSpec> TABLE =
      List.of(
          // existing primitives
          spec("neg", un(Elementwise::neg), ew(x -> -x), ANY),
          spec("exp", un(Elementwise::exp), ew(Math::exp), ANY),
          spec("log", un(Elementwise::log), ew(Math::log), POSITIVE),
          spec("tanh", un(Elementwise::tanh), ew(Math::tanh), ANY),
          spec("sin", un(Elementwise::sin), ew(Math::sin), ANY),
          spec("cos", un(Elementwise::cos), ew(Math::cos), ANY),
          spec("add", bin(Elementwise::add), ew(Double::sum), ANY, ANY),
          spec("sub", bin(Elementwise::sub), ew((a, b) -> a - b), ANY, ANY),
          spec("mul", bin(Elementwise::mul), ew((a, b) -> a * b), ANY, ANY),
          spec("div", bin(Elementwise::div), ew((a, b) -> a / b), ANY, signed(0.5, 2)),
          spec("pow", bin(Elementwise::pow), ew(Math::pow), POSITIVE, ANY),
          spec("max", bin(Elementwise::max), ew(Math::max), ANY, ANY),
          spec("min", bin(Elementwise::min), ew(Math::min), ANY, ANY),
          spec(
              "select",
              l -> Elementwise.select(l.get(0), l.get(1), l.get(2)),
              in -> {
                double[] c = in.get(0).toDoubleArray();
                double[] a = in.get(1).toDoubleArray();
                double[] b = in.get(2).toDoubleArray();
                double[] r = new double[c.length];
                for (int k = 0; k < r.length; k++) {
                  r[k] = c[k] != 0 ? a[k] : b[k];
                }
                return r;
              },
              BOOLS,
              ANY,
              ANY),
          new OpSpec(
              "convert_f32_roundtrip",
              un(x -> Elementwise.convert(Elementwise.convert(x, DType.F32), DType.F64)),
              ew(x -> (float) x),
              List.of(ANY),
              0,
              false,
              true),
          nonDiff(
              "convert_i32_to_f64",
              un(x -> Elementwise.convert(x, DType.F64)),
              ewLong(x -> x),
              ints(DType.I32, -100, 100)),
          spec(
              "reduce_sum",
              un(x -> Reductions.sum(x, 1)),
              alongAxis(1, v -> Arrays.stream(v).sum()),
              ANY),
          spec(
              "reduce_max",
              un(x -> Reductions.max(x, 0)),
              alongAxis(0, v -> Arrays.stream(v).max().orElseThrow()),
              ANY),
          // prims-a: elementwise math
          spec("log1p", un(Elementwise::log1p), ew(Math::log1p), uniform(-0.5, 1)),
          spec("expm1", un(Elementwise::expm1), ew(Math::expm1), ANY),
          spec(
              "logistic",
              un(Elementwise::logistic),
              ew(PrimitiveTableTest::logistic),
              uniform(-4, 4)),
          spec("sqrt", un(Elementwise::sqrt), ew(Math::sqrt), POSITIVE),
          spec("rsqrt", un(Elementwise::rsqrt), ew(x -> 1 / Math.sqrt(x)), POSITIVE),
          // erf_inv's oracle: erf(erf_inv(x)) == x, with erf by its Taylor series (|y| < 1.7).
          spec("erf_inv", un(Elementwise::erfInv), ew(x -> x), uniform(-0.95, 0.95)),
          spec("abs", un(Elementwise::abs), ew(Math::abs), ANY),
          spec("sign", un(Elementwise::sign), ew(Math::signum), ANY),
          spec("floor", un(Elementwise::floor), ew(Math::floor), uniform(-3, 3)),
          spec("ceil", un(Elementwise::ceil), ew(Math::ceil), uniform(-3, 3)),
          spec("round", un(Elementwise::round), ew(Math::rint), uniform(-3, 3)),
          spec("atan2", bin(Elementwise::atan2), ew(Math::atan2), ANY, ANY),
          spec("rem", bin(Elementwise::rem), ew((a, b) -> a % b), uniform(-3, 3), signed(0.5, 1.5)),
          nonDiff("abs_i64", un(Elementwise::abs), ewLong(Math::abs), ints(DType.I64, -9, 9)),
          nonDiff("sign_i32", un(Elementwise::sign), ewLong(Long::signum), ints(DType.I32, -9, 9)),
          nonDiff(
              "rem_i32",
              bin(Elementwise::rem),
              ewLong((a, b) -> a % b),
              ints(DType.I32, -50, 50),
              ints(DType.I32, 1, 7)),
          nonDiff(
              "and_i32",
              bin(Elementwise::and),
              ewLong((a, b) -> a & b),
              ints(DType.I32, -1000, 1000),
              ints(DType.I32, -1000, 1000)),
          nonDiff(
              "or_i64",
              bin(Elementwise::or),
              ewLong((a, b) -> a | b),
              ints(DType.I64, -1000, 1000),
              ints(DType.I64, -1000, 1000)),
          nonDiff(
              "xor_i32",
              bin(Elementwise::xor),
              ewLong((a, b) -> a ^ b),
              ints(DType.I32, Integer.MIN_VALUE, Integer.MAX_VALUE),
              ints(DType.I32, Integer.MIN_VALUE, Integer.MAX_VALUE)),
          nonDiff("and_bool", bin(Elementwise::and), ewLong((a, b) -> a & b), BOOLS, BOOLS),
          nonDiff("or_bool", bin(Elementwise::or), ewLong((a, b) -> a | b), BOOLS, BOOLS),
          nonDiff("not_bool", un(Elementwise::not), ewLong(a -> 1 - a), BOOLS),
          nonDiff("not_i32", un(Elementwise::not), ewLong(a -> ~a), ints(DType.I32, -1000, 1000)),
          nonDiff(
              "shift_left_i32",
              bin(Elementwise::shiftLeft),
              ewLong((a, b) -> b >= 32 ? 0 : a << b),
              ints(DType.I32, -1000, 1000),
              ints(DType.I32, 0, 40)),
          nonDiff(
              "shift_right_logical_i32",
              bin(Elementwise::shiftRightLogical),
              ewLong((a, b) -> b >= 32 ? 0 : (a & 0xFFFFFFFFL) >>> b),
              ints(DType.I32, Integer.MIN_VALUE, Integer.MAX_VALUE),
              ints(DType.I32, 0, 40)),
          nonDiff(
              "shift_right_logical_i64",
              bin(Elementwise::shiftRightLogical),
              ewLong((a, b) -> b >= 64 ? 0 : a >>> b),
              ints(DType.I64, -1000, 1000),
              ints(DType.I64, 0, 70)),
          nonDiff("eq", bin(Elementwise::eq), ew((a, b) -> a == b ? 1 : 0), BOOLS, BOOLS),
          nonDiff("ne", bin(Elementwise::ne), ew((a, b) -> a != b ? 1 : 0), ANY, ANY),
          nonDiff("lt", bin(Elementwise::lt), ew((a, b) -> a < b ? 1 : 0), ANY, ANY),
          nonDiff(
              "le",
              bin(Elementwise::le),
              ew((a, b) -> a <= b ? 1 : 0),
              ints(DType.I32, 0, 3),
              ints(DType.I32, 0, 3)),
          nonDiff("gt", bin(Elementwise::gt), ew((a, b) -> a > b ? 1 : 0), ANY, ANY),
          nonDiff(
              "ge",
              bin(Elementwise::ge),
              ew((a, b) -> a >= b ? 1 : 0),
              ints(DType.I64, 0, 3),
              ints(DType.I64, 0, 3)),
          // prims-a: reductions and scans
          spec(
              "reduce_min",
              un(x -> Reductions.min(x, 1)),
              alongAxis(1, v -> Arrays.stream(v).min().orElseThrow()),
              ANY),
          spec(
              "reduce_prod",
              un(x -> Reductions.prod(x, 1)),
              alongAxis(1, v -> Arrays.stream(v).reduce(1, (a, b) -> a * b)),
              uniform(-1.5, 1.5)),
          spec(
              "reduce_prod_with_zeros",
              un(x -> Reductions.prod(x, 1)),
              alongAxis(1, v -> Arrays.stream(v).reduce(1, (a, b) -> a * b)),
              WITH_ZEROS),
          spec(
              "reduce_prod_all_axes",
              un(x -> Reductions.prod(x, 0, 1)),
              in ->
                  new double[] {
                    Arrays.stream(in.get(0).toDoubleArray()).reduce(1, (a, b) -> a * b)
                  },
              uniform(0.5, 1.5)),
          nonDiff(
              "reduce_prod_i32_wraps",
              un(x -> Reductions.prod(x, 1)),
              in -> {
                long[] a = in.get(0).toLongArray();
                double[] r = new double[3];
                for (int l = 0; l < 3; l++) {
                  long p = 1;
                  for (int j = 0; j < 4; j++) {
                    p *= a[l * 4 + j];
                  }
                  r[l] = (int) p;
                }
                return r;
              },
              ints(DType.I32, -60000, 60000)),
          nonDiff(
              "argmax", un(x -> Reductions.argmax(x, 1)), alongAxis(1, v -> argBest(v, true)), ANY),
          nonDiff(
              "argmin_axis0",
              un(x -> Reductions.argmin(x, 0)),
              alongAxis(0, v -> argBest(v, false)),
              ANY),
          new OpSpec(
              "argmax_passes_no_tangent",
              un(
                  x ->
                      Elementwise.mul(
                          x,
                          Elementwise.convert(Reductions.argmax(Elementwise.exp(x), -1), DType.F64)
                              .sum()
                              .broadcastTo(3, 4))),
              in -> {
                double[] a = in.get(0).toDoubleArray();
                double s = 0;
                for (double i : alongAxis(1, v -> argBest(v, true)).expected(in)) {
                  s += i;
                }
                double[] r = new double[12];
                for (int k = 0; k < 12; k++) {
                  r[k] = a[k] * s;
                }
                return r;
              },
              List.of(ANY),
              1e-12,
              true,
              true),
          spec(
              "cumsum",
              un(x -> Reductions.cumsum(x, 1, false)),
              scanRows(
                  v -> {
                    double[] r = v.clone();
                    for (int j = 1; j < r.length; j++) {
                      r[j] += r[j - 1];
                    }
                    return r;
                  }),
              ANY),
          spec(
              "cumsum_reverse",
              un(x -> Reductions.cumsum(x, -1, true)),
              scanRows(
                  v -> {
                    double[] r = v.clone();
                    for (int j = r.length - 2; j >= 0; j--) {
                      r[j] += r[j + 1];
                    }
                    return r;
                  }),
              ANY),
          nonDiff(
              "cumsum_i32",
              un(x -> Reductions.cumsum(x, 1, false)),
              in -> {
                double[] a = in.get(0).toDoubleArray();
                double[] r = a.clone();
                for (int k = 0; k < 12; k++) {
                  if (k % 4 != 0) {
                    r[k] += r[k - 1];
                  }
                }
                return r;
              },
              ints(DType.I32, -100, 100)),
          spec(
              "sort",
              un(x -> Sorting.sort(List.of(x), 1).get(0)),
              scanRows(
                  v -> {
                    double[] r = v.clone();
                    Arrays.sort(r);
                    return r;
                  }),
              ANY),
          spec(
              "sort_key_val",
              l -> Sorting.sort(List.of(l.get(0), l.get(1)), 0).get(1),
              in -> {
                double[] k = in.get(0).toDoubleArray();
                double[] v = in.get(1).toDoubleArray();
                double[] r = new double[12];
                for (int c = 0; c < 4; c++) {
                  Integer[] order = {0, 1, 2};
                  final int col = c;
                  Arrays.sort(order, (a, b) -> Double.compare(k[a * 4 + col], k[b * 4 + col]));
                  for (int j = 0; j < 3; j++) {
                    r[j * 4 + c] = v[order[j] * 4 + c];
                  }
                }
                return r;
              },
              ANY,
              ANY),
          nonDiff(
              "argsort",
              un(x -> Sorting.argsort(x, 1)),
              scanRows(
                  v -> {
                    Integer[] order = {0, 1, 2, 3};
                    Arrays.sort(order, (a, b) -> Double.compare(v[a], v[b]));
                    return Arrays.stream(order).mapToDouble(Integer::doubleValue).toArray();
                  }),
              ANY),
          // prims-a: Ops compositions
          spec("relu", un(Ops::relu), ew(x -> Math.max(x, 0)), ANY),
          spec("sigmoid", un(Ops::sigmoid), ew(PrimitiveTableTest::logistic), uniform(-4, 4)),
          spec(
              "softmax",
              un(x -> Ops.softmax(x, 1)),
              scanRows(
                  v -> {
                    double s = Arrays.stream(v).map(Math::exp).sum();
                    return Arrays.stream(v).map(x -> Math.exp(x) / s).toArray();
                  }),
              uniform(-3, 3)),
          spec(
              "logSumExp",
              un(x -> Ops.logSumExp(x, 0)),
              alongAxis(0, v -> Math.log(Arrays.stream(v).map(Math::exp).sum())),
              uniform(-3, 3)),
          spec(
              "logSoftmax",
              un(x -> Ops.logSoftmax(x, -1)),
              scanRows(
                  v -> {
                    double s = Math.log(Arrays.stream(v).map(Math::exp).sum());
                    return Arrays.stream(v).map(x -> x - s).toArray();
                  }),
              uniform(-3, 3)));

  static Stream<OpSpec> table() {
    return TABLE.stream();
  }

  static List<Tensor> inputs(OpSpec s, long seed, int[] dims) {
    Random rng = new Random(seed);
    List<Tensor> in = new ArrayList<>();
    for (Gen g : s.inputs()) {
      in.add(g.make(rng, dims));
    }
    return in;
  }

  static Function<List<Tensor>, List<Tensor>> listed(OpSpec s) {
    return l -> List.of(s.fn().apply(l));
  }

  @TestFactory
  Stream<DynamicTest> valuesMatchJavaMath() {
    return table()
        .map(
            s ->
                DynamicTest.dynamicTest(
                    s.name(),
                    () -> {
                      List<Tensor> in = inputs(s, s.name().hashCode(), BASE);
                      double[] got = s.fn().apply(in).toDoubleArray();
                      double[] want =
                          s.name().equals("erf_inv")
                              ? in.get(0).toDoubleArray()
                              : s.oracle().expected(in);
                      if (s.name().equals("erf_inv")) {
                        got = Arrays.stream(got).map(PrimitiveTableTest::erf).toArray();
                      }
                      assertEquals(want.length, got.length, s.name() + ": element count");
                      for (int k = 0; k < want.length; k++) {
                        assertEquals(
                            want[k],
                            got[k],
                            s.tol() * Math.max(1, Math.abs(want[k])),
                            s.name() + "[" + k + "] for inputs " + in);
                      }
                    }));
  }

  /** erf by its Maclaurin series: accurate to ~1e-16 for |x| < 2 (test oracle only). */
  static double erf(double x) {
    double sum = 0;
    double term = x;
    for (int n = 0; n < 80; n++) {
      sum += term / (2 * n + 1);
      term *= -x * x / (n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  @TestFactory
  Stream<DynamicTest> jvpMatchesFiniteDifferences() {
    return table()
        .filter(OpSpec::fd)
        .map(
            s ->
                DynamicTest.dynamicTest(
                    s.name(),
                    () ->
                        RuleChecks.checkJvp(
                            s.name(), listed(s), inputs(s, s.name().hashCode(), BASE), 1e-6)));
  }

  @TestFactory
  Stream<DynamicTest> vjpMatchesJvp() {
    return table()
        .filter(OpSpec::vjp)
        .map(
            s ->
                DynamicTest.dynamicTest(
                    s.name(),
                    () ->
                        RuleChecks.checkVjp(
                            s.name(),
                            listed(s),
                            inputs(s, s.name().hashCode(), BASE),
                            s.name().startsWith("convert") ? 1e-6 : 1e-9)));
  }

  /** Batch axis placements: all at 0, all last, only the first operand (at 1), only the last. */
  static List<int[]> inAxes(int arity) {
    List<int[]> r = new ArrayList<>();
    int[] zeros = new int[arity];
    int[] last = new int[arity];
    Arrays.fill(last, 2);
    r.add(zeros);
    r.add(last);
    if (arity > 1) {
      int[] first = new int[arity];
      Arrays.fill(first, -1);
      first[0] = 1;
      r.add(first);
      int[] onlyLast = new int[arity];
      Arrays.fill(onlyLast, -1);
      onlyLast[arity - 1] = 0;
      r.add(onlyLast);
    }
    return r;
  }

  @TestFactory
  Stream<DynamicTest> vmapMatchesALoop() {
    return table()
        .flatMap(
            s ->
                inAxes(s.inputs().size()).stream()
                    .map(
                        axes ->
                            DynamicTest.dynamicTest(
                                s.name() + " in_axes=" + Arrays.toString(axes),
                                () -> {
                                  Random rng = new Random(s.name().hashCode() + 7);
                                  List<Tensor> in = new ArrayList<>();
                                  for (int k = 0; k < axes.length; k++) {
                                    int[] dims = BASE;
                                    if (axes[k] >= 0) {
                                      List<Integer> d = new ArrayList<>(List.of(3, 4));
                                      d.add(axes[k], 2);
                                      dims = d.stream().mapToInt(Integer::intValue).toArray();
                                    }
                                    in.add(s.inputs().get(k).make(rng, dims));
                                  }
                                  RuleChecks.checkVmap(s.name(), listed(s), in, axes, 1e-12);
                                })));
  }

  @TestFactory
  Stream<DynamicTest> everyTableEntryIsDifferentFromItsInputs() {
    // Guards the table itself: an op that returned its input unchanged would pass vmap checks
    // trivially; every value oracle must disagree with at least one input somewhere.
    return table()
        .filter(s -> !s.name().equals("erf_inv"))
        .map(
            s ->
                DynamicTest.dynamicTest(
                    s.name(),
                    () -> {
                      List<Tensor> in = inputs(s, s.name().hashCode(), BASE);
                      double[] want = s.oracle().expected(in);
                      boolean differs = false;
                      for (Tensor x : in) {
                        differs |= !Arrays.equals(want, x.toDoubleArray());
                      }
                      assertTrue(differs || in.get(0).dtype() == DType.I32, s.name());
                    }));
  }
}
