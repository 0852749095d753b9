package dev.arbor.gpu.opencl;

import dev.arbor.gpu.device.Device;
import dev.arbor.gpu.device.DeviceBackend;
import dev.arbor.gpu.device.Native;
import dev.arbor.gpu.ir.GpuKernel;
import dev.arbor.gpu.ir.OpenClEmitter;

/**
 * The {@code opencl} backend: kernels emitted as OpenCL C 1.2 by {@link OpenClEmitter}, built and
 * run through {@code libOpenCL.so.1}. Ranked 50 (above {@code cpu-simd}) on a GPU or accelerator;
 * on an OpenCL CPU device (PoCL) it is available but ranked 5, below {@code cpu-simd}, since it is
 * slower there: choose it with {@code -Darbor.backend=opencl}. The library can be overridden with
 * {@code -Darbor.opencl.library=PATH}.
 */
public final class OpenClBackend extends DeviceBackend {
  /** The backend's name. */
  public static final String NAME = "opencl";

  private final String library;

  /** Public for ServiceLoader; use {@code Backends.get("opencl")}. */
  public OpenClBackend() {
    this(System.getProperty("arbor.opencl.library", "libOpenCL.so.1"));
  }

  /** A backend on the OpenCL library at {@code library} (tests). */
  OpenClBackend(String library) {
    super(NAME);
    this.library = library;
  }

  @Override
  protected Device open() {
    return new OpenClDevice(Native.load(library));
  }

  @Override
  protected String emit(GpuKernel k) {
    return OpenClEmitter.emit(k);
  }

  @Override
  protected int acceleratorRank() {
    return 50;
  }

  @Override
  protected int loopGroupSize() {
    return 64;
  }
}
