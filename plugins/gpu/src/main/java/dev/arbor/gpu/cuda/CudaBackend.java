package dev.arbor.gpu.cuda;

import dev.arbor.gpu.device.Device;
import dev.arbor.gpu.device.DeviceBackend;
import dev.arbor.gpu.device.Native;
import dev.arbor.gpu.ir.GpuKernel;
import dev.arbor.gpu.ir.PtxEmitter;
import java.util.List;

/**
 * The {@code cuda} backend: kernels emitted as PTX by {@link PtxEmitter}, loaded and launched
 * through the CUDA driver API in {@code libcuda.so.1} (no toolkit needed at run time). Ranked 100:
 * the default wherever an NVIDIA GPU with compute capability 8.0 or newer and its driver are
 * present. The library can be overridden with {@code -Darbor.cuda.library=PATH}.
 *
 * <p>Matmuls ({@code dot_general}) run on cuBLAS where {@code libcublas} loads: the path in {@code
 * -Darbor.cuda.cublas=PATH}, or else the first of {@link #CUBLAS_SONAMES} that {@code dlopen}
 * finds. Without it they run on Arbor's tiled matmul kernel; {@link #describeDevice()} says which,
 * and why.
 */
public final class CudaBackend extends DeviceBackend {
  /** The backend's name. */
  public static final String NAME = "cuda";

  /** The cuBLAS sonames tried, in order, when {@code arbor.cuda.cublas} is not set. */
  public static final List<String> CUBLAS_SONAMES =
      List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so");

  private final String library;
  private final List<String> cublas;

  /** Public for ServiceLoader; use {@code Backends.get("cuda")}. */
  public CudaBackend() {
    this(
        System.getProperty("arbor.cuda.library", "libcuda.so.1"),
        System.getProperty("arbor.cuda.cublas") != null
            ? List.of(System.getProperty("arbor.cuda.cublas"))
            : CUBLAS_SONAMES);
  }

  /**
   * A backend on the driver library at {@code library}, trying the cuBLAS libraries {@code cublas}
   * in order (empty: never cuBLAS). Tests load a fake driver and a fake cuBLAS this way.
   */
  CudaBackend(String library, List<String> cublas) {
    super(NAME);
    this.library = library;
    this.cublas = List.copyOf(cublas);
  }

  @Override
  protected Device open() {
    return new CudaDevice(Native.load(library), cublas);
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
