package dev.arbor;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backends;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Graph;
import dev.arbor.core.Primitive;
import dev.arbor.core.Scope;
import dev.arbor.core.StagingTrace;
import dev.arbor.core.primitives.AdMath;
import dev.arbor.core.primitives.Structural;
import dev.arbor.internal.Diagnostics;
import dev.arbor.internal.Versions;
import dev.arbor.module.ArraySpec;
import dev.arbor.plugin.LoadReport;
import dev.arbor.plugin.Plugins;
import dev.arbor.transform.ad.Ad;
import dev.arbor.transform.batching.BatchTrace;
import dev.arbor.transform.jit.JitConfig;
import dev.arbor.tree.KeyPath;
import dev.arbor.tree.TreeDef;
import dev.arbor.tree.Trees;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The user entry points: function transformations over pytrees of tensors.
 *
 * <p>Every transformation takes a function and returns a function; they compose freely ({@code
 * vmap(grad(f))}, {@code grad(grad(f))}, {@code jacfwd(jacrev(f))}). Arguments and results are
 * pytrees (records, lists, maps, modules, …) whose leaves are tensors. Chained calls need a typed
 * lambda parameter: {@code Arbor.grad((Tensor x) -> x.mul(x).sum()).apply(t)}.
 *
 * <p>Integer and boolean leaves are not differentiated: their gradient is a zero of their shape and
 * dtype.
 */
public final class Arbor {
  private Arbor() {}

  // ------------------------------------------------------------------ reverse mode

  /** The gradient of a scalar function, shaped like its argument. */
  public static <T> Function<T, T> grad(Function<T, Tensor> f) {
    Function<T, ValueAndGrad<T>> vg = valueAndGrad(f);
    return x -> vg.apply(x).grad();
  }

  /** The gradient with respect to the first argument only (the second is data). */
  public static <P, D> BiFunction<P, D, P> grad(BiFunction<P, D, Tensor> f) {
    BiFunction<P, D, ValueAndGrad<P>> vg = valueAndGrad(f);
    return (p, d) -> vg.apply(p, d).grad();
  }

  /** The value and gradient with respect to the first argument. */
  public static <P, D> BiFunction<P, D, ValueAndGrad<P>> valueAndGrad(BiFunction<P, D, Tensor> f) {
    String description = FlatFn.describe("grad", f);
    return (p, d) -> {
      GradAndAux<P, Void> r =
          Arbor.<P, Void>gradWithAuxNamed(
                  x -> new WithAux<>(f.apply(x, d), null), "grad", description)
              .apply(p);
      return new ValueAndGrad<>(r.value(), r.grad());
    };
  }

  /** The value and gradient of a scalar function. */
  public static <T> Function<T, ValueAndGrad<T>> valueAndGrad(Function<T, Tensor> f) {
    Function<T, GradAndAux<T, Void>> g =
        gradWithAux((T t) -> new WithAux<Void>(f.apply(t), null), "grad", f);
    return x -> {
      GradAndAux<T, Void> r = g.apply(x);
      return new ValueAndGrad<>(r.value(), r.grad());
    };
  }

  /** The gradient of {@code f}'s scalar value, plus its undifferentiated auxiliary output. */
  public static <T, A> Function<T, GradAndAux<T, A>> gradWithAux(Function<T, WithAux<A>> f) {
    return gradWithAux(f, "gradWithAux", f);
  }

  private static <T, A> Function<T, GradAndAux<T, A>> gradWithAux(
      Function<T, WithAux<A>> f, String what, Object user) {
    // Named once, where the transformation is made (the call site that matters in a leak error),
    // not on every call: the stack walk would sit on the hot path.
    return gradWithAuxNamed(f, what, FlatFn.describe(what, user));
  }

  private static <T, A> Function<T, GradAndAux<T, A>> gradWithAuxNamed(
      Function<T, WithAux<A>> f, String what, String description) {
    return x -> {
      Trees.Flat flat = Trees.flatten(x);
      List<Tensor> leaves = FlatFn.tensorLeaves(x, what + " argument");
      Function<T, WithAux<A>> checked =
          t -> {
            WithAux<A> r = f.apply(t);
            Tensor v = r == null ? null : r.value();
            if (v == null || v.rank() != 0 || !v.dtype().isFloating()) {
              throw new IllegalArgumentException(
                  what
                      + " needs a function that returns a float scalar, got "
                      + (v == null ? "null" : v.dtype().shortName() + v.shape())
                      + "; for non-scalar outputs use Arbor.jacrev or Arbor.vjp (or reduce with"
                      + " sum()/mean())");
            }
            return r;
          };
      FlatFn<T, WithAux<A>> ff = new FlatFn<>(checked, flat.treeDef());
      Ad.Linearized lin = Ad.linearize(ff, leaves, description);
      List<Tensor> outs = lin.primals();
      List<Tensor> cts = new ArrayList<>(outs.size());
      cts.add(AdMath.onesLike(outs.get(0)));
      for (int k = 1; k < outs.size(); k++) {
        cts.add(null);
      }
      T g = Trees.unflatten(flat.treeDef(), lin.transpose(cts));
      WithAux<A> primal = ff.rebuild(outs);
      return new GradAndAux<>(g, primal.aux(), primal.value());
    };
  }

  /**
   * The output of {@code f} at {@code primals} and its pullback: a function from output cotangents
   * to input cotangents.
   */
  public static <T, R> VjpResult<T, R> vjp(Function<T, R> f, T primals) {
    Trees.Flat flat = Trees.flatten(primals);
    FlatFn<T, R> ff = new FlatFn<>(f, flat.treeDef());
    Ad.Linearized lin =
        Ad.linearize(ff, FlatFn.tensorLeaves(primals, "vjp primal"), FlatFn.describe("vjp", f));
    R out = ff.rebuild(lin.primals());
    TreeDef outDef = ff.outDef();
    return new VjpResult<>(
        out,
        ct -> {
          Trees.Flat cf = Trees.flatten(ct);
          if (!cf.treeDef().equals(outDef)) {
            throw new IllegalArgumentException(
                "the cotangent must have the structure of the output: output "
                    + outDef
                    + ", cotangent "
                    + cf.treeDef());
          }
          return Trees.unflatten(
              flat.treeDef(), lin.transpose(FlatFn.tensorLeaves(ct, "cotangent")));
        });
  }

  // ------------------------------------------------------------------ forward mode

  /**
   * Linearizes {@code f} at {@code primals}: the output and the JVP as a reusable linear function
   * (JAX's {@code linearize}). Reverse mode is this plus a transpose.
   */
  public static <T, R> LinearizeResult<T, R> linearize(Function<T, R> f, T primals) {
    Trees.Flat flat = Trees.flatten(primals);
    FlatFn<T, R> ff = new FlatFn<>(f, flat.treeDef());
    Ad.Linearized lin =
        Ad.linearize(
            ff, FlatFn.tensorLeaves(primals, "linearize primal"), FlatFn.describe("linearize", f));
    R out = ff.rebuild(lin.primals());
    return new LinearizeResult<>(
        out,
        t -> {
          Trees.Flat tf = Trees.flatten(t);
          if (!tf.treeDef().equals(flat.treeDef())) {
            throw new IllegalArgumentException(
                "the tangent must have the structure of the primals: primals "
                    + flat.treeDef()
                    + ", tangent "
                    + tf.treeDef());
          }
          return ff.rebuild(lin.forward(FlatFn.tensorLeaves(t, "tangent")));
        });
  }

  /** The output of {@code f} at {@code primals} and its derivative along {@code tangents}. */
  public static <T, R> JvpResult<R> jvp(Function<T, R> f, T primals, T tangents) {
    Trees.Flat pf = Trees.flatten(primals);
    Trees.Flat tf = Trees.flatten(tangents);
    if (!pf.treeDef().equals(tf.treeDef())) {
      throw new IllegalArgumentException(
          "jvp: tangents must have the structure of the primals: primals "
              + pf.treeDef()
              + ", tangents "
              + tf.treeDef());
    }
    FlatFn<T, R> ff = new FlatFn<>(f, pf.treeDef());
    Ad.JvpOut o =
        Ad.jvp(
            ff,
            FlatFn.tensorLeaves(primals, "jvp primal"),
            FlatFn.tensorLeaves(tangents, "jvp tangent"),
            FlatFn.describe("jvp", f));
    return new JvpResult<>(ff.rebuild(o.primals()), ff.rebuild(o.tangents()));
  }

  // ------------------------------------------------------------------ vmap

  /** Vectorizes {@code f} over axis 0 of every argument leaf and result leaf. */
  public static <T, R> Function<T, R> vmap(Function<T, R> f) {
    return vmap(f, 0, 0, null, null);
  }

  /**
   * Vectorizes {@code f}. {@code inAxes}/{@code outAxes}: an {@code Integer} axis (negative counts
   * from the end), {@code null} (not mapped), or a prefix tree of them; for a record argument the
   * tree may be a {@code List} in component order or a {@code Map} keyed by component name.
   */
  public static <T, R> Function<T, R> vmap(Function<T, R> f, Object inAxes, Object outAxes) {
    return vmap(f, inAxes, outAxes, null, null);
  }

  /** As {@link #vmap(Function, Object, Object)}, naming the axis for collectives ({@code psum}). */
  public static <T, R> Function<T, R> vmap(
      Function<T, R> f, Object inAxes, Object outAxes, String axisName) {
    return vmap(f, inAxes, outAxes, axisName, null);
  }

  /**
   * The general form: {@code axisSize} gives the batch size when no argument is mapped (else it
   * must agree with the mapped arguments, or be null).
   */
  public static <T, R> Function<T, R> vmap(
      Function<T, R> f, Object inAxes, Object outAxes, String axisName, Integer axisSize) {
    String description = FlatFn.describe("vmap", f);
    return x -> {
      List<Map.Entry<KeyPath, Object>> leaves = Trees.leavesWithPath(x);
      TreeDef def = Trees.structure(x);
      List<VmapAxes.Entry> spec = VmapAxes.entries(inAxes, x, "inAxes");
      int[] dims = new int[leaves.size()];
      int size = -1;
      StringBuilder sizes = new StringBuilder();
      boolean mismatch = false;
      for (int k = 0; k < leaves.size(); k++) {
        KeyPath path = leaves.get(k).getKey();
        Object leaf = leaves.get(k).getValue();
        Integer axis = VmapAxes.axisFor(spec, path, "inAxes");
        dims[k] = Primitive.NOT_MAPPED;
        if (axis == null) {
          continue;
        }
        if (!(leaf instanceof Tensor t)) {
          throw new IllegalArgumentException(
              "vmap: the argument leaf at "
                  + VmapAxes.render(path)
                  + " is not a tensor but inAxes maps it (axis "
                  + axis
                  + "); give it axis null");
        }
        int a = axis < 0 ? axis + t.rank() : axis;
        if (a < 0 || a >= t.rank()) {
          throw new IllegalArgumentException(
              "vmap: inAxes "
                  + axis
                  + " is out of range for the argument at "
                  + VmapAxes.render(path)
                  + " of shape "
                  + t.shape()
                  + " (rank "
                  + t.rank()
                  + ")");
        }
        dims[k] = a;
        int n = t.shape().dim(a);
        sizes
            .append(sizes.isEmpty() ? "" : ", ")
            .append(VmapAxes.render(path))
            .append(": ")
            .append(n);
        if (size >= 0 && n != size) {
          mismatch = true;
        }
        size = size < 0 ? n : size;
      }
      if (mismatch) {
        throw new IllegalArgumentException(
            "vmap: the mapped axes have different sizes ("
                + sizes
                + "); all mapped arguments must agree");
      }
      if (size < 0) {
        if (axisSize == null) {
          throw new IllegalArgumentException(
              "vmap: no argument is mapped (inAxes is null everywhere); pass axisSize to say how many times to map");
        }
        size = axisSize;
      } else if (axisSize != null && axisSize != size) {
        throw new IllegalArgumentException(
            "vmap: axisSize " + axisSize + " disagrees with the mapped arguments (" + sizes + ")");
      }
      BatchTrace trace = new BatchTrace(description, axisName, size);
      try {
        List<Object> in = new ArrayList<>(leaves.size());
        for (int k = 0; k < leaves.size(); k++) {
          Object leaf = leaves.get(k).getValue();
          in.add(dims[k] == Primitive.NOT_MAPPED ? leaf : trace.tracer((Tensor) leaf, dims[k]));
        }
        R out = f.apply(Trees.unflatten(def, in));
        return batchedResult(trace, out, outAxes, size);
      } finally {
        trace.end();
      }
    };
  }

  private static <R> R batchedResult(BatchTrace trace, R out, Object outAxes, int size) {
    List<Map.Entry<KeyPath, Object>> leaves = Trees.leavesWithPath(out);
    List<VmapAxes.Entry> spec = VmapAxes.entries(outAxes, out, "outAxes");
    List<Object> result = new ArrayList<>(leaves.size());
    for (Map.Entry<KeyPath, Object> e : leaves) {
      if (!(e.getValue() instanceof Tensor t)) {
        result.add(e.getValue());
        continue;
      }
      Primitive.Batched b = trace.unwrap(t);
      Tensor v = b.outputs().get(0);
      int d = b.dims()[0];
      Integer axis = VmapAxes.axisFor(spec, e.getKey(), "outAxes");
      if (axis == null) {
        if (d != Primitive.NOT_MAPPED) {
          throw new IllegalArgumentException(
              "vmap: outAxes is null at "
                  + VmapAxes.render(e.getKey())
                  + " but that result depends on the mapped arguments; reduce it over the axis"
                  + " with a collective (Ops.psum/pmean with the vmap's axisName) or give it an"
                  + " out axis");
        }
        result.add(v);
        continue;
      }
      int rank = d == Primitive.NOT_MAPPED ? v.rank() + 1 : v.rank();
      int a = axis < 0 ? axis + rank : axis;
      if (a < 0 || a >= rank) {
        throw new IllegalArgumentException(
            "vmap: outAxes "
                + axis
                + " is out of range for the result at "
                + VmapAxes.render(e.getKey())
                + " (rank "
                + rank
                + " with the batch axis)");
      }
      // One move from where the batch axis is to where it is asked for (none if they agree).
      result.add(
          d == Primitive.NOT_MAPPED
              ? Structural.moveAxis(Structural.batchAxisToFront(v, d, size), 0, a)
              : Structural.moveAxis(v, d, a));
    }
    return Trees.unflatten(Trees.structure(out), result);
  }

  // ------------------------------------------------------------------ Jacobians

  /**
   * The Jacobian by forward mode (one JVP per input element, vectorized). For a {@code Tensor ->
   * Tensor} function, a tensor of shape {@code out ++ in}; otherwise a tree shaped like the output
   * whose leaves are trees shaped like the input.
   */
  public static <T, R> Function<T, R> jacfwd(Function<T, ?> f) {
    return x -> jacobian(f, x, true);
  }

  /** The Jacobian by reverse mode (one VJP per output element, vectorized). */
  public static <T, R> Function<T, R> jacrev(Function<T, ?> f) {
    return x -> jacobian(f, x, false);
  }

  /** The Hessian: {@code jacfwd(jacrev(f))}. */
  public static <T, R> Function<T, R> hessian(Function<T, ?> f) {
    return jacfwd(jacrev(f));
  }

  @SuppressWarnings("unchecked")
  private static <T, R> R jacobian(Function<T, ?> f, T x, boolean forward) {
    Trees.Flat flat = Trees.flatten(x);
    List<Tensor> in = FlatFn.tensorLeaves(x, "jacobian argument");
    FlatFn<T, Object> ff = new FlatFn<>((Function<T, Object>) f, flat.treeDef());
    // blocks[j][i]: d out_j / d in_i with shape out_j ++ in_i
    Tensor[][] blocks;
    List<Tensor> outs;
    if (forward) {
      outs = null;
      Tensor[][] cols = new Tensor[in.size()][];
      for (int i = 0; i < in.size(); i++) {
        Tensor xi = in.get(i);
        int n = (int) xi.size();
        Tensor basis = eye(n, xi.dtype().isFloating() ? xi.dtype() : DType.F32, xi.shape().dims());
        final int col = i;
        BatchTrace trace = new BatchTrace(FlatFn.describe("jacfwd", f), null, n);
        try {
          List<Tensor> tangents = new ArrayList<>();
          for (int k = 0; k < in.size(); k++) {
            tangents.add(k == col ? trace.tracer(basis, 0) : AdMath.zerosLike(in.get(k)));
          }
          if (!xi.dtype().isFloating()) {
            tangents.set(col, AdMath.zerosLike(xi));
          }
          Ad.JvpOut o = Ad.jvp(ff, in, tangents, FlatFn.describe("jacfwd", f));
          outs = o.primals();
          cols[i] = new Tensor[o.tangents().size()];
          for (int j = 0; j < o.tangents().size(); j++) {
            Primitive.Batched b = trace.unwrap(o.tangents().get(j));
            Tensor front = Structural.batchAxisToFront(b.outputs().get(0), b.dims()[0], n);
            cols[i][j] = Structural.moveAxis(front, 0, front.rank() - 1);
          }
        } finally {
          trace.end();
        }
      }
      if (outs == null) {
        outs = ff.apply(in);
      }
      blocks = new Tensor[outs.size()][in.size()];
      for (int j = 0; j < outs.size(); j++) {
        for (int i = 0; i < in.size(); i++) {
          blocks[j][i] = reshapeBlock(cols[i][j], outs.get(j), in.get(i));
        }
      }
    } else {
      Ad.Linearized lin = Ad.linearize(ff, in, FlatFn.describe("jacrev", f));
      outs = lin.primals();
      blocks = new Tensor[outs.size()][in.size()];
      for (int j = 0; j < outs.size(); j++) {
        Tensor yj = outs.get(j);
        int m = (int) yj.size();
        Tensor basis = eye(m, yj.dtype().isFloating() ? yj.dtype() : DType.F32, yj.shape().dims());
        BatchTrace trace = new BatchTrace(FlatFn.describe("jacrev", f), null, m);
        try {
          List<Tensor> cts = new ArrayList<>();
          for (int k = 0; k < outs.size(); k++) {
            cts.add(k == j && yj.dtype().isFloating() ? trace.tracer(basis, 0) : null);
          }
          List<Tensor> g = lin.transpose(cts);
          for (int i = 0; i < in.size(); i++) {
            Primitive.Batched b = trace.unwrap(g.get(i));
            Tensor front = Structural.batchAxisToFront(b.outputs().get(0), b.dims()[0], m);
            int[] shape = concat(yj.shape().dims(), in.get(i).shape().dims());
            blocks[j][i] = Structural.reshape(front, shape);
          }
        } finally {
          trace.end();
        }
      }
    }
    Object outTree = ff.rebuild(outs);
    if (in.size() == 1 && outs.size() == 1 && x instanceof Tensor && outTree instanceof Tensor) {
      return (R) blocks[0][0];
    }
    List<Object> perOut = new ArrayList<>(outs.size());
    for (int j = 0; j < outs.size(); j++) {
      perOut.add(Trees.unflatten(flat.treeDef(), Arrays.asList((Object[]) blocks[j])));
    }
    return (R) ff.rebuild(castAll(perOut));
  }

  @SuppressWarnings("unchecked")
  private static List<Tensor> castAll(List<Object> l) {
    // rebuild() puts these trees where the output's tensors were; they are not tensors, which
    // Trees.unflatten accepts (leaves may be anything).
    return (List<Tensor>) (List<?>) l;
  }

  private static Tensor reshapeBlock(Tensor col, Tensor out, Tensor in) {
    // col: out ++ [n_in] -> out ++ in
    return Structural.reshape(col, concat(out.shape().dims(), in.shape().dims()));
  }

  private static int[] concat(int[] a, int[] b) {
    int[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** The identity of size n reshaped to {@code [n, ...dims]}. */
  private static Tensor eye(int n, DType dtype, int[] dims) {
    HostArray h =
        HostArray.zeros(
            new AbstractValue(dev.arbor.array.Shape.of(concat(new int[] {n}, dims)), dtype));
    for (int k = 0; k < n; k++) {
      h.setDouble(k * n + k, 1);
    }
    return ConcreteTensor.of(h);
  }

  // ------------------------------------------------------------------ jit

  /**
   * Compiles {@code f}: see {@link Jitted}. The cache holds {@code -Darbor.jit.cacheSize} entries
   * (default 256) per jitted function.
   */
  public static <T, R> Jitted<T, R> jit(Function<T, R> f) {
    return new Jitted<>(f, FlatFn.describe("jit", f), JitConfig.defaults());
  }

  /** As {@link #jit(Function)} with explicit options (cache size, fusion, constant folding). */
  public static <T, R> Jitted<T, R> jit(Function<T, R> f, JitConfig config) {
    return new Jitted<>(f, FlatFn.describe("jit", f), config);
  }

  // ------------------------------------------------------------------ control flow on pytrees

  /**
   * {@code pred ? onTrue(operand) : onFalse(operand)} decided at run time (JAX's {@code lax.cond}):
   * both branches are staged once and must return the same structure, shapes and dtypes.
   * Differentiable and batchable (a batched predicate runs both branches and selects).
   *
   * @param pred a scalar bool tensor
   */
  public static <T, R> R cond(
      Tensor pred, Function<T, R> onTrue, Function<T, R> onFalse, T operand) {
    return switchCase(
        pred.dtype() == DType.BOOL ? pred.astype(DType.I32) : pred,
        List.of(onFalse, onTrue),
        operand);
  }

  /**
   * {@code branches.get(index)(operand)} (JAX's {@code lax.switch}); an index out of range is
   * clamped. All branches must return the same structure, shapes and dtypes.
   */
  public static <T, R> R switchCase(Tensor index, List<Function<T, R>> branches, T operand) {
    TreeIO in = TreeIO.of(operand);
    TreeIO[] out = new TreeIO[1];
    List<Function<List<Tensor>, List<Tensor>>> flat = new ArrayList<>();
    for (Function<T, R> b : branches) {
      flat.add(TreeIO.flat(b, in, out, "every branch of switchCase/cond"));
    }
    List<Tensor> r = dev.arbor.transform.Control.switchCase(index, flat, in.tensors());
    return out[0].rebuild(r);
  }

  /**
   * Repeats {@code carry = body(carry)} while {@code cond(carry)} holds (JAX's {@code
   * lax.while_loop}). Forward-differentiable and batchable; reverse mode is refused (use {@link
   * #fori} or {@link #scan}).
   */
  public static <C> C whileLoop(Function<C, Tensor> cond, Function<C, C> body, C init) {
    TreeIO in = TreeIO.of(init);
    TreeIO[] out = new TreeIO[1];
    List<Tensor> r =
        dev.arbor.transform.Control.whileLoop(
            l -> cond.apply(in.rebuild(l)),
            TreeIO.flat(body, in, out, "the whileLoop body"),
            in.tensors());
    return in.rebuild(r);
  }

  /**
   * {@code for (i = lower; i < upper; i++) carry = body(i, carry)} with static bounds (JAX's {@code
   * lax.fori_loop}); lowered to a scan, so it is differentiable in both modes.
   */
  public static <C> C fori(int lower, int upper, BiFunction<Tensor, C, C> body, C init) {
    TreeIO in = TreeIO.of(init);
    TreeIO[] out = new TreeIO[1];
    List<Tensor> r =
        dev.arbor.transform.Control.fori(
            lower,
            upper,
            (i, l) -> TreeIO.flat((C c) -> body.apply(i, c), in, out, "the fori body").apply(l),
            in.tensors());
    return in.rebuild(r);
  }

  /**
   * Scans {@code f} over the leading axis of {@code xs} (JAX's {@code lax.scan}): {@code f(carry,
   * x)} returns the next carry and a per-step output; the result holds the final carry and the
   * per-step outputs stacked on a new axis 0. Differentiable in both modes (reverse mode stores one
   * carry per step and recomputes the rest).
   */
  public static <C, X, Y> ScanResult<C, Y> scan(
      BiFunction<C, X, ScanResult<C, Y>> f, C init, X xs) {
    TreeIO carryIn = TreeIO.of(init);
    TreeIO xsIn = TreeIO.of(xs);
    if (xsIn.tensors().isEmpty()) {
      throw new IllegalArgumentException("scan needs at least one tensor in xs to scan over");
    }
    TreeIO[] carryOut = new TreeIO[1];
    TreeIO[] ysOut = new TreeIO[1];
    dev.arbor.transform.Control.Scanned s =
        dev.arbor.transform.Control.scan(
            (c, x) -> {
              ScanResult<C, Y> r = f.apply(carryIn.rebuild(c), xsIn.rebuild(x));
              TreeIO co = TreeIO.of(r.carry());
              TreeIO yo = TreeIO.of(r.ys());
              if (!co.sameShapeAs(carryIn)) {
                throw new IllegalArgumentException(
                    "the scan body must return a carry of the init's structure "
                        + carryIn.def()
                        + ", got "
                        + co.def());
              }
              carryOut[0] = co;
              ysOut[0] = yo;
              return new dev.arbor.transform.Control.Scanned(co.tensors(), yo.tensors());
            },
            carryIn.tensors(),
            xsIn.tensors());
    return new ScanResult<>(carryIn.rebuild(s.carry()), ysOut[0].rebuild(s.ys()));
  }

  // ------------------------------------------------------------------ staging

  /**
   * Stages {@code f} at the shapes and dtypes of {@code example} (a tree of tensors or {@link
   * ArraySpec}s) and returns the graph, printable like a jaxpr.
   */
  public static <T> Graph makeGraph(Function<T, ?> f, T example) {
    return stage(f, example).graph;
  }

  /**
   * The shapes and dtypes of {@code f}'s output (a tree of {@link ArraySpec}) for inputs shaped
   * like {@code specs} (a tree of tensors or ArraySpecs), without computing anything.
   */
  public static <T> Object evalShape(Function<T, ?> f, Object specs) {
    Staged s = stage(f, specs);
    List<Object> leaves = new ArrayList<>();
    for (AbstractValue a : s.graph.outputAvals()) {
      leaves.add(new ArraySpec(a.shape(), a.dtype()));
    }
    return s.fn.rebuild(castAll(leaves));
  }

  private record Staged(Graph graph, FlatFn<Object, Object> fn) {}

  @SuppressWarnings("unchecked")
  private static <T> Staged stage(Function<T, ?> f, Object example) {
    Trees.Flat flat = Trees.flatten(example);
    FlatFn<Object, Object> ff = new FlatFn<>((Function<Object, Object>) f, flat.treeDef());
    StagingTrace trace = new StagingTrace(FlatFn.describe("makeGraph", f));
    try {
      List<Tensor> in = new ArrayList<>();
      for (Map.Entry<KeyPath, Object> e : Trees.leavesWithPath(example)) {
        Object leaf = e.getValue();
        AbstractValue a;
        if (leaf instanceof Tensor t) {
          a = new AbstractValue(t.shape(), t.dtype());
        } else if (leaf instanceof ArraySpec s) {
          a = new AbstractValue(s.shape(), s.dtype());
        } else {
          throw new IllegalArgumentException(
              "the example leaf at "
                  + VmapAxes.render(e.getKey())
                  + " must be a Tensor or an ArraySpec, got "
                  + leaf);
        }
        in.add(trace.newInput(a));
      }
      List<Tensor> outs = ff.apply(in);
      return new Staged(trace.toGraph(outs), ff);
    } finally {
      trace.end();
    }
  }

  // ------------------------------------------------------------------ runtime

  /** The name of the default backend. */
  public static String backend() {
    return Backends.defaultBackend().name();
  }

  /**
   * Opens a memory scope on this thread: tensors created inside {@code try (var scope =
   * Arbor.scope()) { … }} have their buffers released when the block ends, except those passed to
   * {@link Scope#keep}. Use it in hot loops that should not wait for the garbage collector (which
   * releases unreachable tensors' buffers anyway). Scopes nest; a kept tensor moves to the
   * enclosing scope. Using a released tensor fails with an {@link IllegalStateException} that names
   * {@code keep}.
   */
  public static Scope scope() {
    return Scope.open();
  }

  /** Arbor's version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    return Versions.arbor();
  }

  /**
   * A plain-text report: version, backends (available, rank, default, why, jar), node types and the
   * jar each came from, primitives with the rules each has and its kernel per available backend,
   * the agent's state, plugins loaded at run time, and every plugin problem found. {@code arbor
   * info} prints it.
   */
  public static String describe() {
    return Diagnostics.text();
  }

  /**
   * The report of {@link #describe()} as JSON (an object with {@code arbor}, {@code java}, {@code
   * backends}, {@code nodeTypes}, {@code primitives}, {@code agent}, {@code plugins} and {@code
   * problems}); see {@code docs/plugins.md} for the fields. {@code arbor info --json} prints it.
   */
  public static String describeJson() {
    return Diagnostics.json();
  }

  /**
   * Loads the plugin jars in {@code dir} (each {@code *.jar} directly in it) while the program
   * runs: each gets its own class loader, and the node types, primitives, backends and kernels it
   * contributes are usable as soon as this returns. All or nothing per jar: a jar that fails (not a
   * zip, a missing or throwing provider, a name already taken, classes for a newer Java, an {@code
   * Arbor-Requires} this version does not meet) is reported and leaves every registry as it was;
   * the other jars still load. Loading the same jar again is a no-op. See {@code docs/plugins.md}.
   *
   * @return what was loaded, skipped and refused
   * @throws IllegalArgumentException if {@code dir} is not a directory
   */
  public static LoadReport loadPlugins(Path dir) {
    return Plugins.load(dir);
  }
}
