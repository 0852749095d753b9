package dev.arbor.gpu.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backends;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.Convolution;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Indexing;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.gpu.device.DeviceBackend;
import dev.arbor.testkit.PrimitiveCases;
import dev.arbor.transform.jit.Fused;
import dev.arbor.transform.jit.Fusion;
import dev.arbor.transform.jit.Jit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The {@code opencl} backend's own behaviour: discovery, fused kernels, memory. */
class OpenClBackendTest {
  static DeviceBackend cl;

  @BeforeAll
  static void device() {
    cl =
        (DeviceBackend)
            Backends.all().stream()
                .filter(b -> b.name().equals("opencl"))
                .findFirst()
                .orElseThrow();
    assumeTrue(cl.isAvailable(), () -> "no OpenCL device: " + cl.unavailableReason());
  }

  @Test
  void describeListsBothGpuBackendsWithReasons() {
    String d = Arbor.describe();
    assertTrue(d.contains("opencl"), d);
    assertTrue(d.contains("cuda"), d);
    OpenClBackend missing = new OpenClBackend("/nonexistent/libOpenCL.so.1");
    assertFalse(missing.isAvailable());
    assertTrue(
        missing.unavailableReason().contains("could not be loaded"), missing.unavailableReason());
  }

  @Test
  void aCpuDeviceRanksBelowCpuSimd() {
    if (cl.describeDevice().contains("CPU device")) {
      assertEquals(5, cl.rank());
    } else {
      assertEquals(50, cl.rank());
    }
  }

  @Test
  void everyFusionClusterOfAnMlpStepIsOneGeneratedKernel() {
    List<AbstractValue> in = List.of(av(9, 5), av(5, 16), av(16), av(16, 3), av(3), av(9, 3));
    Graph g =
        Fusion.cluster(
            Jit.optimize(
                Jit.makeGraph(
                    x -> {
                      List<Tensor> w = x.subList(1, 5);
                      List<Tensor> d = List.of(x.get(0), x.get(5));
                      return Arbor.grad((List<Tensor> q) -> OpenClConformanceTest.mlpLoss(q, d))
                          .apply(w);
                    },
                    in)));
    int clusters = 0;
    for (Equation e : g.equations()) {
      List<AbstractValue> avals = new ArrayList<>();
      for (Var v : e.inputs()) {
        avals.add(v.aval());
      }
      if (e.primitive() == Fused.FUSED) {
        clusters++;
        String plan = cl.plan(e.primitive(), e.params(), avals);
        assertTrue(plan.startsWith("loop kernel arbor_fused_"), plan + " for " + e);
      } else if (e.primitive().name().equals("dot_general")) {
        String plan = cl.plan(e.primitive(), e.params(), avals);
        assertTrue(plan.startsWith("matmul kernel"), plan + " for " + e);
      }
    }
    assertTrue(clusters >= 2, "clusters in " + g);
  }

  @Test
  void layoutPrimitivesRunAsDeviceKernels() {
    AbstractValue x = new AbstractValue(Shape.of(4, 6), DType.F32);
    AbstractValue s = new AbstractValue(Shape.of(), DType.F32);
    AbstractValue i = new AbstractValue(Shape.of(), DType.I64);
    AbstractValue u = new AbstractValue(Shape.of(2, 3), DType.F32);
    record Use(Primitive p, Params params, List<AbstractValue> in, String plan) {}
    List<Use> uses =
        List.of(
            new Use(
                Indexing.SLICE,
                Params.of(
                    "start",
                    new int[] {1, 0},
                    "limit",
                    new int[] {3, 6},
                    "strides",
                    new int[] {1, 2}),
                List.of(x),
                "loop kernel arbor_slice_f32"),
            new Use(
                Indexing.PAD,
                Params.of(
                    "low",
                    new int[] {1, 0},
                    "high",
                    new int[] {0, 2},
                    "interior",
                    new int[] {1, 0}),
                List.of(x, s),
                "loop kernel arbor_pad_f32"),
            new Use(
                Indexing.CONCATENATE,
                Params.of("axis", 1),
                List.of(x, x),
                "loop kernel arbor_concatenate_f32"),
            new Use(
                Generators.IOTA,
                Params.of("dtype", DType.I64, "shape", new int[] {3, 5}, "dimension", 1),
                List.of(),
                "loop kernel arbor_iota_i64"),
            new Use(
                Indexing.DYNAMIC_SLICE,
                Params.of("sizes", new int[] {2, 3}),
                List.of(x, i, i),
                "loop kernel arbor_dynamic_slice_f32"),
            new Use(
                Indexing.DYNAMIC_UPDATE_SLICE,
                Params.EMPTY,
                List.of(x, u, i, i),
                "loop kernel arbor_dynamic_update_slice_f32"),
            new Use(
                Indexing.SQUEEZE,
                Params.of("dims", new int[] {0}),
                List.of(new AbstractValue(Shape.of(1, 6), DType.F32)),
                "device copy"),
            new Use(
                Indexing.EXPAND_DIMS, Params.of("dims", new int[] {0}), List.of(x), "device copy"));
    for (Use use : uses) {
      assertTrue(cl.kernel(use.p()).isPresent(), use.p().name());
      assertEquals(use.plan(), cl.plan(use.p(), use.params(), use.in()), use.p().name());
    }
  }

  @Test
  void convolutionsPlanDeviceKernels() {
    assertTrue(cl.kernel(Convolution.CONV_GENERAL).isPresent());
    // The testkit's forward convolutions and those their transpose rules bind, F32 and F64.
    for (DType t : List.of(DType.F32, DType.F64)) {
      for (int[][] sp : PrimitiveCases.convSpecs()) {
        List<AbstractValue> in =
            List.of(new AbstractValue(Shape.of(sp[0]), t), new AbstractValue(Shape.of(sp[1]), t));
        String plan = cl.plan(Convolution.CONV_GENERAL, PrimitiveCases.convParams(sp), in);
        String mm = "matmul kernel arbor_matmul_" + t.shortName();
        boolean identity =
            sp[1][0] == 1
                && sp[1][1] == 1
                && java.util.Arrays.equals(sp[2], new int[] {1, 1})
                && java.util.Arrays.equals(sp[3], new int[4]);
        String want =
            identity
                ? "conv as one matmul (1x1 kernel, stride 1, no padding): " + mm
                : "conv: im2col loop kernel arbor_im2col_" + t.shortName();
        assertTrue(plan.startsWith(want), plan);
        assertTrue(plan.contains(mm), plan);
      }
    }
    long before = cl.liveBuffers();
    try (var scope = Arbor.scope()) {
      assertTrue(scope != null);
      Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 1, 2, 3, 1).to("opencl");
      Tensor k = Tensor.fromArray(new double[] {1, -1}, 1, 2, 1, 1).to("opencl");
      Tensor y = Convolution.conv(x, k, new int[] {1, 2}, new int[] {0, 0, 1, 0});
      // out[0, i, j] = x[i, 2j - 1] - x[i, 2j]: columns -1 (zero) and 1 read with the kernel.
      assertArrayEquals(new double[] {-1, -1, -4, -1}, y.toDoubleArray());
      // No contraction (C = 0): zeros, as the reference gives.
      Tensor e =
          Convolution.conv(
              Tensor.zeros(1, 3, 3, 0).to("opencl"),
              Tensor.zeros(2, 2, 0, 2).to("opencl"),
              new int[] {1, 1},
              new int[] {0, 0, 0, 0});
      assertArrayEquals(new double[8], e.toDoubleArray());
    }
    assertEquals(before, cl.liveBuffers(), "scratch and outputs go back to the pool");
  }

  @Test
  void dotGeneralsWhoseAxesDoNotFlattenAreTransposedOnTheDevice() {
    // lhs [2, 3, 4] batch 1, contracting {2, 0}: the contracting pair has no single stride.
    Params mixed =
        Params.of(
            "lhs_contract",
            new int[] {2, 0},
            "rhs_contract",
            new int[] {0, 2},
            "lhs_batch",
            new int[] {1},
            "rhs_batch",
            new int[] {1});
    String plan = cl.plan(LinearAlgebra.DOT_GENERAL, mixed, List.of(av(2, 3, 4), av(4, 3, 2)));
    assertTrue(plan.startsWith("dot_general: lhs transposed by "), plan);
    assertTrue(plan.contains("rhs transposed by "), plan);
    assertTrue(plan.contains("matmul kernel arbor_matmul_f32"), plan);
    Params empty =
        Params.of(
            "lhs_contract",
            new int[] {1},
            "rhs_contract",
            new int[] {0},
            "lhs_batch",
            new int[0],
            "rhs_batch",
            new int[0]);
    assertEquals(
        "dot_general with an empty contraction: zeros",
        cl.plan(LinearAlgebra.DOT_GENERAL, empty, List.of(av(3, 0), av(0, 2))));
    long before = cl.liveBuffers();
    try (var scope = Arbor.scope()) {
      assertTrue(scope != null);
      double[] xv = new double[24];
      double[] yv = new double[24];
      for (int i = 0; i < 24; i++) {
        xv[i] = i * 0.5 - 3;
        yv[i] = (i % 7) - 2.5;
      }
      LinearAlgebra.Dims dims =
          new LinearAlgebra.Dims(new int[] {2, 0}, new int[] {0, 2}, new int[] {1}, new int[] {1});
      Tensor want =
          LinearAlgebra.dotGeneral(
              Tensor.fromArray(xv, 2, 3, 4), Tensor.fromArray(yv, 4, 3, 2), dims);
      Tensor got =
          LinearAlgebra.dotGeneral(
              Tensor.fromArray(xv, 2, 3, 4).to("opencl"),
              Tensor.fromArray(yv, 4, 3, 2).to("opencl"),
              dims);
      assertArrayEquals(want.toDoubleArray(), got.toDoubleArray(), 1e-12);
      Tensor zeros =
          LinearAlgebra.dotGeneral(
              Tensor.zeros(3, 0).to("opencl"),
              Tensor.zeros(0, 2).to("opencl"),
              new LinearAlgebra.Dims(new int[] {1}, new int[] {0}, new int[0], new int[0]));
      assertArrayEquals(new double[6], zeros.toDoubleArray());
    }
    assertEquals(before, cl.liveBuffers(), "the transposed scratch goes back to the pool");
  }

  @Test
  void aScopeReturnsEveryDeviceBufferToThePool() {
    long before = cl.liveBuffers();
    try (var scope = Arbor.scope()) {
      assertTrue(scope != null);
      Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).to("opencl");
      Tensor y = Ops.sum(Ops.tanh(Ops.mul(x, x)), 1);
      assertEquals(2, y.toDoubleArray().length);
      assertTrue(cl.liveBuffers() > before);
    }
    assertEquals(before, cl.liveBuffers());
  }

  private static AbstractValue av(int... dims) {
    return new AbstractValue(Shape.of(dims), DType.F32);
  }
}
