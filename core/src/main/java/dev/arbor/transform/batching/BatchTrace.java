package dev.arbor.transform.batching;

import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.BatchAxis;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Trace;
import dev.arbor.core.Tracer;
import java.util.ArrayList;
import java.util.List;

/**
 * Vectorization: each tracer carries a value with one extra axis (its batch axis, anywhere) or none
 * ({@link Primitive#NOT_MAPPED}). Primitives apply their batching rules; collectives naming this
 * trace's axis reduce over it.
 */
public final class BatchTrace extends Trace {
  private final String axisName;
  private final int axisSize;

  /**
   * @param axisName the name collectives use for this axis, or null
   * @param axisSize the size of the mapped axis
   */
  public BatchTrace(String description, String axisName, int axisSize) {
    super(description);
    this.axisName = axisName;
    this.axisSize = axisSize;
  }

  /** The axis name, or null. */
  public String axisName() {
    return axisName;
  }

  /** The size of the mapped axis. */
  public int axisSize() {
    return axisSize;
  }

  /** A tracer for {@code value} batched along {@code dim} (or NOT_MAPPED). */
  public Tensor tracer(Tensor value, int dim) {
    return new BatchTracer(this, value, dim);
  }

  /** The value and batch axis of {@code t} as seen by this trace. */
  public Batched unwrap(Tensor t) {
    if (t instanceof BatchTracer b && b.trace == this) {
      return Batched.of(b.value, b.dim);
    }
    return Batched.of(t, Primitive.NOT_MAPPED);
  }

  @Override
  protected boolean claims(Primitive p, Params params) {
    if (axisName == null) {
      return false;
    }
    if (p.isCollective()) {
      return axisName.equals(params.get("axis_name"));
    }
    return p.axisBatchRule() != null && Graph.usesCollective(params, axisName);
  }

  @Override
  protected Tensor pure(Tensor value) {
    return new BatchTracer(this, value, Primitive.NOT_MAPPED);
  }

  @Override
  protected List<Tensor> process(Primitive p, List<Tensor> args, Params params) {
    List<Tensor> vals = new ArrayList<>(args.size());
    int[] dims = new int[args.size()];
    boolean any = false;
    for (int k = 0; k < args.size(); k++) {
      BatchTracer b = (BatchTracer) args.get(k);
      vals.add(b.value);
      dims[k] = b.dim;
      any |= b.dim != Primitive.NOT_MAPPED;
    }
    Batched r;
    if (p.isCollective()) {
      Object name = params.get("axis_name");
      if (axisName != null && axisName.equals(name)) {
        r = p.collectiveRule().apply(vals, dims, params, axisSize);
      } else {
        // A collective over an enclosing axis: the operation is elementwise along ours.
        List<Tensor> outs = p.bind(vals, params);
        r = new Batched(outs, dimsOf(dims, outs.size()));
      }
    } else if (p.axisBatchRule() != null && (any || claims(p, params))) {
      r = p.axisBatchRule().apply(vals, dims, params, new BatchAxis(axisName, axisSize));
    } else if (!any) {
      List<Tensor> outs = p.bind(vals, params);
      int[] nd = new int[outs.size()];
      java.util.Arrays.fill(nd, Primitive.NOT_MAPPED);
      r = new Batched(outs, nd);
    } else {
      r = p.batchRule().apply(vals, dims, params);
    }
    List<Tensor> result = new ArrayList<>(r.outputs().size());
    for (int k = 0; k < r.outputs().size(); k++) {
      result.add(new BatchTracer(this, r.outputs().get(k), r.dims()[k]));
    }
    return result;
  }

  private static int[] dimsOf(int[] inDims, int n) {
    int[] d = new int[n];
    java.util.Arrays.fill(d, inDims.length > 0 ? inDims[0] : Primitive.NOT_MAPPED);
    return d;
  }

  static final class BatchTracer extends Tracer {
    final BatchTrace trace;
    final Tensor value;
    final int dim;
    private final AbstractValue aval;

    BatchTracer(BatchTrace trace, Tensor value, int dim) {
      this.trace = trace;
      this.value = value;
      this.dim = dim;
      int[] d = value.shape().dims();
      if (dim != Primitive.NOT_MAPPED) {
        int[] nd = new int[d.length - 1];
        for (int k = 0, j = 0; k < d.length; k++) {
          if (k != dim) {
            nd[j++] = d[k];
          }
        }
        d = nd;
      }
      this.aval = new AbstractValue(Shape.of(d), value.dtype());
    }

    @Override
    public Trace trace() {
      return trace;
    }

    @Override
    public AbstractValue aval() {
      return aval;
    }
  }
}
