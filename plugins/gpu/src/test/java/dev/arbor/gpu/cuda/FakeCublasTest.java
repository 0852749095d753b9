package dev.arbor.gpu.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Convolution;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.gpu.GpuException;
import dev.arbor.gpu.device.Native;
import dev.arbor.gpu.ir.Lowering;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code cuda} backend's cuBLAS path against a fake {@code libcublas.so} ({@code
 * fakecuda/fake_cublas.c}, column-major GEMMs on host memory as cuBLAS documents them) over the
 * fake driver: matmuls with plain, transposed (gradient) and batched (vmap) operands agree with the
 * reference kernel, a failing status names the call and leaks nothing, and without cuBLAS the tiled
 * kernel runs. Skipped, saying so, where gcc is absent.
 */
class FakeCublasTest {
  static Path fakeCuda;
  static Path fakeCublas;
  static CudaBackend cuda;
  static MethodHandle gemmCalls;
  static MethodHandle setError;
  static MethodHandle liveHandles;
  static MethodHandle lastCall;
  static MethodHandle launchCount;

  static Path build(Path dir, String source, String lib) throws Exception {
    Path src = dir.resolve(source);
    try (InputStream in = FakeCublasTest.class.getResourceAsStream("/fakecuda/" + source)) {
      Files.copy(in, src);
    }
    Path out = dir.resolve(lib);
    Process gcc;
    try {
      gcc =
          new ProcessBuilder(
                  "gcc", "-shared", "-fPIC", "-O1", "-o", out.toString(), src.toString(), "-lm")
              .redirectErrorStream(true)
              .start();
    } catch (java.io.IOException e) {
      assumeTrue(false, "gcc not found (" + e.getMessage() + "): the fakes are not built");
      return null;
    }
    String log = new String(gcc.getInputStream().readAllBytes());
    assertTrue(gcc.waitFor(120, TimeUnit.SECONDS), "gcc timed out");
    assertEquals(0, gcc.exitValue(), () -> "gcc failed:\n" + log);
    return out;
  }

  @BeforeAll
  static void buildFakes() throws Exception {
    Path dir = Files.createTempDirectory("arbor-fakecublas");
    fakeCuda = build(dir, "fake_cuda.c", "libfakecuda.so");
    fakeCublas = build(dir, "fake_cublas.c", "libfakecublas.so");
    Native blas = Native.load(fakeCublas.toString());
    gemmCalls = blas.bind("fake_cublas_gemm_calls", FunctionDescriptor.of(JAVA_LONG));
    liveHandles = blas.bind("fake_cublas_live_handles", FunctionDescriptor.of(JAVA_LONG));
    setError = blas.bind("fake_cublas_set_error", FunctionDescriptor.ofVoid(JAVA_INT));
    lastCall = blas.bind("fake_cublas_last_call", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    launchCount =
        Native.load(fakeCuda.toString())
            .bind("fake_launch_count", FunctionDescriptor.of(JAVA_LONG));
    // The first candidate is missing: the search goes on to the next.
    cuda =
        new CudaBackend(
            fakeCuda.toString(), List.of("/nonexistent/libcublas.so.13", fakeCublas.toString()));
  }

  @AfterEach
  void reset() {
    Native.call(setError, 0);
  }

  static long calls() {
    return (long) Native.call(gemmCalls);
  }

  static long launches() {
    return (long) Native.call(launchCount);
  }

  /** transa, transb, m, n, k, lda, ldb, ldc of the last GEMM, then its batch count. */
  static long[] last() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment args = a.allocate(JAVA_INT, 8);
      long batch = (long) Native.call(lastCall, args);
      int[] v = args.toArray(JAVA_INT);
      long[] r = new long[9];
      for (int i = 0; i < 8; i++) {
        r[i] = v[i];
      }
      r[8] = batch;
      return r;
    }
  }

  static HostArray host(DType t, int[] shape, int seed) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = ((i * 7 + seed * 13) % 11 - 5) * 0.25;
    }
    return HostArray.ofDoubles(new AbstractValue(Shape.of(shape), t), v);
  }

  static Tensor on(CudaBackend b, HostArray h) {
    return ConcreteTensor.wrap(b, b.upload(h), h.aval());
  }

  static Params dims(int[] lc, int[] rc, int[] lb, int[] rb) {
    return Params.of("lhs_contract", lc, "rhs_contract", rc, "lhs_batch", lb, "rhs_batch", rb);
  }

  /** The reference kernel's result for a dot_general. */
  static double[] reference(Params p, HostArray x, HostArray y) {
    List<AbstractValue> in = List.of(x.aval(), y.aval());
    List<AbstractValue> out = LinearAlgebra.DOT_GENERAL.abstractEval(in, p);
    return LinearAlgebra.DOT_GENERAL
        .referenceKernel()
        .apply(List.of(x, y), p, out)
        .get(0)
        .toDoubles();
  }

  void agrees(DType t, int[] xs, int[] ys, Params p, String expectedCall) {
    HostArray x = host(t, xs, 1);
    HostArray y = host(t, ys, 2);
    double[] want = reference(p, x, y);
    List<AbstractValue> in = List.of(x.aval(), y.aval());
    String plan = cuda.plan(LinearAlgebra.DOT_GENERAL, p, in);
    assertTrue(plan.startsWith("cuBLAS (" + fakeCublas + ") gemm"), plan);
    long before = calls();
    long launched = launches();
    Tensor z = LinearAlgebra.DOT_GENERAL.bind1(p, on(cuda, x), on(cuda, y));
    assertEquals(before + 1, calls(), "one cuBLAS call");
    assertEquals(launched, launches(), "no kernel launched");
    assertEquals(expectedCall, java.util.Arrays.toString(last()), "the cuBLAS arguments");
    assertArrayEquals(want, z.toDoubleArray(), t == DType.F32 ? 1e-4 : 1e-12);
  }

  @Test
  void describedAsUsingCublas() {
    assertTrue(cuda.isAvailable(), cuda.unavailableReason());
    String d = cuda.describeDevice();
    assertTrue(d.contains("matmul by cuBLAS (" + fakeCublas + ")"), d);
    assertEquals(1L, (long) Native.call(liveHandles), "one cuBLAS handle");
  }

  @Test
  void plainMatmulSwapsOperandsForColumnMajor() {
    int[] none = new int[0];
    // [3,4]·[4,5]: cuBLAS computes Cᵀ (5×3) = Bᵀ·Aᵀ, both untransposed, lda = 5, ldb = 4, ldc = 5.
    for (DType t : List.of(DType.F32, DType.F64)) {
      agrees(
          t,
          new int[] {3, 4},
          new int[] {4, 5},
          dims(new int[] {1}, new int[] {0}, none, none),
          "[0, 0, 5, 3, 4, 5, 4, 5, 1]");
    }
  }

  @Test
  void transposedOperandsUseTheTransFlags() {
    int[] none = new int[0];
    // aᵀ·b (the weight gradient of x·w): a [4,3] read with its K axis leading.
    agrees(
        DType.F32,
        new int[] {4, 3},
        new int[] {4, 5},
        dims(new int[] {0}, new int[] {0}, none, none),
        "[0, 1, 5, 3, 4, 5, 3, 5, 1]");
    // a·bᵀ (the input gradient): b [5,4] contracted on its last axis.
    agrees(
        DType.F64,
        new int[] {3, 4},
        new int[] {5, 4},
        dims(new int[] {1}, new int[] {1}, none, none),
        "[1, 0, 5, 3, 4, 4, 4, 5, 1]");
  }

  @Test
  void batchedMatmulIsOneStridedBatchedCall() {
    agrees(
        DType.F32,
        new int[] {6, 3, 4},
        new int[] {6, 4, 2},
        dims(new int[] {2}, new int[] {1}, new int[] {0}, new int[] {0}),
        "[0, 0, 2, 3, 4, 2, 4, 2, 6]");
  }

  @Test
  void gradientAndVmapRunOnCublas() {
    HostArray xh = host(DType.F32, new int[] {3, 4}, 1);
    HostArray wh = host(DType.F32, new int[] {4, 5}, 2);
    Tensor x = on(cuda, xh);
    Tensor w = on(cuda, wh);
    // The cotangent lives on the cuda backend too (grad would make its ones on the default one).
    Tensor ones =
        on(cuda, HostArray.ofDoubles(new AbstractValue(Shape.of(3, 5), DType.F32), ones(15)));
    long before = calls();
    Tensor g = Arbor.vjp((Tensor v) -> Ops.matmul(x, v), w).pullback(ones);
    assertTrue(calls() > before, "the gradient's matmuls ran on cuBLAS");
    // The weight gradient xᵀ·ct reads x with its contracting axis leading: cuBLAS's second operand
    // (our x) goes in with CUBLAS_OP_T. (Its values are not checked here: the fake driver does not
    // execute the transpose kernel the AD rule adds around the product; transposedOperandsUseThe
    // TransFlags checks such products against the reference kernel.)
    long[] call = last();
    assertEquals(1, call[1], "transb = CUBLAS_OP_T in " + java.util.Arrays.toString(call));
    assertArrayEquals(new long[] {4, 5}, new long[] {g.shape().dims()[0], g.shape().dims()[1]});
    HostArray bh = host(DType.F64, new int[] {5, 3, 4}, 3);
    long beforeVmap = calls();
    Tensor grams = Arbor.vmap((Tensor b) -> Ops.einsum("ij,kj->ik", b, b)).apply(on(cuda, bh));
    assertTrue(calls() > beforeVmap, "the vmapped matmul ran on cuBLAS");
    double[] bv = bh.toDoubles();
    double[] got = grams.toDoubleArray();
    for (int p = 0; p < 5; p++) {
      for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 3; k++) {
          double want = 0;
          for (int j = 0; j < 4; j++) {
            want += bv[p * 12 + i * 4 + j] * bv[p * 12 + k * 4 + j];
          }
          assertEquals(want, got[p * 9 + i * 3 + k], 1e-12, "gram[" + p + "," + i + "," + k + "]");
        }
      }
    }
  }

  @Test
  void convolutionsRunTheirMatmulOnCublas() {
    // 1x1, stride 1, no padding: the input is the patch matrix; one cuBLAS call and no launch.
    for (DType t : List.of(DType.F32, DType.F64)) {
      HostArray x = host(t, new int[] {2, 3, 5, 4}, 1);
      HostArray k = host(t, new int[] {1, 1, 4, 3}, 2);
      Params p = Params.of("strides", new int[] {1, 1}, "padding", new int[4]);
      List<AbstractValue> in = List.of(x.aval(), k.aval());
      String plan = cuda.plan(Convolution.CONV_GENERAL, p, in);
      assertTrue(
          plan.startsWith("conv as one matmul (1x1 kernel, stride 1, no padding): cuBLAS"), plan);
      AbstractValue out = Convolution.CONV_GENERAL.abstractEval(in, p).get(0);
      double[] want =
          Convolution.CONV_GENERAL
              .referenceKernel()
              .apply(List.of(x, k), p, List.of(out))
              .get(0)
              .toDoubles();
      long before = calls();
      long launched = launches();
      Tensor y = Convolution.CONV_GENERAL.bind1(p, on(cuda, x), on(cuda, k));
      assertEquals(before + 1, calls(), "one cuBLAS call");
      assertEquals(launched, launches(), "no kernel launched");
      assertArrayEquals(want, y.toDoubleArray(), t == DType.F32 ? 1e-5 : 1e-12);
    }
    // A padded 3x3: the im2col kernel into scratch, then cuBLAS with M = N*OH*OW = 25, K = 18,
    // N = O = 4 (cuBLAS's m and n swapped for column-major). The fake driver does not run the
    // im2col kernel (PtxConvTest runs its PTX); the launch and the call are checked here.
    HostArray xh = host(DType.F32, new int[] {1, 5, 5, 2}, 3);
    HostArray kh = host(DType.F32, new int[] {3, 3, 2, 4}, 4);
    Tensor x = on(cuda, xh);
    Tensor k = on(cuda, kh);
    Params p = Params.of("strides", new int[] {1, 1}, "padding", new int[] {1, 1, 1, 1});
    String plan = cuda.plan(Convolution.CONV_GENERAL, p, List.of(xh.aval(), kh.aval()));
    assertTrue(plan.startsWith("conv: im2col loop kernel arbor_im2col_f32 to scratch"), plan);
    assertTrue(plan.contains("then cuBLAS"), plan);
    long live = cuda.liveBuffers();
    long before = calls();
    long launched = launches();
    Tensor y = Convolution.CONV_GENERAL.bind1(p, x, k);
    assertEquals(launched + 1, launches(), "the im2col kernel");
    assertEquals(before + 1, calls(), "one cuBLAS call");
    long[] call = last();
    assertArrayEquals(new long[] {4, 25, 18}, new long[] {call[2], call[3], call[4]});
    assertEquals(live + 1, cuda.liveBuffers(), "the scratch went back to the pool");
    // A failing gemm releases scratch and output.
    Native.call(setError, 13);
    assertThrows(GpuException.class, () -> Convolution.CONV_GENERAL.bind1(p, x, k));
    assertEquals(live + 1, cuda.liveBuffers(), "scratch and output went back to the pool");
    java.lang.ref.Reference.reachabilityFence(y);
  }

  static double[] ones(int n) {
    double[] v = new double[n];
    java.util.Arrays.fill(v, 1);
    return v;
  }

  @Test
  void aFailingStatusNamesTheCallAndLeaksNothing() {
    Tensor x = on(cuda, host(DType.F32, new int[] {3, 4}, 1));
    Tensor y = on(cuda, host(DType.F32, new int[] {4, 5}, 2));
    long before = cuda.liveBuffers();
    Native.call(setError, 13);
    Params p = dims(new int[] {1}, new int[] {0}, new int[0], new int[0]);
    GpuException e =
        assertThrows(GpuException.class, () -> LinearAlgebra.DOT_GENERAL.bind1(p, x, y));
    assertEquals("cublasSgemm_v2", e.call());
    assertEquals(13, e.code());
    assertTrue(
        e.getMessage().startsWith("cublasSgemm_v2 failed: CUBLAS_STATUS_EXECUTION_FAILED (13)"),
        e.getMessage());
    assertEquals(before, cuda.liveBuffers(), "the output buffer went back to the pool");
  }

  @Test
  void stridesCublasCannotExpressKeepTheTiledKernel() {
    // Neither of cuBLAS's layouts fits: unit stride on no axis of the operand.
    assertEquals(null, Cublas.operand(3, 4, 2, 8));
    Lowering.MatmulShape s = new Lowering.MatmulShape(1, 3, 5, 4, 0, 4, 1, 0, 5, 1);
    assertEquals(
        new Cublas.Call(5, 3, 4, new Cublas.Operand(0, 5), new Cublas.Operand(0, 4), 5),
        Cublas.call(s));
  }

  @Test
  void withoutCublasTheTiledKernelRunsAndTheReasonIsShown() {
    CudaBackend tiled = new CudaBackend(fakeCuda.toString(), List.of("/nonexistent/libcublas.so"));
    assertTrue(tiled.isAvailable(), tiled.unavailableReason());
    String d = tiled.describeDevice();
    assertTrue(
        d.contains("tiled matmul kernel (no cuBLAS: /nonexistent/libcublas.so could not be loaded"),
        d);
    HostArray x = host(DType.F32, new int[] {3, 4}, 1);
    HostArray y = host(DType.F32, new int[] {4, 5}, 2);
    Params p = dims(new int[] {1}, new int[] {0}, new int[0], new int[0]);
    assertTrue(
        tiled
            .plan(LinearAlgebra.DOT_GENERAL, p, List.of(x.aval(), y.aval()))
            .startsWith("matmul kernel arbor_matmul_f32"));
    long before = calls();
    long launched = launches();
    Tensor z = LinearAlgebra.DOT_GENERAL.bind1(p, on(tiled, x), on(tiled, y));
    assertEquals(before, calls(), "cuBLAS not called");
    assertEquals(launched + 1, launches(), "the tiled kernel launched");
    assertArrayEquals(reference(p, x, y), z.toDoubleArray(), 1e-4);
  }
}
