package dev.arbor.gpu.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.arbor.gpu.GpuException;
import dev.arbor.gpu.device.Device;
import dev.arbor.gpu.device.Native;
import dev.arbor.gpu.device.ScratchArena;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The CUDA driver API through FFM downcalls to {@code libcuda.so.1}: device 0's primary context
 * (made current on each thread that uses it), one stream, and the versioned entry points ({@code
 * cuMemAlloc_v2}, {@code cuMemcpyHtoD_v2}, …) that CUDA's headers map the plain names to. PTX is
 * handed to {@code cuModuleLoadData}, which JIT-compiles it for the device: no toolkit or NVRTC is
 * needed at run time. Every call's {@code CUresult} is checked; a failure raises {@link
 * GpuException} naming the call, the code and its name. Not thread-safe (the backend serializes).
 */
final class CudaDevice implements Device {
  private static final int ATTR_CC_MAJOR = 75;
  private static final int ATTR_CC_MINOR = 76;

  private static final Map<Integer, String> ERRORS =
      Map.ofEntries(
          Map.entry(1, "CUDA_ERROR_INVALID_VALUE"),
          Map.entry(2, "CUDA_ERROR_OUT_OF_MEMORY"),
          Map.entry(3, "CUDA_ERROR_NOT_INITIALIZED"),
          Map.entry(4, "CUDA_ERROR_DEINITIALIZED"),
          Map.entry(34, "CUDA_ERROR_STUB_LIBRARY"),
          Map.entry(100, "CUDA_ERROR_NO_DEVICE"),
          Map.entry(101, "CUDA_ERROR_INVALID_DEVICE"),
          Map.entry(200, "CUDA_ERROR_INVALID_IMAGE"),
          Map.entry(201, "CUDA_ERROR_INVALID_CONTEXT"),
          Map.entry(209, "CUDA_ERROR_NO_BINARY_FOR_GPU"),
          Map.entry(218, "CUDA_ERROR_INVALID_PTX"),
          Map.entry(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
          Map.entry(400, "CUDA_ERROR_INVALID_HANDLE"),
          Map.entry(500, "CUDA_ERROR_NOT_FOUND"),
          Map.entry(700, "CUDA_ERROR_ILLEGAL_ADDRESS"),
          Map.entry(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"),
          Map.entry(702, "CUDA_ERROR_LAUNCH_TIMEOUT"),
          Map.entry(719, "CUDA_ERROR_LAUNCH_FAILED"),
          Map.entry(803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"),
          Map.entry(999, "CUDA_ERROR_UNKNOWN"));

  private final String library;
  private final MethodHandle ctxSetCurrent;
  private final MethodHandle memAlloc;
  private final MethodHandle memFree;
  private final MethodHandle memcpyHtoD;
  private final MethodHandle memcpyDtoH;
  private final MethodHandle memcpyDtoD;
  private final MethodHandle moduleLoadData;
  private final MethodHandle moduleGetFunction;
  private final MethodHandle moduleUnload;
  private final MethodHandle launchKernel;
  private final MethodHandle streamSynchronize;
  private final MethodHandle ctxSynchronize;

  private final MemorySegment context;
  private final MemorySegment stream;
  private final String description;
  private final Cublas cublas;
  private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

  private record Module(MemorySegment module, MemorySegment function, String name)
      implements Compiled {}

  /**
   * Opens device 0 through the driver {@code cu}; cuBLAS is loaded from the first of {@code
   * cublasLibraries} that loads (none, or an empty list: the tiled matmul kernel, with the reason
   * in the description).
   */
  CudaDevice(Native cu, List<String> cublasLibraries) {
    library = cu.library();
    MethodHandle init = cu.bind("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    MethodHandle driverVersion =
        cu.bind("cuDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    MethodHandle deviceCount =
        cu.bind("cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    MethodHandle deviceGet =
        cu.bind("cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    MethodHandle deviceName =
        cu.bind("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    MethodHandle deviceAttribute =
        cu.bind(
            "cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    MethodHandle primaryRetain =
        cu.bind("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    ctxSetCurrent = cu.bind("cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    memAlloc = cu.bind("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    memFree = cu.bind("cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    memcpyHtoD =
        cu.bind("cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
    memcpyDtoH =
        cu.bind("cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    memcpyDtoD =
        cu.bind(
            "cuMemcpyDtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    moduleLoadData = cu.bind("cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    moduleGetFunction =
        cu.bind("cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    moduleUnload = cu.bind("cuModuleUnload", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    launchKernel =
        cu.bind(
            "cuLaunchKernel",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    MethodHandle streamCreate =
        cu.bind("cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    streamSynchronize = cu.bind("cuStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    ctxSynchronize = cu.bind("cuCtxSynchronize", FunctionDescriptor.of(JAVA_INT));

    check("cuInit", (int) Native.call(init, 0));
    try (Arena a = ScratchArena.open()) {
      MemorySegment i = a.allocate(JAVA_INT);
      check("cuDriverGetVersion", (int) Native.call(driverVersion, i));
      int version = i.get(JAVA_INT, 0);
      check("cuDeviceGetCount", (int) Native.call(deviceCount, i));
      if (i.get(JAVA_INT, 0) == 0) {
        throw new IllegalStateException("the CUDA driver reports no device (cuDeviceGetCount: 0)");
      }
      check("cuDeviceGet", (int) Native.call(deviceGet, i, 0));
      int dev = i.get(JAVA_INT, 0);
      MemorySegment name = a.allocate(256);
      check("cuDeviceGetName", (int) Native.call(deviceName, name, 256, dev));
      check("cuDeviceGetAttribute", (int) Native.call(deviceAttribute, i, ATTR_CC_MAJOR, dev));
      int major = i.get(JAVA_INT, 0);
      check("cuDeviceGetAttribute", (int) Native.call(deviceAttribute, i, ATTR_CC_MINOR, dev));
      int minor = i.get(JAVA_INT, 0);
      if (major < 8) {
        throw new IllegalStateException(
            "the CUDA device has compute capability "
                + major
                + "."
                + minor
                + "; Arbor's PTX targets sm_80 and newer");
      }
      MemorySegment ctx = a.allocate(ADDRESS);
      check("cuDevicePrimaryCtxRetain", (int) Native.call(primaryRetain, ctx, dev));
      context = ctx.get(ADDRESS, 0);
      makeCurrent();
      MemorySegment s = a.allocate(ADDRESS);
      check("cuStreamCreate", (int) Native.call(streamCreate, s, 0));
      stream = s.get(ADDRESS, 0);
      Cublas blas = null;
      String matmul;
      if (cublasLibraries.isEmpty()) {
        matmul = "tiled matmul kernel (cuBLAS not searched)";
      } else {
        List<String> failures = new java.util.ArrayList<>();
        for (String lib : cublasLibraries) {
          Native n;
          try {
            n = Native.load(lib);
          } catch (IllegalStateException e) {
            failures.add(e.getMessage());
            continue;
          }
          try {
            blas = new Cublas(n, stream, this::makeCurrent, this::afterCublas);
          } catch (GpuException | IllegalStateException e) {
            failures.add(e.getMessage());
          }
          break;
        }
        matmul =
            blas != null
                ? "matmul by " + blas.description()
                : "tiled matmul kernel (no cuBLAS: " + String.join("; ", failures) + ")";
      }
      cublas = blas;
      description =
          name.getString(0, StandardCharsets.UTF_8)
              + " (sm_"
              + major
              + minor
              + ", CUDA driver "
              + version / 1000
              + "."
              + version % 1000 / 10
              + ", "
              + library
              + "; "
              + matmul
              + ")";
    }
  }

  /** Debugging: wait after every kernel and cuBLAS call, so a failure names its launch. */
  private static final boolean SYNC_EACH_LAUNCH = Boolean.getBoolean("arbor.cuda.syncEachLaunch");

  private void afterCublas() {
    if (SYNC_EACH_LAUNCH) {
      check("cuStreamSynchronize", (int) Native.call(streamSynchronize, stream), "after cuBLAS");
    }
  }

  /**
   * Waits for the whole context: kernels and cuBLAS on the stream, and device-to-device copies,
   * which go to the legacy stream (the stream is a blocking one, so the two stay ordered).
   */
  @Override
  public void synchronize() {
    makeCurrent();
    check(
        "cuCtxSynchronize",
        (int) Native.call(ctxSynchronize),
        "waiting for queued kernels (run with -Darbor.cuda.syncEachLaunch=true to find which one"
            + " failed)");
  }

  @Override
  public Cublas blas() {
    return cublas;
  }

  static String errorName(int code) {
    return ERRORS.getOrDefault(code, "CUDA error");
  }

  private static void check(String call, int code) {
    check(call, code, "");
  }

  private static void check(String call, int code, String doing) {
    if (code != 0) {
      throw new GpuException(
          call,
          code,
          call
              + " failed: "
              + errorName(code)
              + " ("
              + code
              + ")"
              + (doing.isEmpty() ? "" : " " + doing));
    }
  }

  private void makeCurrent() {
    if (!current.get()) {
      check("cuCtxSetCurrent", (int) Native.call(ctxSetCurrent, context));
      current.set(true);
    }
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public boolean isAccelerator() {
    return true;
  }

  @Override
  public boolean supportsF64() {
    return true;
  }

  @Override
  public Handle allocate(long bytes) {
    makeCurrent();
    try (Arena a = ScratchArena.open()) {
      MemorySegment p = a.allocate(JAVA_LONG);
      check(
          "cuMemAlloc_v2", (int) Native.call(memAlloc, p, bytes), "allocating " + bytes + " bytes");
      return new Handle(p.get(JAVA_LONG, 0));
    }
  }

  @Override
  public void free(Handle h) {
    makeCurrent();
    check("cuMemFree_v2", (int) Native.call(memFree, h.value()));
  }

  @Override
  public void write(Handle h, MemorySegment src, long bytes) {
    makeCurrent();
    check(
        "cuMemcpyHtoD_v2",
        (int) Native.call(memcpyHtoD, h.value(), src, bytes),
        "copying " + bytes + " bytes to the device");
  }

  @Override
  public void read(Handle h, MemorySegment dst, long bytes) {
    makeCurrent();
    check(
        "cuMemcpyDtoH_v2",
        (int) Native.call(memcpyDtoH, dst, h.value(), bytes),
        "copying " + bytes + " bytes to the host");
  }

  @Override
  public void copy(Handle src, Handle dst, long bytes) {
    makeCurrent();
    check("cuMemcpyDtoD_v2", (int) Native.call(memcpyDtoD, dst.value(), src.value(), bytes));
  }

  @Override
  public Compiled compile(String source, String name) {
    makeCurrent();
    try (Arena a = ScratchArena.open()) {
      MemorySegment m = a.allocate(ADDRESS);
      check(
          "cuModuleLoadData",
          (int) Native.call(moduleLoadData, m, a.allocateFrom(source)),
          "loading the PTX of " + name);
      MemorySegment module = m.get(ADDRESS, 0);
      MemorySegment f = a.allocate(ADDRESS);
      int rc = (int) Native.call(moduleGetFunction, f, module, a.allocateFrom(name));
      if (rc != 0) {
        Native.call(moduleUnload, module);
        check("cuModuleGetFunction", rc, "for entry point " + name);
      }
      return new Module(module, f.get(ADDRESS, 0), name);
    }
  }

  @Override
  public void release(Compiled c) {
    makeCurrent();
    check("cuModuleUnload", (int) Native.call(moduleUnload, ((Module) c).module()));
  }

  @Override
  public void launch(Compiled c, long[] global, long[] local, List<Arg> args) {
    makeCurrent();
    Module m = (Module) c;
    try (Arena a = ScratchArena.open()) {
      // kernelParams: an array of pointers, each to one argument's value.
      MemorySegment params = a.allocate(ADDRESS, args.size());
      for (int i = 0; i < args.size(); i++) {
        MemorySegment v;
        switch (args.get(i)) {
          case Pointer p -> {
            v = a.allocate(JAVA_LONG);
            v.set(JAVA_LONG, 0, p.handle().value());
          }
          case Int n -> {
            v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, n.value());
          }
        }
        params.setAtIndex(ADDRESS, i, v);
      }
      int[] grid = new int[3];
      for (int k = 0; k < 3; k++) {
        grid[k] = (int) (global[k] / local[k]);
      }
      int rc =
          (int)
              Native.call(
                  launchKernel,
                  m.function(),
                  grid[0],
                  grid[1],
                  grid[2],
                  (int) local[0],
                  (int) local[1],
                  (int) local[2],
                  0,
                  stream,
                  params,
                  MemorySegment.NULL);
      check("cuLaunchKernel", rc, "launching " + m.name());
      if (SYNC_EACH_LAUNCH) {
        check(
            "cuStreamSynchronize",
            (int) Native.call(streamSynchronize, stream),
            "after " + m.name());
      }
    }
  }
}
