package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import dev.arbor.core.AbstractValue;
import java.util.List;

/**
 * {@code sort} along one axis (core's {@code Sorting.SORT}): every operand is permuted along the
 * axis by the stable sort of the first (the keys). One work group of {@link #GROUP} items per line
 * (the operands viewed as {@code [outer, n, inner]}, line {@code l} starting at {@code (l /
 * inner)·n·inner + l % inner}, stride {@code inner}):
 *
 * <ol>
 *   <li>the items load the line's keys into local/shared memory as <em>order-preserving signed
 *       integers</em> with their positions {@code 0..n-1}, padded to {@code p} (a power of two)
 *       with sentinels {@code (MAX, position)}: integers (and BOOL's 0/1) are their own key; a
 *       float's bits {@code b} become {@code b ^ 0x7FF…F} when negative (so {@code -0.0 < 0.0} and
 *       negative floats order by magnitude reversed), and every NaN becomes {@code MAX} (NaN last,
 *       all NaNs equal) — {@link Double#compare}'s order as one integer compare;
 *   <li>a bitonic network sorts the {@code (key, position)} pairs, compared by key and then by
 *       position. The pairs are all distinct, so the network (not stable in itself) yields the one
 *       order in which equal keys keep their positions' order: the stable sort, bit for bit the
 *       reference's. A sentinel's position is at least {@code n}, so it sorts after every real
 *       element, even one whose key is {@code MAX} (a NaN, {@code Long.MAX_VALUE});
 *   <li>the items gather every operand through the permutation: {@code out[j] = in[perm[j]]}, as
 *       raw bits (1, 4 or 8 bytes; no float arithmetic anywhere, so F64 needs no F64 support).
 * </ol>
 *
 * <p>Lines up to {@link #MAX_LOCAL} elements (the local arrays' size: 24 KiB for 64-bit keys) run
 * here; longer ones are refused ({@link UnsupportedKernelException}: reference fallback).
 *
 * <p>Sizes are launch arguments (one program per operand type list). Launch: buffers {@code in0 …
 * in(m-1)}, {@code out0 … out(m-1)}; then {@code int n}, {@code int inner}, {@code int p} (the
 * padded length); {@code lines} work groups of {@link #GROUP} items.
 *
 * @param name the entry point's name
 * @param types the operands' element types, the keys' first
 */
public record SortKernel(String name, List<DType> types) implements GpuKernel {
  /** Items per work group (a power of two). */
  public static final int GROUP = 256;

  /** Longest line sorted in local memory (a power of two). */
  public static final int MAX_LOCAL = 2048;

  public SortKernel {
    types = List.copyOf(types);
    if (types.isEmpty()) {
      throw new IllegalArgumentException("sort needs at least the keys");
    }
  }

  /** The keys' element type. */
  public DType keys() {
    return types.get(0);
  }

  /** Whether the keys compare as 64-bit integers (I64, F64); else 32-bit. */
  public boolean wideKeys() {
    return keys() == DType.I64 || keys() == DType.F64;
  }

  /** The {@code [outer, n, inner]} view of one application and the padded length. */
  public record Sizes(int lines, int n, int inner, int padded) {}

  /** The kernel sorting {@code operands} (the keys first). */
  public static SortKernel of(List<AbstractValue> operands) {
    StringBuilder name = new StringBuilder("arbor_sort");
    List<DType> types = operands.stream().map(AbstractValue::dtype).toList();
    for (DType t : types) {
      name.append('_').append(t.shortName());
    }
    return new SortKernel(name.toString(), types);
  }

  /** Launch sizes for {@code keys} sorted along {@code axis}; refuses lines over MAX_LOCAL. */
  public static Sizes sizes(AbstractValue keys, int axis) {
    int[] d = keys.shape().dims();
    long size = keys.shape().size();
    if (size > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException(keys + " has more than 2^31-1 elements");
    }
    int n = d[axis];
    if (n > MAX_LOCAL) {
      throw new UnsupportedKernelException(
          "sort along an axis of "
              + n
              + " elements: the device sort takes lines up to "
              + MAX_LOCAL
              + " (one work group each)");
    }
    long inner = 1;
    for (int k = axis + 1; k < d.length; k++) {
      inner *= d[k];
    }
    int padded = n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    return new Sizes(n == 0 ? 0 : (int) (size / n), n, (int) inner, padded);
  }
}
