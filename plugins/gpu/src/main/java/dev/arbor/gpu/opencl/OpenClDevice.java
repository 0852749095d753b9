package dev.arbor.gpu.opencl;

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
 * OpenCL 1.2 through FFM downcalls to {@code libOpenCL.so.1} (the ICD loader): the first GPU or
 * accelerator device of any platform, else the first device (a CPU driver such as PoCL); one
 * context and one in-order command queue. Every call's status is checked and a failure raises
 * {@link GpuException} naming the call and the code. Not thread-safe (the backend serializes).
 */
final class OpenClDevice implements Device {
  private static final long CL_DEVICE_TYPE_CPU = 1 << 1;
  private static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
  private static final int CL_DEVICE_TYPE = 0x1000;
  private static final int CL_DEVICE_NAME = 0x102B;
  private static final int CL_DEVICE_DOUBLE_FP_CONFIG = 0x1032;
  private static final int CL_PLATFORM_NAME = 0x0902;
  private static final int CL_PLATFORM_VERSION = 0x0901;
  private static final int CL_PROGRAM_BUILD_LOG = 0x1183;
  private static final long CL_MEM_READ_WRITE = 1;
  private static final int CL_TRUE = 1;

  private static final Map<Integer, String> ERRORS =
      Map.ofEntries(
          Map.entry(-1, "CL_DEVICE_NOT_FOUND"),
          Map.entry(-2, "CL_DEVICE_NOT_AVAILABLE"),
          Map.entry(-3, "CL_COMPILER_NOT_AVAILABLE"),
          Map.entry(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"),
          Map.entry(-5, "CL_OUT_OF_RESOURCES"),
          Map.entry(-6, "CL_OUT_OF_HOST_MEMORY"),
          Map.entry(-11, "CL_BUILD_PROGRAM_FAILURE"),
          Map.entry(-30, "CL_INVALID_VALUE"),
          Map.entry(-33, "CL_INVALID_DEVICE"),
          Map.entry(-34, "CL_INVALID_CONTEXT"),
          Map.entry(-36, "CL_INVALID_COMMAND_QUEUE"),
          Map.entry(-38, "CL_INVALID_MEM_OBJECT"),
          Map.entry(-44, "CL_INVALID_PROGRAM"),
          Map.entry(-45, "CL_INVALID_PROGRAM_EXECUTABLE"),
          Map.entry(-46, "CL_INVALID_KERNEL_NAME"),
          Map.entry(-48, "CL_INVALID_KERNEL"),
          Map.entry(-49, "CL_INVALID_ARG_INDEX"),
          Map.entry(-50, "CL_INVALID_ARG_VALUE"),
          Map.entry(-51, "CL_INVALID_ARG_SIZE"),
          Map.entry(-52, "CL_INVALID_KERNEL_ARGS"),
          Map.entry(-54, "CL_INVALID_WORK_GROUP_SIZE"),
          Map.entry(-55, "CL_INVALID_WORK_ITEM_SIZE"),
          Map.entry(-61, "CL_INVALID_BUFFER_SIZE"),
          Map.entry(-63, "CL_INVALID_GLOBAL_WORK_SIZE"),
          Map.entry(-1001, "CL_PLATFORM_NOT_FOUND_KHR"));

  private final MethodHandle getDeviceInfo;
  private final MethodHandle createBuffer;
  private final MethodHandle releaseMemObject;
  private final MethodHandle enqueueWriteBuffer;
  private final MethodHandle enqueueReadBuffer;
  private final MethodHandle enqueueCopyBuffer;
  private final MethodHandle createProgramWithSource;
  private final MethodHandle buildProgram;
  private final MethodHandle getProgramBuildInfo;
  private final MethodHandle createKernel;
  private final MethodHandle releaseKernel;
  private final MethodHandle releaseProgram;
  private final MethodHandle setKernelArg;
  private final MethodHandle enqueueNdRangeKernel;
  private final MethodHandle finish;

  private final MemorySegment device;
  private final MemorySegment context;
  private final MemorySegment queue;
  private final String description;
  private final boolean accelerator;
  private final boolean f64;

  private record Program(MemorySegment program, MemorySegment kernel) implements Compiled {}

  OpenClDevice(Native cl) {
    MethodHandle getPlatformIds =
        cl.bind("clGetPlatformIDs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    MethodHandle getDeviceIds =
        cl.bind(
            "clGetDeviceIDs",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    MethodHandle getPlatformInfo =
        cl.bind(
            "clGetPlatformInfo",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    getDeviceInfo =
        cl.bind(
            "clGetDeviceInfo",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    MethodHandle createContext =
        cl.bind(
            "clCreateContext",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    MethodHandle createQueue =
        cl.bind(
            "clCreateCommandQueue",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    createBuffer =
        cl.bind(
            "clCreateBuffer",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    releaseMemObject = cl.bind("clReleaseMemObject", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    FunctionDescriptor rw =
        FunctionDescriptor.of(
            JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS,
            ADDRESS);
    enqueueWriteBuffer = cl.bind("clEnqueueWriteBuffer", rw);
    enqueueReadBuffer = cl.bind("clEnqueueReadBuffer", rw);
    enqueueCopyBuffer =
        cl.bind(
            "clEnqueueCopyBuffer",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT,
                ADDRESS, ADDRESS));
    createProgramWithSource =
        cl.bind(
            "clCreateProgramWithSource",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    buildProgram =
        cl.bind(
            "clBuildProgram",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    getProgramBuildInfo =
        cl.bind(
            "clGetProgramBuildInfo",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    createKernel =
        cl.bind("clCreateKernel", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    releaseKernel = cl.bind("clReleaseKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    releaseProgram = cl.bind("clReleaseProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    setKernelArg =
        cl.bind(
            "clSetKernelArg",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
    enqueueNdRangeKernel =
        cl.bind(
            "clEnqueueNDRangeKernel",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS,
                ADDRESS));
    finish = cl.bind("clFinish", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    try (Arena a = ScratchArena.open()) {
      MemorySegment count = a.allocate(JAVA_INT);
      check("clGetPlatformIDs", (int) Native.call(getPlatformIds, 0, MemorySegment.NULL, count));
      int np = count.get(JAVA_INT, 0);
      if (np == 0) {
        throw new IllegalStateException("no OpenCL platform is installed (clGetPlatformIDs: 0)");
      }
      MemorySegment platforms = a.allocate(ADDRESS, np);
      check("clGetPlatformIDs", (int) Native.call(getPlatformIds, np, platforms, count));
      MemorySegment chosen = null;
      MemorySegment chosenPlatform = null;
      long chosenType = 0;
      for (int i = 0; i < np && (chosen == null || chosenType == CL_DEVICE_TYPE_CPU); i++) {
        MemorySegment p = platforms.getAtIndex(ADDRESS, i);
        MemorySegment nd = a.allocate(JAVA_INT);
        int rc = (int) Native.call(getDeviceIds, p, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, nd);
        if (rc != 0 || nd.get(JAVA_INT, 0) == 0) {
          continue;
        }
        int n = nd.get(JAVA_INT, 0);
        MemorySegment ds = a.allocate(ADDRESS, n);
        check("clGetDeviceIDs", (int) Native.call(getDeviceIds, p, CL_DEVICE_TYPE_ALL, n, ds, nd));
        for (int k = 0; k < n; k++) {
          MemorySegment d = ds.getAtIndex(ADDRESS, k);
          long type = deviceLong(d, CL_DEVICE_TYPE);
          if (chosen == null || (chosenType == CL_DEVICE_TYPE_CPU && type != CL_DEVICE_TYPE_CPU)) {
            chosen = d;
            chosenPlatform = p;
            chosenType = type;
          }
        }
      }
      if (chosen == null) {
        throw new IllegalStateException(
            "no OpenCL device found on " + np + " platform(s) (clGetDeviceIDs)");
      }
      device = chosen;
      accelerator = chosenType != CL_DEVICE_TYPE_CPU;
      f64 = deviceLong(device, CL_DEVICE_DOUBLE_FP_CONFIG) != 0;
      String platformName = info(getPlatformInfo, chosenPlatform, CL_PLATFORM_NAME);
      String platformVersion = info(getPlatformInfo, chosenPlatform, CL_PLATFORM_VERSION);
      description =
          deviceString(device, CL_DEVICE_NAME)
              + " ("
              + (accelerator ? "accelerator" : "CPU device")
              + ", "
              + platformName
              + ", "
              + platformVersion
              + ")";
      MemorySegment err = a.allocate(JAVA_INT);
      MemorySegment devs = a.allocate(ADDRESS);
      devs.set(ADDRESS, 0, device);
      context =
          (MemorySegment)
              Native.call(
                  createContext,
                  MemorySegment.NULL,
                  1,
                  devs,
                  MemorySegment.NULL,
                  MemorySegment.NULL,
                  err);
      check("clCreateContext", err.get(JAVA_INT, 0));
      queue = (MemorySegment) Native.call(createQueue, context, device, 0L, err);
      check("clCreateCommandQueue", err.get(JAVA_INT, 0));
    }
  }

  static String errorName(int code) {
    return ERRORS.getOrDefault(code, "unknown error");
  }

  private static void check(String call, int code) {
    if (code != 0) {
      throw new GpuException(call, code, call + " failed: " + errorName(code) + " (" + code + ")");
    }
  }

  private static void check(String call, int code, String doing) {
    if (code != 0) {
      throw new GpuException(
          call, code, call + " failed: " + errorName(code) + " (" + code + ") " + doing);
    }
  }

  private long deviceLong(MemorySegment d, int param) {
    try (Arena a = ScratchArena.open()) {
      MemorySegment v = a.allocate(JAVA_LONG);
      check(
          "clGetDeviceInfo", (int) Native.call(getDeviceInfo, d, param, 8L, v, MemorySegment.NULL));
      return v.get(JAVA_LONG, 0);
    }
  }

  private String deviceString(MemorySegment d, int param) {
    return info(getDeviceInfo, d, param);
  }

  private static String info(MethodHandle h, MemorySegment obj, int param) {
    try (Arena a = ScratchArena.open()) {
      MemorySegment size = a.allocate(JAVA_LONG);
      check("clGet*Info", (int) Native.call(h, obj, param, 0L, MemorySegment.NULL, size));
      long n = size.get(JAVA_LONG, 0);
      MemorySegment v = a.allocate(Math.max(n, 1));
      check("clGet*Info", (int) Native.call(h, obj, param, n, v, MemorySegment.NULL));
      return v.getString(0, StandardCharsets.UTF_8).trim();
    }
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public boolean isAccelerator() {
    return accelerator;
  }

  @Override
  public boolean supportsF64() {
    return f64;
  }

  @Override
  public Handle allocate(long bytes) {
    try (Arena a = ScratchArena.open()) {
      MemorySegment err = a.allocate(JAVA_INT);
      MemorySegment mem =
          (MemorySegment)
              Native.call(createBuffer, context, CL_MEM_READ_WRITE, bytes, MemorySegment.NULL, err);
      check("clCreateBuffer", err.get(JAVA_INT, 0), "allocating " + bytes + " bytes");
      return new Handle(mem.address());
    }
  }

  @Override
  public void free(Handle h) {
    check("clReleaseMemObject", (int) Native.call(releaseMemObject, seg(h)));
  }

  private static MemorySegment seg(Handle h) {
    return MemorySegment.ofAddress(h.value());
  }

  @Override
  public void write(Handle h, MemorySegment src, long bytes) {
    int rc =
        (int)
            Native.call(
                enqueueWriteBuffer,
                queue,
                seg(h),
                CL_TRUE,
                0L,
                bytes,
                src,
                0,
                MemorySegment.NULL,
                MemorySegment.NULL);
    check("clEnqueueWriteBuffer", rc, "writing " + bytes + " bytes");
  }

  @Override
  public void read(Handle h, MemorySegment dst, long bytes) {
    int rc =
        (int)
            Native.call(
                enqueueReadBuffer,
                queue,
                seg(h),
                CL_TRUE,
                0L,
                bytes,
                dst,
                0,
                MemorySegment.NULL,
                MemorySegment.NULL);
    check("clEnqueueReadBuffer", rc, "reading " + bytes + " bytes");
  }

  @Override
  public void copy(Handle src, Handle dst, long bytes) {
    int rc =
        (int)
            Native.call(
                enqueueCopyBuffer,
                queue,
                seg(src),
                seg(dst),
                0L,
                0L,
                bytes,
                0,
                MemorySegment.NULL,
                MemorySegment.NULL);
    check("clEnqueueCopyBuffer", rc, "copying " + bytes + " bytes");
    check("clFinish", (int) Native.call(finish, queue));
  }

  @Override
  public Compiled compile(String source, String name) {
    try (Arena a = ScratchArena.open()) {
      MemorySegment err = a.allocate(JAVA_INT);
      MemorySegment text = a.allocateFrom(source);
      MemorySegment strings = a.allocate(ADDRESS);
      strings.set(ADDRESS, 0, text);
      MemorySegment program =
          (MemorySegment)
              Native.call(createProgramWithSource, context, 1, strings, MemorySegment.NULL, err);
      check("clCreateProgramWithSource", err.get(JAVA_INT, 0));
      MemorySegment devs = a.allocate(ADDRESS);
      devs.set(ADDRESS, 0, device);
      int rc =
          (int)
              Native.call(
                  buildProgram,
                  program,
                  1,
                  devs,
                  a.allocateFrom("-cl-std=CL1.2 -w"),
                  MemorySegment.NULL,
                  MemorySegment.NULL);
      if (rc != 0) {
        String log = buildLog(program);
        Native.call(releaseProgram, program);
        throw new GpuException(
            "clBuildProgram",
            rc,
            "clBuildProgram failed: "
                + errorName(rc)
                + " ("
                + rc
                + ") for kernel "
                + name
                + "; build log:\n"
                + log
                + "\nsource:\n"
                + source);
      }
      MemorySegment kernel =
          (MemorySegment) Native.call(createKernel, program, a.allocateFrom(name), err);
      if (err.get(JAVA_INT, 0) != 0) {
        Native.call(releaseProgram, program);
        check("clCreateKernel", err.get(JAVA_INT, 0), "for entry point " + name);
      }
      return new Program(program, kernel);
    }
  }

  private String buildLog(MemorySegment program) {
    try (Arena a = ScratchArena.open()) {
      MemorySegment size = a.allocate(JAVA_LONG);
      Native.call(
          getProgramBuildInfo, program, device, CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size);
      long n = size.get(JAVA_LONG, 0);
      MemorySegment v = a.allocate(Math.max(n, 1));
      Native.call(
          getProgramBuildInfo, program, device, CL_PROGRAM_BUILD_LOG, n, v, MemorySegment.NULL);
      return v.getString(0, StandardCharsets.UTF_8);
    }
  }

  @Override
  public void release(Compiled c) {
    Program p = (Program) c;
    check("clReleaseKernel", (int) Native.call(releaseKernel, p.kernel()));
    check("clReleaseProgram", (int) Native.call(releaseProgram, p.program()));
  }

  @Override
  public void launch(Compiled c, long[] global, long[] local, List<Arg> args) {
    Program p = (Program) c;
    try (Arena a = ScratchArena.open()) {
      for (int i = 0; i < args.size(); i++) {
        MemorySegment v;
        long size;
        switch (args.get(i)) {
          case Pointer ptr -> {
            v = a.allocate(ADDRESS);
            v.set(ADDRESS, 0, seg(ptr.handle()));
            size = ADDRESS.byteSize();
          }
          case Int n -> {
            v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, n.value());
            size = 4;
          }
        }
        check(
            "clSetKernelArg", (int) Native.call(setKernelArg, p.kernel(), i, size, v), "arg " + i);
      }
      int dims = global[2] > 1 || local[2] > 1 ? 3 : global[1] > 1 || local[1] > 1 ? 2 : 1;
      MemorySegment g = a.allocate(JAVA_LONG, 3);
      MemorySegment l = a.allocate(JAVA_LONG, 3);
      for (int k = 0; k < 3; k++) {
        g.setAtIndex(JAVA_LONG, k, global[k]);
        l.setAtIndex(JAVA_LONG, k, local[k]);
      }
      int rc =
          (int)
              Native.call(
                  enqueueNdRangeKernel,
                  queue,
                  p.kernel(),
                  dims,
                  MemorySegment.NULL,
                  g,
                  l,
                  0,
                  MemorySegment.NULL,
                  MemorySegment.NULL);
      check("clEnqueueNDRangeKernel", rc);
      check("clFinish", (int) Native.call(finish, queue));
    }
  }
}
