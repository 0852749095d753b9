package dev.arbor.gpu.ir;

import dev.arbor.array.DType;

/**
 * A register-tiled, batched matrix product {@code C[b, m, n] = sum_k A[b, m, k] * B[b, k, n]} in
 * one element type, with the operands read through strides so that any {@code dot_general} whose
 * batch, free and contracting axes each flatten to one axis runs without a copy (transposed
 * operands included).
 *
 * <p>Design (the same in both emitters, see docs/design/gpu.md, "The matmul kernel"): a work group
 * of {@link #THREADS} items computes one {@link #blockTile}² tile of C, each item a {@link
 * #microTile}² micro-tile held in registers (rows {@code ty·h + i} and {@code blockTile/2 + ty·h +
 * i} for {@code i < h = microTile/2}, the same for columns with {@code tx}; {@code tx = item % 16,
 * ty = item / 16}). Each step of K stages a {@code blockTile × BK} slice of A (transposed: {@code
 * as[k][m]}) and a {@code BK × blockTile} slice of B ({@code bs[k][n]}) in local memory, rows
 * padded to {@link #localRow} elements; the next slice is loaded from global memory into registers
 * while the current one is multiplied, and stored into the other of two local buffers (one barrier
 * per step). Global loads are bounds-checked (zero fill past M, N or K) and walk the operand's
 * unit- stride axis with consecutive items where it has one; stores are guarded.
 *
 * <p>Launch arguments: buffers A, B, C (C row-major {@code [batch, M, N]}); then {@code int}s
 * {@code batch, M, N, K, aBatch, aRow, aK, bBatch, bK, bCol} (the strides, in elements). The grid
 * is {@link #global} items in work groups of {@link #local}.
 *
 * @param name the entry point's name
 * @param type F32 or F64
 */
public record MatmulKernel(String name, DType type) implements GpuKernel {
  /** Work items per work group (a 16×16 arrangement of micro-tiles). */
  public static final int THREADS = 256;

  /** The depth of one K step. */
  public static final int BK = 8;

  public MatmulKernel {
    if (!type.isFloating()) {
      throw new UnsupportedKernelException("the matmul kernel is F32/F64 only, got " + type);
    }
  }

  /** The edge of one item's register tile: 8 for F32, 4 for F64 (half the registers' worth). */
  public int microTile() {
    return type == DType.F32 ? 8 : 4;
  }

  /** The edge of one work group's tile of C: {@code 16 · microTile} (128 for F32, 64 for F64). */
  public int blockTile() {
    return 16 * microTile();
  }

  /**
   * The length of a local-memory row in elements: {@link #blockTile} plus 4, which keeps rows
   * 16-byte aligned and spreads a warp's transposing stores over the banks.
   */
  public int localRow() {
    return blockTile() + 4;
  }

  /** Global loads per item per operand per K step: {@code blockTile · BK / THREADS}. */
  public int loadsPerItem() {
    return blockTile() * BK / THREADS;
  }

  /**
   * Elements per 16-byte vector (4 F32, 2 F64): the width of the global loads where an operand's
   * strides and alignment allow them. Equal to {@link #loadsPerItem}, so one vector load replaces
   * an item's scalar loads of one operand.
   */
  public int vectorWidth() {
    return 16 / type.byteSize();
  }

  /** The global work size for a {@code batch × m × n} product. */
  public long[] global(int batch, int m, int n) {
    long t = blockTile();
    return new long[] {(n + t - 1) / t * THREADS, (m + t - 1) / t, batch};
  }

  /** The work-group size. */
  public long[] local() {
    return new long[] {THREADS, 1, 1};
  }
}
