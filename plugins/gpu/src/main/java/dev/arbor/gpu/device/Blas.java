package dev.arbor.gpu.device;

import dev.arbor.array.DType;
import dev.arbor.gpu.ir.Lowering;

/**
 * A vendor BLAS library that runs matmuls in place of the tiled {@code MatmulKernel} ({@code
 * cuBLAS} for the {@code cuda} backend). The {@link DeviceBackend} asks {@link #supports} when it
 * prepares a {@code dot_general}; a shape the library cannot express keeps the tiled kernel.
 */
public interface Blas {
  /** The library, in words ({@code "cuBLAS (libcublas.so.13)"}). */
  String description();

  /** Whether {@link #gemm} can run this matmul view of type {@code type} without a copy. */
  boolean supports(DType type, Lowering.MatmulShape s);

  /**
   * Computes row-major {@code C[batch, M, N]} (contiguous) from A and B read through the strides of
   * {@code s}, and waits for it. Only called where {@link #supports} said yes.
   */
  void gemm(DType type, Lowering.MatmulShape s, Device.Handle a, Device.Handle b, Device.Handle c);
}
