package dev.arbor.gpu.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.gpu.GpuException;
import dev.arbor.gpu.device.DeviceBuffer;
import dev.arbor.gpu.device.Native;
import dev.arbor.gpu.ir.MatmulKernel;
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
 * The {@code cuda} backend against a fake {@code libcuda.so} ({@code fakecuda/fake_cuda.c}, built
 * here with gcc): the same symbols and ABI on host memory, recording every launch and running a C
 * version of a few kernels by name. It proves the FFM marshalling (argument order and widths of
 * every downcall, {@code kernelParams}, grid and block sizes, copies both ways for every dtype),
 * error handling (a failing call raises {@link GpuException} naming the call, the code and its
 * name, and leaks nothing) and memory pooling. It cannot prove the PTX computes the right values:
 * that is {@code ptxas} (validity) and the {@code @Tag("gpu")} test on a real device. Skipped,
 * saying so, where gcc is absent.
 */
class FakeCudaTest {
  static Path library;
  static CudaBackend cuda;
  static MethodHandle liveAllocations;
  static MethodHandle setAllocLimit;
  static MethodHandle setLaunchError;
  static MethodHandle lastLaunch;
  static MethodHandle lastExecuted;

  @BeforeAll
  static void buildFakeDriver() throws Exception {
    Path dir = Files.createTempDirectory("arbor-fakecuda");
    Path src = dir.resolve("fake_cuda.c");
    try (InputStream in = FakeCudaTest.class.getResourceAsStream("/fakecuda/fake_cuda.c")) {
      Files.copy(in, src);
    }
    library = dir.resolve("libfakecuda.so");
    Process gcc;
    try {
      gcc =
          new ProcessBuilder(
                  "gcc", "-shared", "-fPIC", "-O1", "-o", library.toString(), src.toString(), "-lm")
              .redirectErrorStream(true)
              .start();
    } catch (java.io.IOException e) {
      assumeTrue(
          false, "gcc not found (" + e.getMessage() + "): the fake CUDA driver is not built");
      return;
    }
    String out = new String(gcc.getInputStream().readAllBytes());
    assertTrue(gcc.waitFor(120, TimeUnit.SECONDS), "gcc timed out");
    assertEquals(0, gcc.exitValue(), () -> "gcc failed:\n" + out);
    Native fake = Native.load(library.toString());
    liveAllocations = fake.bind("fake_live_allocations", FunctionDescriptor.of(JAVA_LONG));
    setAllocLimit = fake.bind("fake_set_alloc_limit", FunctionDescriptor.ofVoid(JAVA_LONG));
    setLaunchError = fake.bind("fake_set_launch_error", FunctionDescriptor.ofVoid(JAVA_INT));
    lastExecuted = fake.bind("fake_last_executed", FunctionDescriptor.of(JAVA_INT));
    lastLaunch =
        fake.bind("fake_last_launch", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    cuda = new CudaBackend(library.toString(), List.of());
  }

  @AfterEach
  void resetInjectedFailures() {
    Native.call(setAllocLimit, -1L);
    Native.call(setLaunchError, 0);
  }

  record Launch(String name, int[] grid, int[] block, long[] params) {}

  static Launch lastLaunch() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment name = a.allocate(256);
      MemorySegment dims = a.allocate(JAVA_INT, 6);
      MemorySegment params = a.allocate(JAVA_LONG, 64);
      int n = (int) Native.call(lastLaunch, name, dims, params);
      int[] d = dims.toArray(JAVA_INT);
      return new Launch(
          name.getString(0),
          new int[] {d[0], d[1], d[2]},
          new int[] {d[3], d[4], d[5]},
          params.asSlice(0, 8L * n).toArray(JAVA_LONG));
    }
  }

  static long fakeLive() {
    return (long) Native.call(liveAllocations);
  }

  static Tensor on(HostArray h) {
    return ConcreteTensor.wrap(cuda, cuda.upload(h), h.aval());
  }

  static HostArray floats(DType t, double... v) {
    return HostArray.ofDoubles(new AbstractValue(Shape.of(v.length), t), v);
  }

  static long handle(Tensor t) {
    return ((DeviceBuffer) ((ConcreteTensor) t).buffer()).handle().value();
  }

  @Test
  void availableWithTheDeviceDescribed() {
    assertTrue(cuda.isAvailable(), cuda.unavailableReason());
    assertEquals(100, cuda.rank());
    String d = cuda.describeDevice();
    assertTrue(d.contains("Arbor fake CUDA device") && d.contains("sm_90"), d);
    assertTrue(d.contains("CUDA driver 13.0"), d);
  }

  @Test
  void unavailableWithTheReasonWhenTheDriverIsMissing() {
    CudaBackend missing = new CudaBackend("/nonexistent/libcuda.so.1", List.of());
    assertFalse(missing.isAvailable());
    assertTrue(
        missing.unavailableReason().contains("/nonexistent/libcuda.so.1 could not be loaded"),
        missing.unavailableReason());
  }

  @Test
  void everyDtypeRoundTripsThroughDeviceMemory() {
    AbstractValue f32 = new AbstractValue(Shape.of(2, 3), DType.F32);
    double[] fv = {1.5, -2.25, (float) 3e-8, (float) 1e30, -0.0, 7}; // F32 values: exact
    assertArrayEquals(
        fv, cuda.download(cuda.upload(HostArray.ofDoubles(f32, fv.clone()))).toDoubles());
    double[] dv = {Math.PI, -1e-300, 1e300};
    assertArrayEquals(dv, cuda.download(cuda.upload(floats(DType.F64, dv.clone()))).toDoubles());
    for (DType t : List.of(DType.I32, DType.I64, DType.BOOL)) {
      long[] lv = t == DType.BOOL ? new long[] {1, 0, 1} : new long[] {-5, Integer.MAX_VALUE, 42};
      if (t == DType.I64) {
        lv[1] = Long.MIN_VALUE;
      }
      HostArray h = HostArray.ofLongs(new AbstractValue(Shape.of(3), t), lv.clone());
      assertArrayEquals(lv, cuda.download(cuda.upload(h)).toLongs(), t.toString());
    }
  }

  @Test
  void eagerAddLaunchesItsPtxEntryWithMarshalledArguments() {
    int n = 1000;
    double[] a = new double[n];
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = i * 0.5;
      b[i] = 3 - i;
    }
    Tensor x = on(floats(DType.F32, a.clone()));
    Tensor y = on(floats(DType.F32, b.clone()));
    Tensor z = Ops.add(x, y);
    Launch l = lastLaunch();
    assertEquals("arbor_add_f32", l.name());
    assertEquals(1, (int) Native.call(lastExecuted), "the fake ran its C add");
    assertArrayEquals(new int[] {256, 1, 1}, l.block());
    // Four points per work item (LoopKernel.POINTS_PER_ITEM): 250 items, one block of 256.
    assertArrayEquals(new int[] {1, 1, 1}, l.grid(), "ceil(ceil(1000 / 4) / 256) blocks");
    assertArrayEquals(new long[] {handle(x), handle(y), handle(z), n}, l.params());
    double[] got = z.toDoubleArray();
    for (int i = 0; i < n; i++) {
      assertEquals((float) (a[i] + b[i]), got[i], 0, "element " + i);
    }
  }

  @Test
  void matmulPassesShapeAndStridesOfATransposedOperand() {
    // a^T · b with a: [4, 3] (so a^T is read with strides), b: [4, 5].
    double[] av = new double[12];
    double[] bv = new double[20];
    for (int i = 0; i < av.length; i++) {
      av[i] = i - 4;
    }
    for (int i = 0; i < bv.length; i++) {
      bv[i] = 0.5 * i;
    }
    Tensor a = on(HostArray.ofDoubles(new AbstractValue(Shape.of(4, 3), DType.F32), av.clone()));
    Tensor b = on(HostArray.ofDoubles(new AbstractValue(Shape.of(4, 5), DType.F32), bv.clone()));
    Tensor c =
        dev.arbor.core.primitives.LinearAlgebra.DOT_GENERAL.bind1(
            Params.of(
                "lhs_contract",
                new int[] {0},
                "rhs_contract",
                new int[] {0},
                "lhs_batch",
                new int[0],
                "rhs_batch",
                new int[0]),
            a,
            b);
    Launch l = lastLaunch();
    assertEquals("arbor_matmul_f32", l.name());
    assertArrayEquals(new int[] {MatmulKernel.THREADS, 1, 1}, l.block());
    assertArrayEquals(new int[] {1, 1, 1}, l.grid());
    // batch, m, n, k, aBatch, aRow, aK, bBatch, bK, bCol
    assertArrayEquals(
        new long[] {handle(a), handle(b), handle(c), 1, 3, 5, 4, 0, 1, 3, 0, 5, 1}, l.params());
    double[] got = c.toDoubleArray();
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 5; j++) {
        double want = 0;
        for (int q = 0; q < 4; q++) {
          want += av[q * 3 + i] * bv[q * 5 + j];
        }
        assertEquals(want, got[i * 5 + j], 1e-4, "c[" + i + "," + j + "]");
      }
    }
  }

  @Test
  void aFailingAllocationNamesTheCallAndTheCode() {
    long before = cuda.liveBuffers();
    Native.call(setAllocLimit, 1000L);
    GpuException e =
        assertThrows(GpuException.class, () -> cuda.upload(floats(DType.F64, new double[500])));
    assertEquals("cuMemAlloc_v2", e.call());
    assertEquals(2, e.code());
    assertTrue(
        e.getMessage().startsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2) allocating"),
        e.getMessage());
    assertEquals(before, cuda.liveBuffers(), "a failed allocation holds nothing");
  }

  @Test
  void aFailingLaunchNamesTheKernelAndReleasesItsOutputs() {
    Tensor x = on(floats(DType.F32, 1, 2, 3));
    long before = cuda.liveBuffers();
    Native.call(setLaunchError, 719);
    GpuException e = assertThrows(GpuException.class, () -> Ops.add(x, x));
    assertEquals(
        "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (719) launching arbor_add_f32",
        e.getMessage());
    assertEquals(before, cuda.liveBuffers(), "the output buffer went back to the pool");
  }

  @Test
  void releasedBuffersGoBackToThePoolAndTrimFreesThemOnTheDevice() {
    cuda.trimPool();
    long live = cuda.liveBuffers();
    long fake = fakeLive();
    var buf = cuda.upload(floats(DType.F32, new double[100]));
    assertEquals(live + 1, cuda.liveBuffers());
    assertEquals(fake + 1, fakeLive());
    buf.release();
    buf.release(); // idempotent
    assertEquals(live, cuda.liveBuffers());
    assertEquals(fake + 1, fakeLive(), "cached in the pool, not freed");
    var again = cuda.upload(floats(DType.F32, new double[90])); // same 512-byte class: reused
    assertEquals(fake + 1, fakeLive());
    again.release();
    cuda.trimPool();
    assertEquals(fake, fakeLive(), "trim frees cached allocations with cuMemFree_v2");
  }

  @Test
  void whatPtxCannotComputeRunsOnTheHostThroughTheSameCopies() {
    // An integer matmul has no kernel: the reference kernel runs on host copies.
    Tensor a =
        on(
            HostArray.ofLongs(
                new AbstractValue(Shape.of(2, 2), DType.I64), new long[] {1, 2, 3, 4}));
    Tensor b =
        on(
            HostArray.ofLongs(
                new AbstractValue(Shape.of(2, 2), DType.I64), new long[] {5, 6, 7, 8}));
    AbstractValue av = ((ConcreteTensor) a).aval();
    assertTrue(
        cuda.plan(LinearAlgebra.DOT_GENERAL, matmulParams(), List.of(av, av))
            .startsWith("reference kernel on host"),
        cuda.plan(LinearAlgebra.DOT_GENERAL, matmulParams(), List.of(av, av)));
    assertArrayEquals(new double[] {19, 22, 43, 50}, Ops.matmul(a, b).toDoubleArray());
    // F64 exp is generated PTX now (DoubleMath), not a host fallback.
    List<AbstractValue> in = List.of(new AbstractValue(Shape.of(3), DType.F64));
    assertEquals("loop kernel arbor_exp_f64", cuda.plan(Elementwise.EXP, Params.EMPTY, in));
    assertEquals(
        "loop kernel arbor_exp_f32",
        cuda.plan(
            Elementwise.EXP, Params.EMPTY, List.of(new AbstractValue(Shape.of(3), DType.F32))));
  }

  static Params matmulParams() {
    return Params.of(
        "lhs_contract",
        new int[] {1},
        "rhs_contract",
        new int[] {0},
        "lhs_batch",
        new int[0],
        "rhs_batch",
        new int[0]);
  }
}
