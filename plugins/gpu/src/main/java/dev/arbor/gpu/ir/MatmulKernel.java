package dev.arbor.gpu.ir;

import dev.arbor.array.DType;

/**
 * A tiled, batched matrix product {@code C[b, m, n] = sum_k A[b, m, k] * B[b, k, n]} in one element
 * type, with the operands read through strides so that any {@code dot_general} whose batch, free
 * and contracting axes each flatten to one axis runs without a copy (transposed operands included).
 * Work groups of {@link #TILE}×{@link #TILE} items load one tile of A and of B into local (shared)
 * memory per step of K.
 *
 * <p>Launch arguments: buffers A, B, C (C row-major {@code [batch, M, N]}); then {@code int}s
 * {@code batch, M, N, K, aBatch, aRow, aK, bBatch, bK, bCol} (the strides, in elements). The grid
 * is {@code (ceil(N/TILE)·TILE, ceil(M/TILE)·TILE, batch)} items.
 *
 * @param name the entry point's name
 * @param type F32 or F64
 */
public record MatmulKernel(String name, DType type) implements GpuKernel {
  /** The tile edge (work-group size per axis). */
  public static final int TILE = 16;

  public MatmulKernel {
    if (!type.isFloating()) {
      throw new UnsupportedKernelException("the matmul kernel is F32/F64 only, got " + type);
    }
  }
}
