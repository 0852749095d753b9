package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.core.primitives.Elementwise;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Generated cluster loops ({@link FusedCodegen}) on random clusters: chains of unary, binary and
 * select operations over a full [R, C] operand, a row [C], a column [R, 1], a scalar and a bool [R,
 * C] (as a select predicate and converted to 0/1), ending in nothing, a total / row / column
 * (leading-axis) reduction, or a bool (comparison) output, on shapes with vector tails, size-1 axes
 * and several reduction chunks. Each is compared with the block interpreter (same kernels, so only
 * reduction order differs: 1e-5 / 1e-12 relative per element, times 4x the number of summands for
 * reductions) and with the reference backend (same bounds).
 */
class FusedCodegenTest {
  private static final int[][] SHAPES = {
    {1, 1}, {1, 17}, {3, 16}, {5, 33}, {7, 1}, {64, 3}, {1000, 171}
  };

  /** A random cluster: op codes drawn from {@code seed}, over inputs x, y, row, col, scalar. */
  private static Function<List<Tensor>, List<Tensor>> cluster(long seed, int ending) {
    return in -> {
      Random r = new Random(seed);
      Tensor x = in.get(0);
      List<Tensor> pool = new ArrayList<>();
      pool.add(x);
      pool.add(in.get(1));
      pool.add(Ops.add(x, in.get(2))); // row broadcast
      pool.add(Ops.mul(x, in.get(3))); // column broadcast
      pool.add(Ops.add(in.get(1), in.get(4))); // scalar broadcast
      pool.add(Ops.where(in.get(5), x, in.get(1))); // bool input as a select predicate
      pool.add(Ops.mul(Ops.astype(in.get(5), x.dtype()), x)); // bool input converted to 0/1
      int steps = 3 + r.nextInt(6);
      for (int s = 0; s < steps; s++) {
        Tensor a = pool.get(r.nextInt(pool.size()));
        Tensor b = pool.get(r.nextInt(pool.size()));
        Tensor v =
            switch (r.nextInt(12)) {
              case 0 -> Ops.tanh(a);
              case 1 -> Ops.exp(Ops.tanh(a));
              case 2 -> Ops.neg(a);
              case 3 -> Ops.abs(a);
              case 4 -> Ops.sigmoid(a);
              case 5 -> Ops.add(a, b);
              case 6 -> Ops.sub(a, b);
              case 7 -> Ops.mul(a, Ops.tanh(b));
              case 8 -> Ops.maximum(a, b);
              case 9 -> Ops.where(Elementwise.gt(a, b), a, b);
              case 10 -> Ops.add(a.mul(0.5), Ops.weak(0.25, a));
              default -> Ops.log(Ops.add(Ops.mul(a, a), Ops.weak(1.0, a)));
            };
        pool.add(v);
      }
      Tensor last = pool.getLast();
      return switch (ending) {
        case 0 -> List.of(last);
        case 1 -> List.of(last, Ops.sum(last));
        case 2 -> List.of(Ops.sum(last, 1), pool.get(pool.size() - 2));
        case 3 -> List.of(Ops.max(last, 1));
        case 4 -> List.of(Ops.sum(last, 0), last); // over the leading axis: per column
        default -> {
          Tensor mask = Elementwise.gt(last, x); // a bool output
          yield List.of(mask, Ops.where(mask, last, pool.get(pool.size() - 2)));
        }
      };
    };
  }

  private static List<double[]> run(
      String backend, DType t, Function<List<Tensor>, List<Tensor>> f, int rows, int cols) {
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(backend);
    try {
      Random r = new Random(rows * 31L + cols);
      List<Tensor> in = new ArrayList<>();
      in.add(Ops.astype(Tensor.fromArray(gauss(r, rows * cols), rows, cols), t));
      in.add(Ops.astype(Tensor.fromArray(gauss(r, rows * cols), rows, cols), t));
      in.add(Ops.astype(Tensor.fromArray(gauss(r, cols), cols), t));
      in.add(Ops.astype(Tensor.fromArray(gauss(r, rows), rows, 1), t));
      in.add(Tensor.scalar(r.nextGaussian(), t));
      in.add(Elementwise.gt(in.get(1), in.get(0))); // bool, made eagerly
      return Arbor.jit(f).apply(in).stream().map(Tensor::toDoubleArray).toList();
    } finally {
      Backends.setDefault(prev.name());
    }
  }

  private static double[] gauss(Random r, int n) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextGaussian();
    }
    return a;
  }

  private static List<double[]> runCpu(
      boolean codegen, DType t, Function<List<Tensor>, List<Tensor>> f, int rows, int cols) {
    boolean prev = FusedKernel.codegen;
    FusedKernel.codegen = codegen;
    try {
      return run(CpuBackend.NAME, t, f, rows, cols);
    } finally {
      FusedKernel.codegen = prev;
    }
  }

  private static void assertClose(
      String what, List<double[]> want, List<double[]> got, DType t, int terms, long n) {
    double rtol = t == DType.F32 ? 1e-5 : 1e-12;
    assertEquals(want.size(), got.size(), what);
    for (int k = 0; k < want.size(); k++) {
      double[] w = want.get(k);
      double[] g = got.get(k);
      assertEquals(w.length, g.length, what);
      // A reduced output (a scalar, or one value per row or column) sums n or `terms` values.
      boolean reduced = w.length == 1 && n != 1 || w.length * (long) terms == n && terms > 1;
      double count = w.length == 1 ? Math.max(n, 1) : terms;
      for (int i = 0; i < w.length; i++) {
        double tol = rtol * Math.max(Math.abs(w[i]), 1) * (reduced ? count * 4 : 1);
        if (Double.isNaN(w[i])) {
          assertTrue(Double.isNaN(g[i]), what + " output " + k + "[" + i + "] should be NaN");
          continue;
        }
        int kk = k;
        int ii = i;
        assertTrue(
            Math.abs(g[i] - w[i]) <= tol || g[i] == w[i],
            () -> what + " output " + kk + "[" + ii + "]: " + g[ii] + " vs " + w[ii]);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void randomClustersMatchTheInterpreterAndTheReference(DType t) {
    int cases = 0;
    int generatedCases = 0;
    for (int seed = 0; seed < 12; seed++) {
      for (int ending = 0; ending < 6; ending++) {
        int[] shape = SHAPES[(seed * 6 + ending) % SHAPES.length];
        int rows = shape[0];
        int cols = shape[1];
        String what = t + " seed " + seed + " ending " + ending + " shape " + rows + "x" + cols;
        Function<List<Tensor>, List<Tensor>> f = cluster(seed, ending);
        long generated = FusedKernel.GENERATED_RUNS.get();
        List<double[]> gen = runCpu(true, t, f, rows, cols);
        // (A chain whose live part is one equation has no cluster: count, don't require.)
        generatedCases += FusedKernel.GENERATED_RUNS.get() > generated ? 1 : 0;
        cases++;
        List<double[]> interp = runCpu(false, t, f, rows, cols);
        List<double[]> ref = run("reference", t, f, rows, cols);
        int terms = ending == 4 ? rows : cols; // summands per reduced output
        assertClose(what + " (vs interpreter)", interp, gen, t, terms, (long) rows * cols);
        assertClose(what + " (vs reference)", ref, gen, t, terms, (long) rows * cols);
      }
    }
    assertTrue(generatedCases >= cases * 3 / 4, generatedCases + " of " + cases + " generated");
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void everyShapeOfOneClusterReusesOneGeneratedClass(DType t) {
    Function<List<Tensor>, List<Tensor>> f = cluster(99, 1);
    runCpu(true, t, f, 3, 16);
    long classes = FusedCodegen.GENERATED.get();
    for (int[] s : SHAPES) {
      // (Above jit's folding limit the weak scalars stay scalars instead of folded full arrays:
      // another structure, so another class. Stay below it.)
      if (s[0] > 1 && s[1] > 1 && s[0] * s[1] <= 65536) {
        runCpu(true, t, f, s[0], s[1]);
      }
    }
    assertEquals(classes, FusedCodegen.GENERATED.get(), "no new class for a new shape");
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "F64"})
  void emptyDomainsGiveEmptyOutputsAndTheReductionIdentity(DType t) {
    // (Core's Ops broadcasting turns 0 against 1 into 1, so no broadcast operands here.)
    for (int[] s : new int[][] {{0, 5}, {3, 0}}) {
      Function<List<Tensor>, List<Tensor>> f =
          in -> {
            Tensor h = Ops.tanh(Ops.add(Ops.mul(in.get(0), in.get(0)), in.get(1)));
            return List.of(h, Ops.sum(h), Ops.max(Ops.exp(h), 1));
          };
      long generated = FusedKernel.GENERATED_RUNS.get();
      List<double[]> gen = runCpu(true, t, f, s[0], s[1]);
      assertTrue(FusedKernel.GENERATED_RUNS.get() > generated, "generated loop ran");
      List<double[]> ref = run("reference", t, f, s[0], s[1]);
      assertClose("empty " + s[0] + "x" + s[1], ref, gen, t, s[1], 0);
    }
  }
}
