package dev.arbor.gpu.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Convolution;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.gpu.device.DeviceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The {@code opencl} backend against the reference backend, for real on whatever OpenCL device is
 * installed (PoCL's CPU device in CI): every function below runs once with its inputs on {@code
 * opencl} and once on {@code reference}, and the results must agree. Covers generated elementwise
 * kernels in F32/F64 on odd sizes, comparisons and selects, broadcasting, transposes, reductions
 * over every axis set, matmuls (plain, transposed operands, batched), jit with fusion, and a small
 * MLP's loss and gradient under jit. Skipped, with the reason, where no OpenCL device loads.
 *
 * <p>This is the focused conformance test the backend ships with until the shared {@code
 * backend-testkit} suite is on main.
 */
class OpenClConformanceTest {
  static DeviceBackend cl;

  @BeforeAll
  static void device() {
    Backend b =
        Backends.all().stream().filter(x -> x.name().equals("opencl")).findFirst().orElseThrow();
    assumeTrue(b.isAvailable(), () -> "no OpenCL device: " + b.unavailableReason());
    cl = (DeviceBackend) b;
  }

  private static Tensor random(Random r, DType t, int... dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian();
    }
    return Ops.astype(Tensor.fromArray(v, dims), t);
  }

  /** Runs {@code f} on copies of {@code inputs} on both backends and compares every output. */
  private static void agree(
      String what, double rtol, Function<List<Tensor>, List<Tensor>> f, List<Tensor> inputs) {
    List<Tensor> onCl = new ArrayList<>();
    List<Tensor> onRef = new ArrayList<>();
    for (Tensor t : inputs) {
      onCl.add(t.to("opencl"));
      onRef.add(t.to("reference"));
    }
    List<Tensor> got = onBackend("opencl", () -> f.apply(onCl));
    List<Tensor> want = onBackend("reference", () -> f.apply(onRef));
    assertEquals(want.size(), got.size(), what);
    for (int k = 0; k < want.size(); k++) {
      Tensor g = got.get(k);
      assertEquals("opencl", ((ConcreteTensor) g).backend().name(), what + ": result stays");
      assertEquals(want.get(k).shape(), g.shape(), what + ": shape");
      assertEquals(want.get(k).dtype(), g.dtype(), what + ": dtype");
      double[] w = want.get(k).toDoubleArray();
      double[] x = g.toDoubleArray();
      for (int i = 0; i < w.length; i++) {
        double tol = rtol * Math.max(1, Math.abs(w[i]));
        int at = i;
        int out = k;
        assertTrue(
            w[i] == x[i] // equal infinities
                || Math.abs(w[i] - x[i]) <= tol
                || (Double.isNaN(w[i]) && Double.isNaN(x[i])),
            () ->
                what + " output " + out + "[" + at + "]: opencl " + x[at] + ", reference " + w[at]);
      }
    }
  }

  /** Runs {@code body} with {@code name} as the default backend (for constants it creates). */
  static <T> T onBackend(String name, Supplier<T> body) {
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(name);
    try {
      return body.get();
    } finally {
      Backends.setDefault(prev.name());
    }
  }

  private static double tol(DType t) {
    return t == DType.F32 ? 2e-5 : 1e-12;
  }

  @TestFactory
  Stream<DynamicTest> elementwiseOnOddSizes() {
    List<DynamicTest> tests = new ArrayList<>();
    Random r = new Random(1);
    for (DType t : List.of(DType.F32, DType.F64)) {
      for (int n : new int[] {1, 7, 1001}) {
        Tensor a = random(r, t, n);
        Tensor b = random(r, t, n);
        List<Tensor> in = List.of(a, b);
        List<Function<List<Tensor>, Tensor>> ops =
            List.of(
                x -> Ops.add(x.get(0), x.get(1)),
                x -> Ops.sub(x.get(0), x.get(1)),
                x -> Ops.mul(x.get(0), x.get(1)),
                x -> Ops.div(x.get(0), x.get(1)),
                x -> Ops.maximum(x.get(0), x.get(1)),
                x -> Ops.tanh(x.get(0)),
                x -> Ops.exp(x.get(0)),
                x -> Ops.log(Ops.abs(x.get(0))),
                x -> Ops.sqrt(Ops.abs(x.get(0))),
                x -> Ops.sin(x.get(0)),
                x -> Elementwise.logistic(x.get(0)),
                x -> Elementwise.floor(x.get(0).mul(3.0)),
                x -> Ops.neg(x.get(0)),
                x -> Ops.where(Elementwise.gt(x.get(0), x.get(1)), x.get(0), x.get(1)),
                x -> Ops.astype(Elementwise.lt(x.get(0), x.get(1)), DType.I32),
                x -> Ops.astype(x.get(0).mul(10.0), DType.I32),
                x -> Ops.astype(x.get(0), t == DType.F32 ? DType.F64 : DType.F32));
        for (int k = 0; k < ops.size(); k++) {
          Function<List<Tensor>, Tensor> op = ops.get(k);
          tests.add(
              DynamicTest.dynamicTest(
                  "op " + k + " " + t.shortName() + "[" + n + "]",
                  () -> agree("op", tol(t) * 5, x -> List.of(op.apply(x)), in)));
        }
      }
    }
    return tests.stream();
  }

  @Test
  void broadcastingAndTranspose() {
    Random r = new Random(2);
    for (DType t : List.of(DType.F32, DType.F64)) {
      agree(
          "broadcast add",
          tol(t),
          x -> List.of(Ops.add(x.get(0), x.get(1)), Ops.mul(x.get(2), x.get(0))),
          List.of(random(r, t, 5, 3, 7), random(r, t, 3, 1), random(r, t, 7)));
      agree(
          "transpose",
          tol(t),
          x -> List.of(Ops.transpose(x.get(0), 2, 0, 1)),
          List.of(random(r, t, 5, 3, 7)));
      agree(
          "reshape", 0, x -> List.of(Ops.reshape(x.get(0), 7, 15)), List.of(random(r, t, 5, 3, 7)));
    }
  }

  @Test
  void reductionsOverEveryAxisSet() {
    Random r = new Random(3);
    for (DType t : List.of(DType.F32, DType.F64)) {
      Tensor x = random(r, t, 4, 5, 6);
      int[][] axes = {{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}};
      for (int[] a : axes) {
        agree(
            "sum/max/min over " + java.util.Arrays.toString(a),
            tol(t) * 10,
            v ->
                List.of(
                    Ops.sum(v.get(0), a),
                    dev.arbor.core.primitives.Reductions.max(v.get(0), a),
                    dev.arbor.core.primitives.Reductions.min(v.get(0), a)),
            List.of(x));
      }
      agree(
          "sum of 100003",
          tol(t) * 100,
          v -> List.of(Ops.sum(v.get(0))),
          List.of(random(r, t, 100003)));
    }
  }

  @Test
  void treeReductionsAgreeWithTheReference() {
    Random r = new Random(6);
    for (DType t : List.of(DType.F32, DType.F64)) {
      double tl = tol(t) * 100;
      Tensor full = random(r, t, 200003);
      agree(
          "full sum/max/min over 200003 (two passes)",
          tl,
          v ->
              List.of(
                  Ops.sum(v.get(0)),
                  Reductions.max(v.get(0), 0),
                  Reductions.min(v.get(0), 0),
                  Reductions.prod(v.get(0).mul(1e-4).add(1.0), 0)),
          List.of(full));
      agree(
          "row sums/max of [5, 3001] and the full sum (one and two passes)",
          tl,
          v -> List.of(Ops.sum(v.get(0), 1), Reductions.max(v.get(0), 1), Ops.sum(v.get(0), 0, 1)),
          List.of(random(r, t, 5, 3001)));
      agree(
          "column sums of [4000, 3] (few kept points: tree over a strided axis)",
          tl,
          v -> List.of(Ops.sum(v.get(0), 0), Reductions.min(v.get(0), 0)),
          List.of(random(r, t, 4000, 3)));
      agree(
          "axes {0, 2} of [70, 3, 50]",
          tl,
          v -> List.of(Ops.sum(v.get(0), 0, 2)),
          List.of(random(r, t, 70, 3, 50)));
      Function<List<Tensor>, List<Tensor>> fused =
          Arbor.jit(
              (List<Tensor> x) -> {
                Tensor e = Ops.exp(Ops.mul(x.get(0), x.get(1)));
                return List.of(e, Ops.sum(e, 1), Ops.sum(Ops.tanh(x.get(0))));
              });
      agree(
          "jit cluster with a trailing tree reduction and a stored value",
          tl,
          fused,
          List.of(random(r, t, 4, 6001), random(r, t, 6001)));
    }
  }

  @Test
  void treeReductionsOfIntegersAndBoolsAreExact() {
    Random r = new Random(7);
    Tensor x = random(r, DType.F64, 3, 70001);
    agree(
        "I32/I64 sums, max, min and a BOOL count",
        0,
        v ->
            List.of(
                Ops.sum(Ops.astype(v.get(0).mul(1000.0), DType.I32), 1),
                Ops.sum(Ops.astype(v.get(0).mul(1e6), DType.I64)),
                Reductions.max(Ops.astype(v.get(0).mul(1000.0), DType.I32), 0, 1),
                Reductions.min(Ops.astype(v.get(0).mul(1000.0), DType.I64), 1),
                Ops.sum(Elementwise.gt(v.get(0), v.get(0).mul(0.0)), 0, 1)),
        List.of(x));
  }

  @Test
  void treeReductionsPropagateNanAndAreDeterministic() {
    double[] v = new double[50001];
    Random r = new Random(8);
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextGaussian();
    }
    v[31337] = Double.NaN;
    Tensor x = Tensor.fromArray(v, v.length).to("opencl");
    assertTrue(Double.isNaN(Ops.sum(x).item()), "sum with a NaN");
    assertTrue(Double.isNaN(Reductions.max(x, 0).item()), "max with a NaN");
    assertTrue(Double.isNaN(Reductions.min(x, 0).item()), "min with a NaN");
    Tensor y = Ops.astype(random(r, DType.F64, 1 << 20), DType.F32).to("opencl");
    double first = Ops.sum(y).item();
    for (int k = 0; k < 3; k++) {
      assertEquals(
          Double.doubleToRawLongBits(first),
          Double.doubleToRawLongBits(Ops.sum(y).item()),
          "the same sum, bit for bit, on every run");
    }
  }

  @Test
  void newPrimitivesRunAsDeviceKernels() {
    // No reference fallback: each has a kernel (so `arbor info` says "own"), and the plan is a
    // device kernel, not "reference kernel on host" (the testkit checks their values).
    for (DType t : List.of(DType.I32, DType.I64)) {
      List<AbstractValue> two =
          List.of(new AbstractValue(Shape.of(10), t), new AbstractValue(Shape.of(10), t));
      assertEquals(
          "loop kernel arbor_shift_left_" + t.shortName(),
          cl.plan(Elementwise.SHIFT_LEFT, Params.EMPTY, two));
      assertEquals(
          "loop kernel arbor_shift_right_logical_" + t.shortName(),
          cl.plan(Elementwise.SHIFT_RIGHT_LOGICAL, Params.EMPTY, two));
    }
    for (DType t : List.of(DType.F32, DType.F64)) {
      assertEquals(
          "loop kernel arbor_erf_inv_" + t.shortName(),
          cl.plan(Elementwise.ERF_INV, Params.EMPTY, List.of(new AbstractValue(Shape.of(10), t))));
    }
    assertEquals(
        "index reduction arbor_argmax_f32_i64 LineSizes[lines=8, length=3, inner=4]",
        cl.plan(
            Reductions.ARGMAX,
            Params.of("axis", 1, "index_dtype", DType.I64),
            List.of(new AbstractValue(Shape.of(2, 3, 4), DType.F32))));
    AbstractValue x = new AbstractValue(Shape.of(6, 5), DType.F32);
    AbstractValue idx = new AbstractValue(Shape.of(4), DType.I64);
    Params axis0 = Params.of("axis", 0, "batch_dims", 0);
    assertEquals(
        "index kernel arbor_gather_f32_i64 Sizes[items=20, p1=1, ni=4, p2=5, len=6, parts=1]",
        cl.plan(dev.arbor.core.primitives.Indexing.GATHER, axis0, List.of(x, idx)));
    assertEquals(
        "index kernel arbor_scatter_add_f32_i64 Sizes[items=20, p1=1, ni=4, p2=5, len=6, parts=4]",
        cl.plan(
            dev.arbor.core.primitives.Indexing.SCATTER_ADD,
            axis0,
            List.of(x, idx, new AbstractValue(Shape.of(4, 5), DType.F32))));
    assertEquals(
        "scan kernel arbor_cumsum_reverse_f32 LineSizes[lines=24, length=5, inner=4]",
        cl.plan(
            Reductions.CUMSUM,
            Params.of("axis", 1, "reverse", true),
            List.of(new AbstractValue(Shape.of(6, 5, 4), DType.F32))));
    AbstractValue keys = new AbstractValue(Shape.of(2, 3, 4), DType.F32);
    AbstractValue ride = new AbstractValue(Shape.of(2, 3, 4), DType.I32);
    assertEquals(
        "sort kernel arbor_sort_f32_i32_64 Sizes[lines=8, n=3, inner=4, padded=4]",
        cl.plan(dev.arbor.core.primitives.Sorting.SORT, Params.of("axis", 1), List.of(keys, ride)));
    assertEquals(
        "sort kernels arbor_sort_f64_blocks, arbor_sort_f64_step, arbor_sort_f64_merge,"
            + " arbor_sort_f64_gather (7 launches) Sizes[lines=1, n=5000, inner=1, padded=8192]",
        cl.plan(
            dev.arbor.core.primitives.Sorting.SORT,
            Params.of("axis", 0),
            List.of(new AbstractValue(Shape.of(5000), DType.F64))));
    AbstractValue u = new AbstractValue(Shape.of(7), DType.I32);
    assertEquals(
        "threefry kernel arbor_threefry2x32",
        cl.plan(
            dev.arbor.core.primitives.Threefry.THREEFRY2X32, Params.EMPTY, List.of(u, u, u, u)));
    for (var p :
        List.of(
            dev.arbor.core.primitives.Threefry.THREEFRY2X32,
            Reductions.CUMSUM,
            dev.arbor.core.primitives.Sorting.SORT,
            dev.arbor.core.primitives.Indexing.GATHER,
            dev.arbor.core.primitives.Indexing.SCATTER_ADD,
            Elementwise.SHIFT_LEFT,
            Elementwise.SHIFT_RIGHT_LOGICAL,
            Elementwise.ERF_INV,
            Reductions.ARGMAX,
            Reductions.ARGMIN)) {
      assertTrue(cl.kernel(p).isPresent(), p.name());
    }
  }

  @Test
  void longSortsRunInPassesAndMatchTheReference() {
    // Lines past SortKernel.MAX_LOCAL (2048) run the multi-pass network; the positions riding
    // along must be the reference's exactly (the stable order), the keys too. Lines of 5000 (one),
    // 2500 (three, along the last axis) and 4100 (two, strided along the first).
    Random r = new Random(21);
    double[] pool = {
      -0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5, -1.5
    };
    int[][] shapes = {{5000}, {3, 2500}, {4100, 2}};
    int[] axes = {0, 1, 0};
    for (DType t : List.of(DType.F32, DType.F64, DType.I32, DType.I64)) {
      for (int c = 0; c < shapes.length; c++) {
        int[] shape = shapes[c];
        int n = shape.length == 1 ? shape[0] : shape[0] * shape[1];
        double[] k = new double[n];
        double[] at = new double[n];
        for (int i = 0; i < n; i++) {
          k[i] =
              t.isFloating() && r.nextInt(3) == 0
                  ? pool[r.nextInt(pool.length)]
                  : r.nextInt(40) - 20;
          at[i] = i;
        }
        Tensor keys = Ops.astype(Tensor.fromArray(k, shape), t);
        Tensor positions = Ops.astype(Tensor.fromArray(at, shape), DType.I32);
        int axis = axes[c];
        assertTrue(
            cl.plan(
                    dev.arbor.core.primitives.Sorting.SORT,
                    Params.of("axis", axis),
                    List.of(
                        new AbstractValue(Shape.of(shape), t),
                        new AbstractValue(Shape.of(shape), DType.I32)))
                .startsWith("sort kernels "),
            "multi-pass");
        agree(
            "sort " + t.shortName() + Shape.of(shape) + " axis " + axis,
            0,
            x -> dev.arbor.core.primitives.Sorting.sort(x, axis),
            List.of(keys, positions));
      }
    }
  }

  @Test
  void planNamesTheTreeReduction() {
    String full =
        cl.plan(
            Reductions.REDUCE_SUM,
            Params.of("axes", new int[] {0}),
            List.of(new AbstractValue(Shape.of(100000), DType.F32)));
    assertEquals(
        "tree reduction arbor_reduce_sum_f32 (25 work groups per output, then"
            + " arbor_combine_sum_f32)",
        full);
    String rows =
        cl.plan(
            Reductions.REDUCE_SUM,
            Params.of("axes", new int[] {1}),
            List.of(new AbstractValue(Shape.of(4096, 4096), DType.F32)));
    assertEquals("tree reduction arbor_reduce_sum_f32 (1 work group per output)", rows);
    String columns =
        cl.plan(
            Reductions.REDUCE_SUM,
            Params.of("axes", new int[] {0}),
            List.of(new AbstractValue(Shape.of(4096, 4096), DType.F32)));
    assertEquals("loop kernel arbor_reduce_sum_f32", columns, "many kept points, strided: loop");
    String small =
        cl.plan(
            Reductions.REDUCE_SUM,
            Params.of("axes", new int[] {0}),
            List.of(new AbstractValue(Shape.of(1000), DType.F32)));
    assertEquals("loop kernel arbor_reduce_sum_f32", small, "short: one work item");
  }

  @Test
  void matmulPlainTransposedAndBatched() {
    Random r = new Random(4);
    for (DType t : List.of(DType.F32, DType.F64)) {
      double tl = tol(t) * 20;
      agree(
          "matmul 33x17 · 17x9",
          tl,
          x -> List.of(Ops.matmul(x.get(0), x.get(1))),
          List.of(random(r, t, 33, 17), random(r, t, 17, 9)));
      agree(
          "matmul 1x1",
          tl,
          x -> List.of(Ops.matmul(x.get(0), x.get(1))),
          List.of(random(r, t, 1, 1), random(r, t, 1, 1)));
      agree(
          "matmul aT·b",
          tl,
          x -> List.of(Ops.matmul(Ops.transpose(x.get(0), 1, 0), x.get(1))),
          List.of(random(r, t, 19, 21), random(r, t, 19, 5)));
      agree(
          "batched",
          tl,
          x -> List.of(Ops.matmul(x.get(0), x.get(1))),
          List.of(random(r, t, 3, 10, 18), random(r, t, 3, 18, 20)));
      agree(
          "vector",
          tl,
          x -> List.of(Ops.matmul(x.get(0), x.get(1))),
          List.of(random(r, t, 40), random(r, t, 40, 3)));
    }
  }

  @Test
  void jitWithFusionAndAnMlpGradient() {
    Random r = new Random(5);
    for (DType t : List.of(DType.F32, DType.F64)) {
      Function<List<Tensor>, List<Tensor>> fused =
          Arbor.jit(
              (List<Tensor> x) ->
                  List.of(
                      Ops.sum(Ops.add(Ops.tanh(Ops.mul(x.get(0), x.get(0))), x.get(1)), 1),
                      Ops.exp(Ops.neg(Ops.mul(x.get(0), x.get(1))))));
      agree("jit fused", tol(t) * 10, fused, List.of(random(r, t, 6, 11), random(r, t, 11)));
      Function<List<Tensor>, List<Tensor>> grad =
          Arbor.jit(
              (List<Tensor> p) -> {
                List<Tensor> w = p.subList(0, 4);
                List<Tensor> d = p.subList(4, 6);
                List<Tensor> out = new ArrayList<>();
                out.add(mlpLoss(w, d));
                out.addAll(Arbor.grad((List<Tensor> q) -> mlpLoss(q, d)).apply(w));
                return out;
              });
      agree(
          "MLP loss and gradient under jit",
          t == DType.F32 ? 1e-4 : 1e-11,
          grad,
          List.of(
              random(r, t, 5, 16),
              random(r, t, 16),
              random(r, t, 16, 3),
              random(r, t, 3),
              random(r, t, 9, 5),
              random(r, t, 9, 3)));
    }
  }

  /**
   * conv_general forward and its gradients with respect to input and kernel (the transpose rules'
   * convolutions, with interior padding, flips and negative padding) on the device, eager and under
   * jit, against the reference: strides 1 and 2, SAME, asymmetric and negative padding, 1x1.
   */
  @TestFactory
  Stream<DynamicTest> convolutionAndItsGradients() {
    int[][][] specs = {
      {{2, 7, 7, 3}, {3, 3, 3, 4}, {1, 1}, {1, 1, 1, 1}},
      {{1, 9, 11, 2}, {3, 3, 2, 5}, {2, 2}, Convolution.samePadding(9, 11, 3, 3, 2, 2)},
      {{1, 9, 9, 3}, {3, 3, 3, 3}, {1, 1}, {-1, 2, -2, 0}},
      {{2, 13, 12, 2}, {5, 3, 2, 3}, {2, 3}, {2, 1, 0, 3}},
      {{3, 5, 7, 8}, {1, 1, 8, 3}, {1, 1}, {0, 0, 0, 0}},
    };
    List<DynamicTest> tests = new ArrayList<>();
    Random r = new Random(12);
    for (DType t : List.of(DType.F32, DType.F64)) {
      for (int[][] sp : specs) {
        Tensor x = random(r, t, sp[0]);
        Tensor k = random(r, t, sp[1]);
        String what =
            "conv "
                + t.shortName()
                + java.util.Arrays.toString(sp[0])
                + " x "
                + java.util.Arrays.toString(sp[1])
                + " strides "
                + java.util.Arrays.toString(sp[2])
                + " padding "
                + java.util.Arrays.toString(sp[3]);
        Function<List<Tensor>, Tensor> loss =
            q -> Ops.sum(Ops.tanh(Convolution.conv(q.get(0), q.get(1), sp[2], sp[3])));
        Function<List<Tensor>, List<Tensor>> f =
            q -> {
              List<Tensor> out = new ArrayList<>();
              out.add(Convolution.conv(q.get(0), q.get(1), sp[2], sp[3]));
              out.addAll(Arbor.grad(loss).apply(q));
              return out;
            };
        double rtol = t == DType.F32 ? 1e-4 : 1e-11;
        tests.add(DynamicTest.dynamicTest(what, () -> agree(what, rtol, f, List.of(x, k))));
        tests.add(
            DynamicTest.dynamicTest(
                what + " under jit", () -> agree(what, rtol, Arbor.jit(f), List.of(x, k))));
      }
    }
    return tests.stream();
  }

  static Tensor mlpLoss(List<Tensor> p, List<Tensor> d) {
    Tensor h = Ops.tanh(Ops.add(Ops.matmul(d.get(0), p.get(0)), p.get(1)));
    Tensor out = Ops.add(Ops.matmul(h, p.get(2)), p.get(3));
    Tensor err = Ops.sub(out, d.get(1));
    return Ops.mean(Ops.mul(err, err));
  }
}
