package dev.arbor.gpu.ir;

/**
 * Pass 1 of a tree reduction: {@link #loop()}'s trailing reduction split over {@link #groups()}
 * work groups of {@link #GROUP} items per kept point. Work group {@code g} (of {@code kept·groups})
 * serves kept point {@code g / groups} and part {@code g % groups}; its item {@code lid} visits the
 * reduced points {@code j = part·GROUP + lid, j + groups·GROUP, …} in increasing order (evaluating
 * the body and storing the domain outputs there, so every point is still visited once), then the
 * group combines its {@code GROUP} values in local/shared memory by a fixed tree (pairs {@code lid}
 * and {@code lid + s} for {@code s = GROUP/2, …, 1}) and item 0 writes partial {@code g}. With
 * {@code groups == 1} that partial is the result; otherwise a {@link CombineKernel} reduces each
 * kept point's {@code groups} partials the same way. The order of every combination depends only on
 * the shape, so results are identical from run to run (they differ from a sequential sum by
 * rounding, as any parallel sum does).
 *
 * <p>Launch: the loop's buffers, the last output being the partials ({@code kept·groups} elements
 * of the reduction's type, or the result when {@code groups == 1}); then one {@code int}: the
 * number of work groups, {@code kept·groups}. Grid: that many groups of {@link #GROUP} items.
 *
 * @param loop the loop kernel, with a reduction
 * @param groups work groups per kept point, 1 to {@link #MAX_GROUPS}
 */
public record PartialReduceKernel(LoopKernel loop, int groups) implements GpuKernel {
  /** Items per work group of both passes (a power of two). */
  public static final int GROUP = 256;

  /** Reductions shorter than this stay one work item per kept point. */
  public static final int MIN_LENGTH = 1024;

  /** Most work groups per kept point (the second pass reduces this many partials). */
  public static final int MAX_GROUPS = 1024;

  /** Reduced points each item should visit at least before another group is added. */
  static final int ITEMS_PER_THREAD = 16;

  /** Work groups the first pass aims for in all (a few per multiprocessor of a large GPU). */
  static final int TARGET_GROUPS = 2048;

  /**
   * Above this many kept points a reduction that does not include the innermost domain axis stays
   * one item per kept point: those items read adjacent elements (coalesced), a work group per kept
   * point would read strided ones, and there is parallelism enough.
   */
  static final int MAX_KEPT_STRIDED = 1024;

  public PartialReduceKernel {
    if (loop.reduction() == null) {
      throw new IllegalArgumentException("a partial reduction needs a loop with a reduction");
    }
    if (groups < 1 || groups > MAX_GROUPS) {
      throw new IllegalArgumentException("groups must be 1.." + MAX_GROUPS + ", got " + groups);
    }
  }

  @Override
  public String name() {
    return loop.name();
  }

  /** Number of work groups of the first pass: {@code kept · groups}. */
  public int workGroups() {
    return Math.multiplyExact(loop.workItems(), groups);
  }

  /**
   * How {@code k} should reduce: 0 for one work item per kept point looping over the reduced points
   * (no reduction, short reductions, or many kept points read along a non-innermost axis),
   * otherwise the number of work groups per kept point of a tree reduction. Full reductions and
   * long reductions over the innermost axis get the tree; the group count grows with the length
   * (about {@value #ITEMS_PER_THREAD} points per item) until the grid has about {@value
   * #TARGET_GROUPS} groups, capped at {@value #MAX_GROUPS}.
   */
  public static int groupsFor(LoopKernel k) {
    if (k.reduction() == null) {
      return 0;
    }
    long length = k.reductionLength();
    long kept = k.workItems();
    if (length < MIN_LENGTH || kept == 0) {
      return 0;
    }
    int[] dom = k.domain();
    boolean innermost = k.isReduced(dom.length - 1);
    if (!innermost && kept > MAX_KEPT_STRIDED) {
      return 0;
    }
    long byLength =
        (length + (long) GROUP * ITEMS_PER_THREAD - 1) / ((long) GROUP * ITEMS_PER_THREAD);
    long byGrid = (TARGET_GROUPS + kept - 1) / kept;
    long g = Math.min(Math.min(byLength, byGrid), MAX_GROUPS);
    if (kept * Math.max(g, 1) > Integer.MAX_VALUE) {
      return 0;
    }
    return (int) Math.max(g, 1);
  }
}
