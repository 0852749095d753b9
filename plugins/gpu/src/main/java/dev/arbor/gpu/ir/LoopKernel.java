package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import java.util.Arrays;
import java.util.List;

/**
 * One loop over a domain (a row-major shape): a fused chain of elementwise and broadcast values,
 * stored at the domain's points, with an optional trailing reduction over some domain axes.
 *
 * <p>Without a reduction there is one work item per domain point. With one, there is one work item
 * per point of the kept axes, which loops over the reduced axes, evaluates the body at each point
 * (storing the domain-shaped outputs there too: every point is visited exactly once) and
 * accumulates the reduced value.
 *
 * <p>Buffers, in launch order: the inputs, the domain-shaped outputs ({@link #stores}), the
 * reduction's output if any; then one {@code int}: the number of work items ({@link #workItems}).
 *
 * @param name the entry point's name
 * @param domain the loop's shape
 * @param reducedAxes the domain axes the reduction removes (increasing); empty without one
 * @param inputs the element type of each input buffer
 * @param body the values, in SSA order
 * @param stores body values written to domain-shaped output buffers, in output order
 * @param reduction the trailing reduction, or null
 */
public record LoopKernel(
    String name,
    int[] domain,
    int[] reducedAxes,
    List<DType> inputs,
    List<Op> body,
    List<Integer> stores,
    Reduction reduction)
    implements GpuKernel {

  /**
   * Reduces body value {@code value} with {@code fn}, accumulating in {@code type} (the output's
   * element type: BOOL sums count into I32).
   */
  public record Reduction(Op.ReduceFn fn, int value, DType type) {}

  public LoopKernel {
    domain = domain.clone();
    reducedAxes = reducedAxes.clone();
    inputs = List.copyOf(inputs);
    body = List.copyOf(body);
    stores = List.copyOf(stores);
    if (reduction == null && reducedAxes.length != 0) {
      throw new AssertionError("reduced axes without a reduction");
    }
    long n = 1;
    for (int d : domain) {
      n *= d;
    }
    if (n > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException(
          "domain " + Arrays.toString(domain) + " has more than 2^31-1 points");
    }
  }

  @Override
  public int[] domain() {
    return domain.clone();
  }

  @Override
  public int[] reducedAxes() {
    return reducedAxes.clone();
  }

  /** Whether domain axis {@code d} is reduced. */
  public boolean isReduced(int d) {
    for (int a : reducedAxes) {
      if (a == d) {
        return true;
      }
    }
    return false;
  }

  /**
   * Domain points per work item of a loop without a reduction whose loads are all at the linear
   * index (elementwise chains, scalar operands): item {@code g} of {@code T} takes points {@code g,
   * g + T, g + 2T, …} (each pass coalesced), so that several loads per thread are in flight. 1 with
   * a reduction, with broadcast or transposed operands (their per-point coordinate arithmetic gains
   * nothing measured), and for domains near 2^31 points (the indices are 32-bit).
   */
  public static final int POINTS_PER_ITEM = 4;

  /** {@link #POINTS_PER_ITEM}, or 1 where it does not apply. */
  public int pointsPerItem() {
    return reduction == null && !readsByCoordinates() && workItems() <= 1 << 30
        ? POINTS_PER_ITEM
        : 1;
  }

  /**
   * Whether some load is broadcast along or transposed over a domain axis (not a scalar), or the
   * body computes indices ({@link Op.Index}, {@link Op.LoadAt}).
   */
  private boolean readsByCoordinates() {
    for (Op op : body) {
      if (op instanceof Op.Index || op instanceof Op.LoadAt) {
        return true;
      }
      if (op instanceof Op.Load l) {
        for (int st : l.strides()) {
          if (st != 0) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Work items to launch: {@link #workItems} divided by {@link #pointsPerItem}, rounded up. */
  public int launchItems() {
    int p = pointsPerItem();
    return (workItems() + p - 1) / p;
  }

  /** Number of work items: domain points, or kept points with a reduction. */
  public int workItems() {
    long n = 1;
    for (int d = 0; d < domain.length; d++) {
      if (!isReduced(d)) {
        n *= domain[d];
      }
    }
    return (int) n;
  }

  /** Number of domain points each work item reduces over (1 without a reduction). */
  public int reductionLength() {
    long n = 1;
    for (int a : reducedAxes) {
      n *= domain[a];
    }
    return (int) n;
  }

  /**
   * Whether the emitted code needs the domain's coordinates: a reduction, an input read with
   * strides, or an {@link Op.Index}. Kernels that need none do not depend on the domain's shape at
   * all, so one program serves every size.
   */
  public boolean needsCoordinates() {
    if (reduction != null) {
      return true;
    }
    for (Op op : body) {
      if (op instanceof Op.Index || op instanceof Op.Load l && !l.isLinear()) {
        return true;
      }
    }
    return false;
  }

  /** Row-major strides of the domain, in elements. */
  public int[] domainStrides() {
    int[] s = new int[domain.length];
    int acc = 1;
    for (int d = domain.length - 1; d >= 0; d--) {
      s[d] = acc;
      acc *= domain[d];
    }
    return s;
  }

  /** The element types of the output buffers, in launch order. */
  public List<DType> outputs() {
    List<DType> out = new java.util.ArrayList<>();
    for (int v : stores) {
      out.add(body.get(v).type());
    }
    if (reduction != null) {
      out.add(reduction.type());
    }
    return out;
  }
}
