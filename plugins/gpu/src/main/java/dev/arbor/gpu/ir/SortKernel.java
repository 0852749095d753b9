package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import dev.arbor.core.AbstractValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code sort} along one axis (core's {@code Sorting.SORT}): every operand is permuted along the
 * axis by the stable sort of the first (the keys). The operands are viewed as {@code [outer, n,
 * inner]}: line {@code l} starts at {@code (l / inner)·n·inner + l % inner}, stride {@code inner}.
 *
 * <ol>
 *   <li>The line's keys become <em>order-preserving signed integers</em> paired with their
 *       positions {@code 0..n-1}, padded to {@code p} (a power of two) with sentinels {@code (MAX,
 *       position)}: integers (and BOOL's 0/1) are their own key; a float's bits {@code b} become
 *       {@code b ^ 0x7FF…F} when negative (so {@code -0.0 < 0.0} and negative floats order by
 *       magnitude reversed), and every NaN becomes {@code MAX} (NaN last, all NaNs equal) — {@link
 *       Double#compare}'s order as one integer compare.
 *   <li>A bitonic network sorts the {@code (key, position)} pairs, compared by key and then by
 *       position. The pairs are all distinct, so the network (not stable in itself) yields the one
 *       order in which equal keys keep their positions' order: the stable sort, bit for bit the
 *       reference's. A sentinel's position is at least {@code n}, so it sorts after every real
 *       element, even one whose key is {@code MAX} (a NaN, {@code Long.MAX_VALUE}).
 *   <li>Every operand is gathered through the permutation, {@code out[j] = in[perm[j]]}, as raw
 *       bits (1, 4 or 8 bytes; no float arithmetic anywhere, so F64 needs no F64 support).
 * </ol>
 *
 * <p>How the network runs depends on {@code p} (see {@link #launches}); {@link Phase} names the
 * kernels:
 *
 * <ul>
 *   <li>{@code p <= }{@link #MAX_LOCAL}: {@link Phase#LINE}, one work group per line does all three
 *       steps in local/shared memory. Buffers {@code in0 … in(m-1)}, {@code out0 … out(m-1)}; ints
 *       {@code n, inner, p}; {@code lines} groups. Its local arrays hold {@link #capacity} pairs
 *       and its groups have {@link #group()} items: {@link #MAX_LOCAL} and {@link #GROUP} in
 *       general, {@link #SMALL} and 32 (a warp) for lines of up to {@link #SMALL} (a group of 256
 *       items with 24 KiB of local memory for a line of 10 would leave most of a multiprocessor
 *       idle).
 *   <li>longer lines run the same network in passes over global scratch arrays {@code key} ({@code
 *       lines·p} keys) and {@code pos} ({@code lines·p} I32): {@link Phase#BLOCKS} sorts each block
 *       of {@link #MAX_LOCAL} elements in local memory (the network's first stages, the blocks'
 *       directions alternating as the network's do); then for each later stage {@code size = 2B,
 *       4B, … p} ({@code B = MAX_LOCAL}), one {@link Phase#STEP} launch per stride {@code size/2 …
 *       B} (one item per compare-exchange, in global memory) and one {@link Phase#MERGE} launch for
 *       the strides {@code B/2 … 1} (each block in local memory); last {@link Phase#GATHER}, one
 *       item per output element. With {@code L = log2(p/B)}: {@code L(L+1)/2 + L + 2} launches (56
 *       for a line of 10⁶).
 * </ul>
 *
 * @param name the entry point's name
 * @param types the operands' element types, the keys' first
 * @param phase which kernel of the sort this is
 * @param capacity pairs in the local arrays (a power of two; LINE: the longest padded line)
 */
public record SortKernel(String name, List<DType> types, Phase phase, int capacity)
    implements GpuKernel {
  /** Items per work group (a power of two). */
  public static final int GROUP = 256;

  /** Longest line sorted in local memory, and the block of the multi-pass sort (a power of 2). */
  public static final int MAX_LOCAL = 2048;

  /** The capacity of the whole-line kernel for short lines (groups of 32 items). */
  public static final int SMALL = 64;

  /** The kernels of a sort (see the class comment). */
  public enum Phase {
    /** A whole line in one work group. Buffers: in…, out…; ints n, inner, p. */
    LINE,
    /** Blocks of MAX_LOCAL sorted into scratch. Buffers: in0, key, pos; ints n, inner, p. */
    BLOCKS,
    /** One compare-exchange per item. Buffers: key, pos; ints p, size, stride, pairs. */
    STEP,
    /** Strides MAX_LOCAL/2 … 1 of one stage, per block. Buffers: key, pos; ints p, size. */
    MERGE,
    /** out[j] = in[pos[j]] per element. Buffers: in…, out…, pos; ints n, inner, p, total. */
    GATHER
  }

  public SortKernel {
    types = List.copyOf(types);
    if (types.isEmpty()) {
      throw new IllegalArgumentException("sort needs at least the keys");
    }
    if (Integer.bitCount(capacity) != 1 || capacity < 2 || capacity > MAX_LOCAL) {
      throw new IllegalArgumentException("capacity must be a power of two in 2.." + MAX_LOCAL);
    }
    if (phase != Phase.LINE && capacity != MAX_LOCAL) {
      throw new IllegalArgumentException(phase + " works on blocks of " + MAX_LOCAL);
    }
  }

  /** The whole-line kernel sorting operands of these types (the keys' first). */
  public SortKernel(String name, List<DType> types) {
    this(name, types, Phase.LINE, MAX_LOCAL);
  }

  /** Items per work group: {@link #GROUP}, or half the capacity when that is less. */
  public int group() {
    return Math.min(GROUP, capacity / 2);
  }

  /** The keys' element type. */
  public DType keys() {
    return types.get(0);
  }

  /** Whether the keys compare as 64-bit integers (I64, F64); else 32-bit. */
  public boolean wideKeys() {
    return keys() == DType.I64 || keys() == DType.F64;
  }

  /** The name without a phase or capacity suffix. */
  private String baseName() {
    return name.replaceFirst("_(blocks|step|merge|gather|\\d+)$", "");
  }

  /** The kernel of {@code phase} (LINE: of capacity MAX_LOCAL) for the same operand types. */
  public SortKernel phase(Phase phase) {
    String suffix = phase == Phase.LINE ? "" : "_" + phase.name().toLowerCase(Locale.ROOT);
    return new SortKernel(baseName() + suffix, types, phase, MAX_LOCAL);
  }

  /** The whole-line kernel of {@code capacity} for the same operand types. */
  public SortKernel line(int capacity) {
    String suffix = capacity == MAX_LOCAL ? "" : "_" + capacity;
    return new SortKernel(baseName() + suffix, types, Phase.LINE, capacity);
  }

  /** The capacity of the whole-line kernel for lines of these sizes. */
  public static int lineCapacity(Sizes s) {
    return s.padded() <= SMALL ? SMALL : MAX_LOCAL;
  }

  /** The {@code [outer, n, inner]} view of one application and the padded length. */
  public record Sizes(int lines, int n, int inner, int padded) {
    /** Whether the lines are sorted in passes over global scratch arrays. */
    public boolean multiPass() {
      return padded > MAX_LOCAL;
    }
  }

  /**
   * One launch of a sort: the kernel's phase and capacity, the number of work items (a multiple of
   * {@link #group()}) and the int arguments after the buffers.
   */
  public record Launch(Phase phase, int capacity, long items, int... ints) {
    /** Items per work group. */
    public int group() {
      return Math.min(GROUP, capacity / 2);
    }

    @Override
    public String toString() {
      return phase + java.util.Arrays.toString(ints);
    }
  }

  /** The launches sorting lines of these sizes, in order (none when there are no elements). */
  public static List<Launch> launches(Sizes s) {
    List<Launch> l = new ArrayList<>();
    if (s.lines() == 0 || s.n() == 0) {
      return l;
    }
    long lines = s.lines();
    int p = s.padded();
    if (!s.multiPass()) {
      int capacity = lineCapacity(s);
      l.add(
          new Launch(
              Phase.LINE, capacity, lines * Math.min(GROUP, capacity / 2), s.n(), s.inner(), p));
      return l;
    }
    long blocks = lines * (p / MAX_LOCAL);
    l.add(new Launch(Phase.BLOCKS, MAX_LOCAL, blocks * GROUP, s.n(), s.inner(), p));
    int pairs = (int) (lines * (p / 2));
    for (int size = 2 * MAX_LOCAL; size <= p; size *= 2) {
      for (int stride = size / 2; stride >= MAX_LOCAL; stride /= 2) {
        l.add(new Launch(Phase.STEP, MAX_LOCAL, pairs, p, size, stride, pairs));
      }
      l.add(new Launch(Phase.MERGE, MAX_LOCAL, blocks * GROUP, p, size));
    }
    int total = s.lines() * s.n();
    l.add(
        new Launch(
            Phase.GATHER,
            MAX_LOCAL,
            (total + GROUP - 1L) / GROUP * GROUP,
            s.n(),
            s.inner(),
            p,
            total));
    return l;
  }

  /** The whole-line kernel sorting {@code operands} (the keys first). */
  public static SortKernel of(List<AbstractValue> operands) {
    StringBuilder name = new StringBuilder("arbor_sort");
    List<DType> types = operands.stream().map(AbstractValue::dtype).toList();
    for (DType t : types) {
      name.append('_').append(t.shortName());
    }
    return new SortKernel(name.toString(), types);
  }

  /** Launch sizes for {@code keys} sorted along {@code axis} (32-bit indices). */
  public static Sizes sizes(AbstractValue keys, int axis) {
    LineSizes l = LineSizes.of(keys, axis);
    int n = l.length();
    if (n > (1 << 30)) {
      throw new UnsupportedKernelException("sort along an axis of " + n + " elements");
    }
    int padded = n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    if ((long) l.lines() * padded > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException(
          keys + " has more than 2^31-1 elements (padded to powers of two)");
    }
    return new Sizes(l.lines(), n, l.inner(), padded);
  }
}
