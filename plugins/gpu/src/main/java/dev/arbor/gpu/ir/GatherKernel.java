package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;

/**
 * {@code gather} or {@code scatter_add} (core's {@code Indexing}: parameters {@code axis}, {@code
 * batch_dims}), indices clamped into {@code [0, N-1]} as the reference does. Viewing the operand as
 * {@code [B, P1, N, P2]} (batch axes, the axes before {@code axis}, the indexed axis, the axes
 * after) and the indices as {@code [B, I]}, the gathered shape is {@code [B, P1, I, P2]}:
 *
 * <ul>
 *   <li><b>gather</b>: one work item per output element {@code (b, p1, i, p2)}, which reads {@code
 *       x[b, p1, clamp(idx[b, i]), p2]}.
 *   <li><b>scatter_add</b>: one work item per <em>column</em> {@code (b, p1, p2)} and <em>part</em>
 *       (of {@link Sizes#parts}, a power of two): item {@code (col, part)} owns the destination
 *       rows {@code r} with {@code r mod parts = part}. It copies its rows of {@code x[b, p1, :,
 *       p2]} to the output, then for {@code i = 0, 1, …} in order adds {@code u[b, p1, i, p2]} at
 *       {@code c = clamp(idx[b, i])} when {@code c} is one of its rows. Items touch disjoint
 *       outputs, so there are no atomics and no races, and each output element receives its
 *       additions in the reference's order (increasing update index): the result is the
 *       reference's, bit for bit, on every run. Items are numbered {@code part·columns + col}, so a
 *       warp shares one part (no divergence on the ownership test) and reads consecutive columns.
 *       Each item still walks all {@code I} indices (cheap broadcast loads): parts only spread the
 *       updates, up to {@link #MAX_PARTS} and until there are {@link #TARGET_ITEMS} items.
 * </ul>
 *
 * <p>Sizes are launch arguments (one program per operand type, index type and kind). Launch:
 * gather: buffers {@code x}, {@code idx}, {@code out}; scatter_add: {@code x}, {@code idx}, {@code
 * updates}, {@code out}; then {@code int n} (work items), {@code p1}, {@code ni} (I), {@code p2},
 * {@code len} (N), {@code parts} (1 for gather). 32-bit index arithmetic: operands above 2^31-1
 * elements are refused.
 *
 * @param name the entry point's name
 * @param type the operand's (and output's) element type
 * @param index the indices' element type (I32 or I64)
 * @param scatter scatter_add (else gather)
 */
public record GatherKernel(String name, DType type, DType index, boolean scatter)
    implements GpuKernel {
  public GatherKernel {
    if (index != DType.I32 && index != DType.I64) {
      throw new UnsupportedKernelException("index type " + index);
    }
    if (scatter && type == DType.BOOL) {
      throw new UnsupportedKernelException("scatter_add on BOOL");
    }
  }

  /** Most parts a scatter_add column is split into (see the class comment). */
  public static final int MAX_PARTS = 64;

  /** scatter_add splits columns into parts while it has fewer work items than this. */
  public static final int TARGET_ITEMS = 1 << 16;

  /**
   * The {@code [B, P1, N, P2]} / {@code [B, I]} view of one application, as launch sizes; {@code
   * parts} splits each scatter_add column's destination rows among that many items.
   */
  public record Sizes(int items, int p1, int ni, int p2, int len, int parts) {
    /** The integer launch arguments in the kernel's order. */
    public int[] arguments() {
      return new int[] {items, p1, ni, p2, len, parts};
    }
  }

  /**
   * The kernel for {@code gather} or {@code scatter_add} of operand type {@code x} by {@code idx}.
   */
  public static GatherKernel of(String primitive, AbstractValue x, AbstractValue idx) {
    boolean scatter = primitive.equals("scatter_add");
    return new GatherKernel(
        "arbor_" + primitive + "_" + x.dtype().shortName() + "_" + idx.dtype().shortName(),
        x.dtype(),
        idx.dtype(),
        scatter);
  }

  /** The launch sizes of this kernel for operand {@code x}, indices {@code idx}, parameters p. */
  public Sizes sizes(AbstractValue x, AbstractValue idx, Params p) {
    int axis = p.intValue("axis");
    int nb = p.intValue("batch_dims");
    int[] xd = x.shape().dims();
    int[] id = idx.shape().dims();
    long b = 1;
    for (int a = 0; a < nb; a++) {
      b *= xd[a];
    }
    long p1 = 1;
    for (int a = nb; a < axis; a++) {
      p1 *= xd[a];
    }
    long p2 = 1;
    for (int a = axis + 1; a < xd.length; a++) {
      p2 *= xd[a];
    }
    long ni = 1;
    for (int a = nb; a < id.length; a++) {
      ni *= id[a];
    }
    long gathered = b * p1 * ni * p2;
    if (x.shape().size() > Integer.MAX_VALUE
        || gathered > Integer.MAX_VALUE
        || idx.shape().size() > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException(name + " over more than 2^31-1 elements");
    }
    long columns = b * p1 * p2;
    int parts = 1;
    while (scatter
        && parts < MAX_PARTS
        && 2L * parts <= xd[axis]
        && columns * parts < TARGET_ITEMS) {
      parts *= 2;
    }
    long items = scatter ? columns * parts : gathered;
    return new Sizes((int) items, (int) p1, (int) ni, (int) p2, xd[axis], parts);
  }
}
