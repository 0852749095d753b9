package dev.arbor.transform.ad;

import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Trace;
import dev.arbor.core.Tracer;
import java.util.ArrayList;
import java.util.List;

/**
 * Forward-mode differentiation: each tracer carries a primal and a tangent ({@code null} is a
 * symbolic zero, and is what integer and boolean values always carry). Primitives apply their JVP
 * rules.
 */
public final class JvpTrace extends Trace {
  /** Starts a JVP trace; end it with {@link #end()} in a finally block. */
  public JvpTrace(String description) {
    super(description);
  }

  /** A tracer of this trace for {@code primal} with tangent {@code tangent} (null = zero). */
  public Tensor tracer(Tensor primal, Tensor tangent) {
    if (tangent != null) {
      if (!primal.dtype().isFloating()) {
        tangent = null;
      } else if (!tangent.shape().equals(primal.shape()) || tangent.dtype() != primal.dtype()) {
        throw new IllegalArgumentException(
            "tangent "
                + tangent.dtype().shortName()
                + tangent.shape()
                + " does not match its primal "
                + primal.dtype().shortName()
                + primal.shape()
                + "; tangents must have the primal's shape and dtype");
      }
    }
    return new JvpTracer(this, primal, tangent);
  }

  /** The primal of {@code t} if it is this trace's tracer, else {@code t} itself. */
  public Tensor primal(Tensor t) {
    return t instanceof JvpTracer j && j.trace == this ? j.primal : t;
  }

  /** The tangent of {@code t} if it is this trace's tracer, else null (zero). */
  public Tensor tangent(Tensor t) {
    return t instanceof JvpTracer j && j.trace == this ? j.tangent : null;
  }

  @Override
  protected Tensor pure(Tensor value) {
    return new JvpTracer(this, value, null);
  }

  @Override
  protected List<Tensor> process(Primitive p, List<Tensor> args, Params params) {
    List<Tensor> primals = new ArrayList<>(args.size());
    List<Tensor> tangents = new ArrayList<>(args.size());
    boolean anyTangent = false;
    for (Tensor a : args) {
      JvpTracer j = (JvpTracer) a;
      primals.add(j.primal);
      tangents.add(j.tangent);
      anyTangent |= j.tangent != null;
    }
    List<Tensor> outs = new ArrayList<>();
    if (!anyTangent) {
      for (Tensor o : p.bind(primals, params)) {
        outs.add(new JvpTracer(this, o, null));
      }
      return outs;
    }
    JvpResult r = p.jvpRule().apply(primals, tangents, params);
    for (int k = 0; k < r.primals().size(); k++) {
      Tensor primal = r.primals().get(k);
      Tensor tangent = r.tangents().get(k);
      outs.add(new JvpTracer(this, primal, primal.dtype().isFloating() ? tangent : null));
    }
    return outs;
  }

  static final class JvpTracer extends Tracer {
    final JvpTrace trace;
    final Tensor primal;
    final Tensor tangent;
    private final AbstractValue aval;

    JvpTracer(JvpTrace trace, Tensor primal, Tensor tangent) {
      this.trace = trace;
      this.primal = primal;
      this.tangent = tangent;
      this.aval = new AbstractValue(primal.shape(), primal.dtype());
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
