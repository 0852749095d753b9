package dev.arbor.gpu.cuda;

import dev.arbor.gpu.device.Device;
import dev.arbor.gpu.device.DeviceBackend;
import dev.arbor.gpu.device.Native;
import dev.arbor.gpu.ir.GpuKernel;
import dev.arbor.gpu.ir.PtxEmitter;

/**
 * The {@code cuda} backend: kernels emitted as PTX by {@link PtxEmitter}, loaded and launched
 * through the CUDA driver API in {@code libcuda.so.1} (no toolkit needed at run time). Ranked 100:
 * the default wherever an NVIDIA GPU with compute capability 8.0 or newer and its driver are
 * present. The library can be overridden with {@code -Darbor.cuda.library=PATH}.
 */
public final class CudaBackend extends DeviceBackend {
  /** The backend's name. */
  public static final String NAME = "cuda";

  private final String library;

  /** Public for ServiceLoader; use {@code Backends.get("cuda")}. */
  public CudaBackend() {
    this(System.getProperty("arbor.cuda.library", "libcuda.so.1"));
  }

  /** A backend on the driver library at {@code library} (tests load a fake driver this way). */
  CudaBackend(String library) {
    super(NAME);
    this.library = library;
  }

  @Override
  protected Device open() {
    return new CudaDevice(Native.load(library));
  }

  @Override
  protected String emit(GpuKernel k) {
    return PtxEmitter.emit(k);
  }

  @Override
  protected int acceleratorRank() {
    return 100;
  }

  @Override
  protected int loopGroupSize() {
    return PtxEmitter.BLOCK;
  }
}
