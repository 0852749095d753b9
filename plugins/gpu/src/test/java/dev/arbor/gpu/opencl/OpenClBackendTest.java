package dev.arbor.gpu.opencl;

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
import dev.arbor.core.Var;
import dev.arbor.gpu.device.DeviceBackend;
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
