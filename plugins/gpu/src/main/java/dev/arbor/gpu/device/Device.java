package dev.arbor.gpu.device;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What a GPU backend needs from a driver: memory, copies, program compilation and launches. One
 * implementation per driver API ({@code OpenClDevice}, {@code CudaDevice}). Not thread-safe: the
 * {@link DeviceBackend} calls it under one lock.
 */
public interface Device {
  /** A device pointer or memory object handle: an opaque 64-bit value. */
  record Handle(long value) {}

  /** A launch argument. */
  sealed interface Arg {}

  /** A buffer argument. */
  record Pointer(Handle handle) implements Arg {}

  /** A 32-bit integer argument. */
  record Int(int value) implements Arg {}

  /** A compiled entry point; released with {@link #release(Compiled)}. */
  interface Compiled {}

  /** Device and driver, in words ({@code "NVIDIA H100 (CUDA driver 13.0)"}). */
  String description();

  /** Whether the device is a GPU or other accelerator (not an OpenCL CPU device). */
  boolean isAccelerator();

  /** Whether the device runs F64 kernels. */
  boolean supportsF64();

  /** Allocates {@code bytes} (at least 1) of device memory. */
  Handle allocate(long bytes);

  /** Frees memory from {@link #allocate}. */
  void free(Handle h);

  /** Copies {@code bytes} from host memory to the start of {@code h}. */
  void write(Handle h, MemorySegment src, long bytes);

  /** Copies {@code bytes} from the start of {@code h} to host memory. */
  void read(Handle h, MemorySegment dst, long bytes);

  /** Copies {@code bytes} between device buffers. */
  void copy(Handle src, Handle dst, long bytes);

  /** Compiles {@code source} (this device's language) and finds entry point {@code name}. */
  Compiled compile(String source, String name);

  /** Frees a compiled program. */
  void release(Compiled c);

  /**
   * Launches {@code c} over {@code global} work items (three axes, each a multiple of the
   * corresponding {@code local} size) in work groups of {@code local}. It may return before the
   * kernel has run: work runs in launch order, {@link #read} waits for it, and {@link #synchronize}
   * waits for everything queued.
   */
  void launch(Compiled c, long[] global, long[] local, List<Arg> args);

  /** Waits for all queued work and reports its failure. */
  default void synchronize() {}

  /** The vendor BLAS used for matmul, or null where there is none (the tiled kernel runs). */
  default Blas blas() {
    return null;
  }
}
