package dev.arbor.core.primitives;

import static dev.arbor.core.primitives.Shapes.arity;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Primitives that select, combine or place parts of arrays: {@code squeeze}, {@code expand_dims},
 * {@code slice}, {@code pad}, {@code concatenate}, {@code dynamic_slice}, {@code
 * dynamic_update_slice}, {@code gather} and {@code scatter_add}. All are linear in their data
 * operands (never in index operands), so each has a transpose rule; they transpose into each other
 * (slice and pad, dynamic_slice and dynamic_update_slice, gather and scatter_add).
 *
 * <p>Index operands are integer tensors and are <b>clamped</b>, as XLA does: a dynamic_slice start
 * is clamped so that the window fits, a gather/scatter_add index into {@code [0, n-1]}. Clamping
 * (rather than dropping) makes scatter_add exactly the transpose of gather. The {@code Ops} layer
 * checks concrete indices and reports out-of-range ones as errors before they get here.
 *
 * <p><b>gather / scatter_add dimension numbers</b> (a documented subset of XLA's): parameters
 * {@code axis} and {@code batch_dims}. The operand has shape {@code B + P1 + [N] + P2} where {@code
 * B} is its first {@code batch_dims} axes and {@code [N]} is axis {@code axis >= batch_dims}; the
 * indices have shape {@code B + I}; {@code gather} returns {@code B + P1 + I + P2} with {@code
 * out[b, p1, i, p2] = x[b, p1, idx[b, i], p2]} (TensorFlow's {@code gather(x, idx, axis,
 * batch_dims)}). {@code batch_dims = 0} is numpy's {@code take(x, idx, axis)}; {@code
 * take_along_axis} moves the axis last and gathers with {@code batch_dims = rank - 1}. {@code
 * scatter_add(x, idx, updates)} takes updates of the gather's output shape and adds them into
 * {@code x} at the same positions (repeated indices accumulate).
 */
public final class Indexing {
  private Indexing() {}

  // ------------------------------------------------------------ shared helpers

  /** A kernel that copies all elements in row-major order (the shape changes, the data not). */
  private static List<HostArray> copyKernel(List<HostArray> in, Params p, List<AbstractValue> out) {
    HostArray x = in.get(0);
    HostArray r = HostArray.zeros(out.get(0));
    for (int k = 0; k < r.size(); k++) {
      r.copyElement(x, k, k);
    }
    return List.of(r);
  }

  /** The common batch size of the mapped operands. */
  private static int batchSize(List<Tensor> args, int[] dims) {
    for (int k = 0; k < args.size(); k++) {
      if (dims[k] != Primitive.NOT_MAPPED) {
        return args.get(k).shape().dim(dims[k]);
      }
    }
    throw new AssertionError("batching rule called with no mapped operand");
  }

  /** Operand {@code k} with its batch axis first (broadcast along a new one if unmapped). */
  private static Tensor front(List<Tensor> args, int[] dims, int k) {
    return Structural.batchAxisToFront(args.get(k), dims[k], batchSize(args, dims));
  }

  private static int[] prepend(int first, int[] rest) {
    int[] r = new int[rest.length + 1];
    r[0] = first;
    System.arraycopy(rest, 0, r, 1, rest.length);
    return r;
  }

  private static int[] plusOne(int[] a) {
    int[] r = new int[a.length];
    for (int k = 0; k < a.length; k++) {
      r[k] = a[k] + 1;
    }
    return r;
  }

  private static String str(int[] a) {
    return Arrays.toString(a).replace(" ", "");
  }

  private static IllegalArgumentException error(String op, String message) {
    return new IllegalArgumentException("'" + op + "': " + message);
  }

  private static void requireLength(String op, String what, int[] v, AbstractValue x) {
    if (v.length != x.rank()) {
      throw error(
          op,
          what + " " + str(v) + " must have one entry per axis of " + x + " (" + x.rank() + ")");
    }
  }

  private static void requireIndexScalar(String op, AbstractValue s, int k) {
    if (s.rank() != 0 || !s.dtype().isInteger()) {
      throw error(
          op,
          "start index "
              + k
              + " must be an integer scalar (i32[] or i64[]), got "
              + s
              + "; pass one scalar per operand axis");
    }
  }

  private static void requireIndices(String op, AbstractValue idx) {
    if (!idx.dtype().isInteger()) {
      throw error(op, "indices must be an integer tensor, got " + idx + "; use astype(DType.I32)");
    }
  }

  /** Validates axes and insists they are sorted and non-negative, as the binders make them. */
  private static int[] normalized(String op, Shape shape, int[] dims) {
    int[] d = Shapes.axes(op, shape, dims);
    int[] sorted = d.clone();
    Arrays.sort(sorted);
    if (!Arrays.equals(sorted, dims)) {
      throw new AssertionError("'" + op + "' dims must be normalized by the binder: " + str(dims));
    }
    return d;
  }

  private static Tensor zeros(AbstractValue a) {
    return Tensor.full(0, a.dtype(), a.shape().dims());
  }

  private static int clamp(long v, int lo, int hi) {
    return (int) Math.max(lo, Math.min(hi, v));
  }

  // ------------------------------------------------------------ squeeze

  /** {@code squeeze[dims=D]}: removes the axes {@code D} (sorted, non-negative), each of size 1. */
  public static final Primitive SQUEEZE =
      Primitive.single("squeeze")
          .shapeRule(
              (in, p) -> {
                arity("squeeze", in, 1);
                AbstractValue x = in.get(0);
                int[] dims = normalized("squeeze", x.shape(), p.ints("dims"));
                for (int d : dims) {
                  if (x.shape().dim(d) != 1) {
                    throw error(
                        "squeeze",
                        "axis "
                            + d
                            + " of "
                            + x
                            + " has size "
                            + x.shape().dim(d)
                            + ", only axes of size 1 can be squeezed; use reshape, slice or a"
                            + " reduction instead");
                  }
                }
                int[] kept = Reductions.keptAxes(x.rank(), dims);
                int[] shape = new int[kept.length];
                for (int k = 0; k < kept.length; k++) {
                  shape[k] = x.shape().dim(kept[k]);
                }
                return List.of(Shapes.withShape(x, shape));
              })
          .reference(Indexing::copyKernel)
          .transpose(
              (ct, args, p) ->
                  Arrays.asList(ct.get(0) == null ? null : expandDims(ct.get(0), p.ints("dims"))))
          .batch(
              (args, bd, p) -> Batched.of(squeeze(front(args, bd, 0), plusOne(p.ints("dims"))), 0));

  static {
    SQUEEZE.jvp(Structural.linearJvp(SQUEEZE));
  }

  // ------------------------------------------------------------ expand_dims

  /**
   * {@code expand_dims[dims=D]}: inserts axes of size 1 so that they sit at positions {@code D}
   * (sorted, non-negative) of the output.
   */
  public static final Primitive EXPAND_DIMS =
      Primitive.single("expand_dims")
          .shapeRule(
              (in, p) -> {
                arity("expand_dims", in, 1);
                AbstractValue x = in.get(0);
                int[] dims = p.ints("dims");
                int outRank = x.rank() + dims.length;
                int[] norm = normalized("expand_dims", Shape.of(new int[outRank]), dims);
                boolean[] isNew = new boolean[outRank];
                for (int d : norm) {
                  isNew[d] = true;
                }
                int[] shape = new int[outRank];
                for (int a = 0, j = 0; a < outRank; a++) {
                  shape[a] = isNew[a] ? 1 : x.shape().dim(j++);
                }
                return List.of(Shapes.withShape(x, shape));
              })
          .reference(Indexing::copyKernel)
          .transpose(
              (ct, args, p) ->
                  Arrays.asList(ct.get(0) == null ? null : squeeze(ct.get(0), p.ints("dims"))))
          .batch(
              (args, bd, p) ->
                  Batched.of(expandDims(front(args, bd, 0), plusOne(p.ints("dims"))), 0));

  static {
    EXPAND_DIMS.jvp(Structural.linearJvp(EXPAND_DIMS));
  }

  // ------------------------------------------------------------ slice

  /**
   * {@code slice[start=S, limit=L, strides=K]}: elements {@code S[a], S[a]+K[a], …} below {@code
   * L[a]} on every axis {@code a}; {@code 0 <= S <= L <= dim}, {@code K >= 1}.
   */
  public static final Primitive SLICE =
      Primitive.single("slice")
          .shapeRule(
              (in, p) -> {
                arity("slice", in, 1);
                AbstractValue x = in.get(0);
                int[] start = p.ints("start");
                int[] limit = p.ints("limit");
                int[] strides = p.ints("strides");
                requireLength("slice", "start", start, x);
                requireLength("slice", "limit", limit, x);
                requireLength("slice", "strides", strides, x);
                int[] shape = new int[x.rank()];
                for (int a = 0; a < x.rank(); a++) {
                  int n = x.shape().dim(a);
                  if (start[a] < 0 || start[a] > limit[a] || limit[a] > n) {
                    throw error(
                        "slice",
                        "start "
                            + str(start)
                            + " limit "
                            + str(limit)
                            + " is out of range for "
                            + x
                            + ": axis "
                            + a
                            + " needs 0 <= start <= limit <= "
                            + n
                            + ", got start "
                            + start[a]
                            + " and limit "
                            + limit[a]);
                  }
                  if (strides[a] < 1) {
                    throw error(
                        "slice", "strides " + str(strides) + " must be >= 1 (slicing " + x + ")");
                  }
                  shape[a] = (limit[a] - start[a] + strides[a] - 1) / strides[a];
                }
                return List.of(Shapes.withShape(x, shape));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                int[] start = p.ints("start");
                int[] strides = p.ints("strides");
                int[] xd = x.shape().dims();
                int[] od = out.get(0).shape().dims();
                HostArray r = HostArray.zeros(out.get(0));
                int[] idx = new int[od.length];
                int[] src = new int[od.length];
                for (int k = 0; k < r.size(); k++) {
                  Shapes.unravel(k, od, idx);
                  for (int a = 0; a < od.length; a++) {
                    src[a] = start[a] + idx[a] * strides[a];
                  }
                  r.copyElement(x, Shapes.ravel(src, xd), k);
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                if (c == null) {
                  return Arrays.asList((Tensor) null);
                }
                AbstractValue x = ((Linear) args.get(0)).aval();
                int[] start = p.ints("start");
                int[] strides = p.ints("strides");
                int[] high = new int[x.rank()];
                int[] interior = new int[x.rank()];
                for (int a = 0; a < x.rank(); a++) {
                  int m = c.shape().dim(a);
                  int last = m == 0 ? start[a] : start[a] + (m - 1) * strides[a] + 1;
                  high[a] = x.shape().dim(a) - last;
                  interior[a] = strides[a] - 1;
                }
                return Arrays.asList(pad(c, Tensor.scalar(0, c.dtype()), start, high, interior));
              })
          .batch(
              (args, bd, p) -> {
                Tensor x = front(args, bd, 0);
                return Batched.of(
                    slice(
                        x,
                        prepend(0, p.ints("start")),
                        prepend(x.shape().dim(0), p.ints("limit")),
                        prepend(1, p.ints("strides"))),
                    0);
              });

  static {
    SLICE.jvp(Structural.linearJvp(SLICE));
  }

  // ------------------------------------------------------------ pad

  /**
   * {@code pad[low=L, high=H, interior=I](x, value)}: {@code L[a]} copies of the scalar {@code
   * value} before axis {@code a}, {@code H[a]} after, {@code I[a]} between elements; all {@code >=
   * 0}. Linear in both {@code x} and {@code value}.
   */
  public static final Primitive PAD =
      Primitive.single("pad")
          .shapeRule(
              (in, p) -> {
                arity("pad", in, 2);
                AbstractValue x = in.get(0);
                AbstractValue v = in.get(1);
                if (v.rank() != 0 || v.dtype() != x.dtype()) {
                  throw error(
                      "pad",
                      "the padding value must be a scalar of the operand's dtype "
                          + x.dtype().shortName()
                          + "[], got "
                          + v
                          + " (padding "
                          + x
                          + ")");
                }
                int[] low = p.ints("low");
                int[] high = p.ints("high");
                int[] interior = p.ints("interior");
                requireLength("pad", "low", low, x);
                requireLength("pad", "high", high, x);
                requireLength("pad", "interior", interior, x);
                int[] shape = new int[x.rank()];
                for (int a = 0; a < x.rank(); a++) {
                  if (low[a] < 0 || high[a] < 0 || interior[a] < 0) {
                    throw error(
                        "pad",
                        "padding low "
                            + str(low)
                            + " high "
                            + str(high)
                            + " interior "
                            + str(interior)
                            + " of "
                            + x
                            + " must be >= 0; crop with slice instead of negative padding");
                  }
                  int n = x.shape().dim(a);
                  shape[a] = low[a] + high[a] + n + Math.max(0, n - 1) * interior[a];
                }
                return List.of(Shapes.withShape(x, shape));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                HostArray v = in.get(1);
                int[] low = p.ints("low");
                int[] interior = p.ints("interior");
                int[] xd = x.shape().dims();
                int[] od = out.get(0).shape().dims();
                HostArray r = HostArray.zeros(out.get(0));
                for (int k = 0; k < r.size(); k++) {
                  r.copyElement(v, 0, k);
                }
                int[] idx = new int[xd.length];
                int[] dst = new int[xd.length];
                for (int k = 0; k < x.size(); k++) {
                  Shapes.unravel(k, xd, idx);
                  for (int a = 0; a < xd.length; a++) {
                    dst[a] = low[a] + idx[a] * (interior[a] + 1);
                  }
                  r.copyElement(x, k, Shapes.ravel(dst, od));
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                if (c == null) {
                  return Arrays.asList(null, null);
                }
                int[] low = p.ints("low");
                int[] interior = p.ints("interior");
                AbstractValue x =
                    args.get(0) instanceof Linear l
                        ? l.aval()
                        : new AbstractValue(
                            ((Tensor) args.get(0)).shape(), ((Tensor) args.get(0)).dtype());
                int[] limit = new int[x.rank()];
                int[] strides = new int[x.rank()];
                for (int a = 0; a < x.rank(); a++) {
                  int n = x.shape().dim(a);
                  limit[a] = n == 0 ? low[a] : low[a] + (n - 1) * (interior[a] + 1) + 1;
                  strides[a] = interior[a] + 1;
                }
                Tensor inner = slice(c, low, limit, strides);
                Tensor ctValue =
                    args.get(1) instanceof Linear
                        ? Elementwise.sub(sumAll(c), sumAll(inner))
                        : null;
                return Arrays.asList(args.get(0) instanceof Linear ? inner : null, ctValue);
              })
          .batch(Indexing::batchPad);

  static {
    PAD.jvp(
        (x, t, p) -> {
          Tensor out = PAD.bind1(p, x.get(0), x.get(1));
          if (t.get(0) == null && t.get(1) == null) {
            return JvpResult.of(out, null);
          }
          Tensor tx = t.get(0) == null ? AdMath.zerosLike(x.get(0)) : t.get(0);
          Tensor tv = t.get(1) == null ? AdMath.zerosLike(x.get(1)) : t.get(1);
          return JvpResult.of(out, PAD.bind1(p, tx, tv));
        });
  }

  private static Tensor sumAll(Tensor x) {
    int[] all = new int[x.rank()];
    for (int k = 0; k < all.length; k++) {
      all[k] = k;
    }
    return Reductions.sum(x, all);
  }

  private static Batched batchPad(List<Tensor> args, int[] bd, Params p) {
    Tensor x = front(args, bd, 0);
    int[] low = prepend(0, p.ints("low"));
    int[] high = prepend(0, p.ints("high"));
    int[] interior = prepend(0, p.ints("interior"));
    if (bd[1] == Primitive.NOT_MAPPED) {
      return Batched.of(pad(x, args.get(1), low, high, interior), 0);
    }
    // One padding value per batch element: pad with zeros, then select the values where a padded
    // mask says "padding".
    Tensor padded = pad(x, Tensor.scalar(0, x.dtype()), low, high, interior);
    Tensor mask =
        pad(
            Tensor.full(0, DType.BOOL, x.shape().dims()),
            Tensor.scalar(1, DType.BOOL),
            low,
            high,
            interior);
    Tensor values = Structural.broadcastInDim(args.get(1), padded.shape().dims(), new int[] {0});
    return Batched.of(Elementwise.select(mask, values, padded), 0);
  }

  // ------------------------------------------------------------ concatenate

  /**
   * {@code concatenate[axis=A](x0, x1, …)}: joins operands of one dtype and rank whose shapes agree
   * except on axis {@code A}.
   */
  public static final Primitive CONCATENATE =
      Primitive.single("concatenate")
          .shapeRule(
              (in, p) -> {
                if (in.isEmpty()) {
                  throw error("concatenate", "needs at least one operand");
                }
                AbstractValue first = in.get(0);
                int axis = p.intValue("axis");
                if (axis < 0 || axis >= first.rank()) {
                  throw error(
                      "concatenate",
                      "axis "
                          + axis
                          + " is out of range for "
                          + first
                          + (first.rank() == 0
                              ? "; scalars cannot be concatenated, use stack"
                              : ""));
                }
                int total = 0;
                for (AbstractValue a : in) {
                  boolean ok = a.dtype() == first.dtype() && a.rank() == first.rank();
                  for (int d = 0; ok && d < a.rank(); d++) {
                    ok = d == axis || a.shape().dim(d) == first.shape().dim(d);
                  }
                  if (!ok) {
                    throw error(
                        "concatenate",
                        "operands must have one dtype and equal shapes except on axis "
                            + axis
                            + ", got "
                            + in
                            + "; promote with astype and reshape/broadcastTo first");
                  }
                  total += a.shape().dim(axis);
                }
                int[] shape = first.shape().dims();
                shape[axis] = total;
                return List.of(Shapes.withShape(first, shape));
              })
          .reference(
              (in, p, out) -> {
                int axis = p.intValue("axis");
                int[] od = out.get(0).shape().dims();
                HostArray r = HostArray.zeros(out.get(0));
                int offset = 0;
                for (HostArray x : in) {
                  int[] xd = x.shape().dims();
                  int[] idx = new int[xd.length];
                  for (int k = 0; k < x.size(); k++) {
                    Shapes.unravel(k, xd, idx);
                    idx[axis] += offset;
                    r.copyElement(x, k, Shapes.ravel(idx, od));
                  }
                  offset += xd[axis];
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                List<Tensor> r = new ArrayList<>(args.size());
                int axis = p.intValue("axis");
                int offset = 0;
                for (Object a : args) {
                  int n =
                      a instanceof Linear l
                          ? l.aval().shape().dim(axis)
                          : ((Tensor) a).shape().dim(axis);
                  if (c != null && a instanceof Linear) {
                    int[] start = new int[c.rank()];
                    int[] limit = c.shape().dims();
                    int[] strides = new int[c.rank()];
                    Arrays.fill(strides, 1);
                    start[axis] = offset;
                    limit[axis] = offset + n;
                    r.add(slice(c, start, limit, strides));
                  } else {
                    r.add(null);
                  }
                  offset += n;
                }
                return r;
              })
          .batch(
              (args, bd, p) -> {
                List<Tensor> xs = new ArrayList<>(args.size());
                for (int k = 0; k < args.size(); k++) {
                  xs.add(front(args, bd, k));
                }
                return Batched.of(concatenate(xs, p.intValue("axis") + 1), 0);
              });

  static {
    CONCATENATE.jvp(
        (x, t, p) -> {
          Tensor out = CONCATENATE.bind(x, p).get(0);
          boolean any = t.stream().anyMatch(v -> v != null);
          if (!any) {
            return JvpResult.of(out, null);
          }
          List<Tensor> ts = new ArrayList<>(t.size());
          for (int k = 0; k < t.size(); k++) {
            ts.add(t.get(k) == null ? AdMath.zerosLike(x.get(k)) : t.get(k));
          }
          return JvpResult.of(out, CONCATENATE.bind(ts, p).get(0));
        });
  }

  // ------------------------------------------------------------ dynamic_slice

  /**
   * {@code dynamic_slice[sizes=Z](x, s0, s1, …)}: the window of shape {@code Z} starting at the
   * integer scalars {@code s_a}, each clamped into {@code [0, dim_a - Z[a]]} so the window fits.
   */
  public static final Primitive DYNAMIC_SLICE =
      Primitive.single("dynamic_slice")
          .shapeRule(
              (in, p) -> {
                if (in.isEmpty()) {
                  throw error("dynamic_slice", "needs an operand and its start indices");
                }
                AbstractValue x = in.get(0);
                int[] sizes = p.ints("sizes");
                requireLength("dynamic_slice", "sizes", sizes, x);
                if (in.size() != x.rank() + 1) {
                  throw error(
                      "dynamic_slice",
                      "needs one start index per axis of "
                          + x
                          + " ("
                          + x.rank()
                          + "), got "
                          + (in.size() - 1));
                }
                for (int a = 0; a < x.rank(); a++) {
                  requireIndexScalar("dynamic_slice", in.get(a + 1), a);
                  if (sizes[a] < 0 || sizes[a] > x.shape().dim(a)) {
                    throw error(
                        "dynamic_slice",
                        "window sizes "
                            + str(sizes)
                            + " do not fit in "
                            + x
                            + " (axis "
                            + a
                            + ": "
                            + sizes[a]
                            + " > "
                            + x.shape().dim(a)
                            + ")");
                  }
                }
                return List.of(Shapes.withShape(x, sizes));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                int[] xd = x.shape().dims();
                int[] sizes = p.ints("sizes");
                int[] start = new int[xd.length];
                for (int a = 0; a < xd.length; a++) {
                  start[a] = clamp(in.get(a + 1).getLong(0), 0, xd[a] - sizes[a]);
                }
                HostArray r = HostArray.zeros(out.get(0));
                int[] idx = new int[xd.length];
                for (int k = 0; k < r.size(); k++) {
                  Shapes.unravel(k, sizes, idx);
                  for (int a = 0; a < xd.length; a++) {
                    idx[a] += start[a];
                  }
                  r.copyElement(x, Shapes.ravel(idx, xd), k);
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) -> {
                List<Tensor> r = new ArrayList<>();
                Tensor c = ct.get(0);
                AbstractValue x = ((Linear) args.get(0)).aval();
                List<Tensor> starts = knownStarts(args, 1, "dynamic_slice");
                r.add(c == null ? null : dynamicUpdateSlice(zeros(x), c, starts));
                starts.forEach(s -> r.add(null));
                return r;
              })
          .batch(Indexing::batchDynamicSlice);

  static {
    DYNAMIC_SLICE.jvp(
        (x, t, p) -> {
          Tensor out = DYNAMIC_SLICE.bind(x, p).get(0);
          if (t.get(0) == null) {
            return JvpResult.of(out, null);
          }
          List<Tensor> args = new ArrayList<>(x);
          args.set(0, t.get(0));
          return JvpResult.of(out, DYNAMIC_SLICE.bind(args, p).get(0));
        });
  }

  private static List<Tensor> knownStarts(List<Object> args, int from, String op) {
    List<Tensor> starts = new ArrayList<>();
    for (Object o : args.subList(from, args.size())) {
      if (!(o instanceof Tensor t)) {
        throw new UnsupportedOperationException(
            "'" + op + "' is not linear in its start indices and cannot be transposed in them");
      }
      starts.add(t);
    }
    return starts;
  }

  /**
   * Per-example window starts (batch {@code n} first) as gather indices: {@code clamp(s, 0, dim -
   * size) + [0, 1, …, size-1]}, shape {@code [n, size]}.
   */
  private static Tensor windowIndices(Tensor start, int n, int dim, int size) {
    DType t = start.dtype();
    Tensor s =
        Elementwise.min(
            Elementwise.max(start, Tensor.full(0, t, n)), Tensor.full(dim - size, t, n));
    Tensor offsets = Elementwise.convert(Tensor.arange(size), t);
    return Elementwise.add(
        Structural.broadcastInDim(s, new int[] {n, size}, new int[] {0}),
        Structural.broadcastInDim(offsets, new int[] {n, size}, new int[] {1}));
  }

  private static Batched batchDynamicSlice(List<Tensor> args, int[] bd, Params p) {
    int n = batchSize(args, bd);
    int[] sizes = p.ints("sizes");
    Tensor x = front(args, bd, 0);
    boolean startsMapped = false;
    for (int k = 1; k < args.size(); k++) {
      startsMapped |= bd[k] != Primitive.NOT_MAPPED;
    }
    if (!startsMapped) {
      List<Tensor> starts = new ArrayList<>(args.subList(1, args.size()));
      starts.add(0, Tensor.scalar(0, starts.isEmpty() ? DType.I32 : starts.get(0).dtype()));
      return Batched.of(dynamicSlice(x, starts, prepend(n, sizes)), 0);
    }
    // Per-example starts: one batched gather per axis (XLA lowers this case to a gather too).
    Tensor r = x;
    for (int a = 0; a < sizes.length; a++) {
      Tensor idx = windowIndices(front(args, bd, a + 1), n, x.shape().dim(a + 1), sizes[a]);
      r = gather(r, idx, a + 1, 1);
    }
    return Batched.of(r, 0);
  }

  // ------------------------------------------------------------ dynamic_update_slice

  /**
   * {@code dynamic_update_slice(x, update, s0, s1, …)}: {@code x} with the window starting at the
   * integer scalars {@code s_a} (clamped so that {@code update} fits) replaced by {@code update}.
   * Linear in {@code x} and {@code update} together.
   */
  public static final Primitive DYNAMIC_UPDATE_SLICE =
      Primitive.single("dynamic_update_slice")
          .shapeRule(
              (in, p) -> {
                String op = "dynamic_update_slice";
                if (in.size() < 2) {
                  throw error(op, "needs an operand, an update and start indices, got " + in);
                }
                AbstractValue x = in.get(0);
                AbstractValue u = in.get(1);
                boolean fits = u.dtype() == x.dtype() && u.rank() == x.rank();
                for (int a = 0; fits && a < x.rank(); a++) {
                  fits = u.shape().dim(a) <= x.shape().dim(a);
                }
                if (!fits) {
                  throw error(
                      op,
                      "the update "
                          + u
                          + " must have the operand's dtype and rank and fit inside it, operand "
                          + x);
                }
                if (in.size() != x.rank() + 2) {
                  throw error(
                      op,
                      "needs one start index per axis of "
                          + x
                          + " ("
                          + x.rank()
                          + "), got "
                          + (in.size() - 2));
                }
                for (int a = 0; a < x.rank(); a++) {
                  requireIndexScalar(op, in.get(a + 2), a);
                }
                return List.of(x);
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                HostArray u = in.get(1);
                int[] xd = x.shape().dims();
                int[] ud = u.shape().dims();
                int[] start = new int[xd.length];
                for (int a = 0; a < xd.length; a++) {
                  start[a] = clamp(in.get(a + 2).getLong(0), 0, xd[a] - ud[a]);
                }
                HostArray r = HostArray.zeros(out.get(0));
                for (int k = 0; k < r.size(); k++) {
                  r.copyElement(x, k, k);
                }
                int[] idx = new int[xd.length];
                for (int k = 0; k < u.size(); k++) {
                  Shapes.unravel(k, ud, idx);
                  for (int a = 0; a < xd.length; a++) {
                    idx[a] += start[a];
                  }
                  r.copyElement(u, k, Shapes.ravel(idx, xd));
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                List<Tensor> starts = knownStarts(args, 2, "dynamic_update_slice");
                AbstractValue u =
                    args.get(1) instanceof Linear l
                        ? l.aval()
                        : new AbstractValue(
                            ((Tensor) args.get(1)).shape(), ((Tensor) args.get(1)).dtype());
                List<Tensor> r = new ArrayList<>();
                if (c == null) {
                  r.add(null);
                  r.add(null);
                } else {
                  r.add(
                      args.get(0) instanceof Linear
                          ? dynamicUpdateSlice(c, zeros(u), starts)
                          : null);
                  r.add(
                      args.get(1) instanceof Linear
                          ? dynamicSlice(c, starts, u.shape().dims())
                          : null);
                }
                starts.forEach(s -> r.add(null));
                return r;
              })
          .batch(Indexing::batchDynamicUpdateSlice);

  static {
    DYNAMIC_UPDATE_SLICE.jvp(
        (x, t, p) -> {
          Tensor out = DYNAMIC_UPDATE_SLICE.bind(x, p).get(0);
          if (t.get(0) == null && t.get(1) == null) {
            return JvpResult.of(out, null);
          }
          List<Tensor> args = new ArrayList<>(x);
          args.set(0, t.get(0) == null ? AdMath.zerosLike(x.get(0)) : t.get(0));
          args.set(1, t.get(1) == null ? AdMath.zerosLike(x.get(1)) : t.get(1));
          return JvpResult.of(out, DYNAMIC_UPDATE_SLICE.bind(args, p).get(0));
        });
  }

  private static Batched batchDynamicUpdateSlice(List<Tensor> args, int[] bd, Params p) {
    int n = batchSize(args, bd);
    Tensor x = front(args, bd, 0);
    Tensor u = front(args, bd, 1);
    boolean startsMapped = false;
    for (int k = 2; k < args.size(); k++) {
      startsMapped |= bd[k] != Primitive.NOT_MAPPED;
    }
    if (!startsMapped) {
      List<Tensor> starts = new ArrayList<>(args.subList(2, args.size()));
      starts.add(0, Tensor.scalar(0, starts.isEmpty() ? DType.I32 : starts.get(0).dtype()));
      return Batched.of(dynamicUpdateSlice(x, u, starts), 0);
    }
    // Per-example starts: embed the update (and a mask of ones) into the operand's shape one axis
    // at a time with batched scatter_adds (the windows never overlap), then select.
    int[] xd = x.shape().dims();
    Tensor embedded = u;
    Tensor mask = Tensor.full(1, DType.I32, u.shape().dims());
    for (int a = 1; a < xd.length; a++) {
      Tensor idx = windowIndices(front(args, bd, a + 1), n, xd[a], u.shape().dim(a));
      int[] target = embedded.shape().dims();
      target[a] = xd[a];
      embedded = scatterAdd(Tensor.full(0, x.dtype(), target), idx, embedded, a, 1);
      mask = scatterAdd(Tensor.full(0, DType.I32, target), idx, mask, a, 1);
    }
    return Batched.of(Elementwise.select(Elementwise.ne0(mask), embedded, x), 0);
  }

  // ------------------------------------------------------------ gather

  /**
   * {@code gather[axis=A, batch_dims=B](x, idx)}: see the class comment; indices are clamped into
   * {@code [0, N-1]}. Linear in {@code x}.
   */
  public static final Primitive GATHER =
      Primitive.single("gather")
          .shapeRule(
              (in, p) -> {
                arity("gather", in, 2);
                return List.of(gatherShape("gather", in.get(0), in.get(1), p));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                HostArray idx = in.get(1);
                HostArray r = HostArray.zeros(out.get(0));
                GatherMap m = new GatherMap(x.shape(), idx.shape(), out.get(0).shape(), p);
                for (int k = 0; k < r.size(); k++) {
                  r.copyElement(x, m.source(k, idx), k);
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                if (!(args.get(1) instanceof Tensor idx)) {
                  throw new UnsupportedOperationException(
                      "'gather' is not linear in its indices and cannot be transposed in them");
                }
                AbstractValue x = ((Linear) args.get(0)).aval();
                return Arrays.asList(
                    c == null
                        ? null
                        : scatterAdd(
                            zeros(x), idx, c, p.intValue("axis"), p.intValue("batch_dims")),
                    null);
              })
          .batch(Indexing::batchGather);

  static {
    GATHER.jvp(
        (x, t, p) ->
            JvpResult.of(
                GATHER.bind1(p, x.get(0), x.get(1)),
                t.get(0) == null ? null : GATHER.bind1(p, t.get(0), x.get(1))));
  }

  /** Checks gather/scatter operands and returns the gathered shape {@code B + P1 + I + P2}. */
  private static AbstractValue gatherShape(
      String op, AbstractValue x, AbstractValue idx, Params p) {
    int axis = p.intValue("axis");
    int nb = p.intValue("batch_dims");
    requireIndices(op, idx);
    if (nb < 0 || axis < nb || axis >= x.rank()) {
      throw error(
          op,
          "needs 0 <= batch_dims <= axis < rank, got axis "
              + axis
              + " and batch_dims "
              + nb
              + " for operand "
              + x);
    }
    if (idx.rank() < nb) {
      throw error(
          op, "indices " + idx + " need the operand's " + nb + " batch axes first (" + x + ")");
    }
    for (int a = 0; a < nb; a++) {
      if (idx.shape().dim(a) != x.shape().dim(a)) {
        throw error(
            op,
            "batch axis "
                + a
                + " of indices "
                + idx
                + " does not match the operand "
                + x
                + "; the first "
                + nb
                + " axes must agree");
      }
    }
    if (x.shape().dim(axis) == 0 && idx.shape().size() > 0) {
      throw error(op, "cannot index axis " + axis + " of " + x + ": it is empty");
    }
    int[] xd = x.shape().dims();
    int[] id = idx.shape().dims();
    int[] shape = new int[xd.length - 1 + id.length - nb];
    int j = 0;
    for (int a = 0; a < axis; a++) {
      shape[j++] = xd[a];
    }
    for (int a = nb; a < id.length; a++) {
      shape[j++] = id[a];
    }
    for (int a = axis + 1; a < xd.length; a++) {
      shape[j++] = xd[a];
    }
    return Shapes.withShape(x, shape);
  }

  /** Maps a gathered (or scattered) position to its position in the operand. */
  private static final class GatherMap {
    final int[] xd;
    final int[] id;
    final int[] od;
    final int axis;
    final int nb;
    final int ni;
    final int[] oi;
    final int[] xi;
    final int[] ii;

    GatherMap(Shape x, Shape idx, Shape out, Params p) {
      xd = x.dims();
      id = idx.dims();
      od = out.dims();
      axis = p.intValue("axis");
      nb = p.intValue("batch_dims");
      ni = id.length - nb;
      oi = new int[od.length];
      xi = new int[xd.length];
      ii = new int[id.length];
    }

    int source(int k, HostArray idx) {
      Shapes.unravel(k, od, oi);
      for (int a = 0; a < axis; a++) {
        xi[a] = oi[a];
      }
      for (int a = 0; a < nb; a++) {
        ii[a] = oi[a];
      }
      for (int a = 0; a < ni; a++) {
        ii[nb + a] = oi[axis + a];
      }
      for (int a = axis + 1; a < xd.length; a++) {
        xi[a] = oi[a - 1 + ni];
      }
      xi[axis] = clamp(idx.getLong(Shapes.ravel(ii, id)), 0, xd[axis] - 1);
      return Shapes.ravel(xi, xd);
    }
  }

  private static Batched batchGather(List<Tensor> args, int[] bd, Params p) {
    int axis = p.intValue("axis");
    int nb = p.intValue("batch_dims");
    if (nb == 0 && bd[1] == Primitive.NOT_MAPPED) {
      Tensor x = front(args, bd, 0);
      return Batched.of(gather(x, args.get(1), axis + 1, 0), 0);
    }
    if (nb == 0 && bd[0] == Primitive.NOT_MAPPED) {
      // The batch axis of the indices lands where the gathered axis was.
      Tensor idx = front(args, bd, 1);
      return Batched.of(gather(args.get(0), idx, axis, 0), axis);
    }
    return Batched.of(gather(front(args, bd, 0), front(args, bd, 1), axis + 1, nb + 1), 0);
  }

  // ------------------------------------------------------------ scatter_add

  /**
   * {@code scatter_add[axis=A, batch_dims=B](x, idx, updates)}: {@code x} plus {@code updates} (of
   * the shape {@code gather(x, idx)} would have) added at the gathered positions; repeated indices
   * accumulate, indices are clamped as in gather. Linear in {@code x} and {@code updates}.
   */
  public static final Primitive SCATTER_ADD =
      Primitive.single("scatter_add")
          .shapeRule(
              (in, p) -> {
                arity("scatter_add", in, 3);
                AbstractValue x = in.get(0);
                AbstractValue u = in.get(2);
                AbstractValue expected = gatherShape("scatter_add", x, in.get(1), p);
                if (!u.equals(expected)) {
                  throw error(
                      "scatter_add",
                      "updates must be "
                          + expected
                          + " (the shape gather would return for operand "
                          + x
                          + " and indices "
                          + in.get(1)
                          + "), got "
                          + u);
                }
                return List.of(x);
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                HostArray idx = in.get(1);
                HostArray u = in.get(2);
                HostArray r = HostArray.zeros(out.get(0));
                for (int k = 0; k < r.size(); k++) {
                  r.copyElement(x, k, k);
                }
                GatherMap m = new GatherMap(x.shape(), idx.shape(), u.shape(), p);
                boolean floating = x.dtype().isFloating();
                for (int k = 0; k < u.size(); k++) {
                  int dst = m.source(k, idx);
                  if (floating) {
                    r.setDouble(dst, r.getDouble(dst) + u.getDouble(k));
                  } else {
                    r.setLong(dst, r.getLong(dst) + u.getLong(k));
                  }
                }
                return List.of(r);
              })
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                if (!(args.get(1) instanceof Tensor idx)) {
                  throw new UnsupportedOperationException(
                      "'scatter_add' is not linear in its indices and cannot be transposed in"
                          + " them");
                }
                if (c == null) {
                  return Arrays.asList(null, null, null);
                }
                return Arrays.asList(
                    args.get(0) instanceof Linear ? c : null,
                    null,
                    args.get(2) instanceof Linear
                        ? gather(c, idx, p.intValue("axis"), p.intValue("batch_dims"))
                        : null);
              })
          .batch(
              (args, bd, p) -> {
                int axis = p.intValue("axis");
                int nb = p.intValue("batch_dims");
                Tensor x = front(args, bd, 0);
                Tensor u = front(args, bd, 2);
                if (nb == 0 && bd[1] == Primitive.NOT_MAPPED) {
                  return Batched.of(scatterAdd(x, args.get(1), u, axis + 1, 0), 0);
                }
                return Batched.of(scatterAdd(x, front(args, bd, 1), u, axis + 1, nb + 1), 0);
              });

  static {
    SCATTER_ADD.jvp(
        (x, t, p) -> {
          Tensor out = SCATTER_ADD.bind1(p, x.get(0), x.get(1), x.get(2));
          if (t.get(0) == null && t.get(2) == null) {
            return JvpResult.of(out, null);
          }
          Tensor tx = t.get(0) == null ? AdMath.zerosLike(x.get(0)) : t.get(0);
          Tensor tu = t.get(2) == null ? AdMath.zerosLike(x.get(2)) : t.get(2);
          return JvpResult.of(out, SCATTER_ADD.bind1(p, tx, x.get(1), tu));
        });
  }

  // ------------------------------------------------------------ binders

  /** Removes the size-1 axes {@code dims} (any order, negative allowed). */
  public static Tensor squeeze(Tensor x, int... dims) {
    if (dims.length == 0) {
      return x;
    }
    int[] d = Shapes.axes("squeeze", x.shape(), dims);
    Arrays.sort(d);
    return SQUEEZE.bind1(Params.of("dims", d), x);
  }

  /** Inserts size-1 axes at output positions {@code dims} (negative counts from the end). */
  public static Tensor expandDims(Tensor x, int... dims) {
    if (dims.length == 0) {
      return x;
    }
    int outRank = x.rank() + dims.length;
    int[] d = new int[dims.length];
    for (int k = 0; k < dims.length; k++) {
      d[k] = dims[k] < 0 ? dims[k] + outRank : dims[k];
      if (d[k] < 0 || d[k] >= outRank) {
        throw error(
            "expand_dims",
            "axis "
                + dims[k]
                + " is out of range for a result of rank "
                + outRank
                + " (inserting "
                + dims.length
                + " axes into "
                + x.dtype().shortName()
                + x.shape()
                + ")");
      }
    }
    Arrays.sort(d);
    for (int k = 1; k < d.length; k++) {
      if (d[k] == d[k - 1]) {
        throw error("expand_dims", "axis repeated in " + str(dims));
      }
    }
    return EXPAND_DIMS.bind1(Params.of("dims", d), x);
  }

  /** Binds slice. */
  public static Tensor slice(Tensor x, int[] start, int[] limit, int[] strides) {
    boolean identity = true;
    for (int a = 0; a < x.rank() && a < start.length && a < limit.length; a++) {
      identity &= start[a] == 0 && limit[a] == x.shape().dim(a) && strides[a] == 1;
    }
    if (identity && start.length == x.rank() && limit.length == x.rank()) {
      return x;
    }
    return SLICE.bind1(Params.of("start", start, "limit", limit, "strides", strides), x);
  }

  /** Binds pad. */
  public static Tensor pad(Tensor x, Tensor value, int[] low, int[] high, int[] interior) {
    return PAD.bind1(Params.of("low", low, "high", high, "interior", interior), x, value);
  }

  /** Binds concatenate along a non-negative {@code axis}. */
  public static Tensor concatenate(List<Tensor> xs, int axis) {
    if (xs.size() == 1) {
      return xs.get(0);
    }
    return CONCATENATE.bind(xs, Params.of("axis", axis)).get(0);
  }

  /** Binds dynamic_slice: one integer scalar start per axis. */
  public static Tensor dynamicSlice(Tensor x, List<Tensor> starts, int[] sizes) {
    List<Tensor> args = new ArrayList<>(starts.size() + 1);
    args.add(x);
    args.addAll(starts);
    return DYNAMIC_SLICE.bind(args, Params.of("sizes", sizes)).get(0);
  }

  /** Binds dynamic_update_slice: one integer scalar start per axis. */
  public static Tensor dynamicUpdateSlice(Tensor x, Tensor update, List<Tensor> starts) {
    List<Tensor> args = new ArrayList<>(starts.size() + 2);
    args.add(x);
    args.add(update);
    args.addAll(starts);
    return DYNAMIC_UPDATE_SLICE.bind(args, Params.EMPTY).get(0);
  }

  /** Binds gather (see the class comment for {@code axis} and {@code batchDims}). */
  public static Tensor gather(Tensor x, Tensor idx, int axis, int batchDims) {
    return GATHER.bind1(Params.of("axis", axis, "batch_dims", batchDims), x, idx);
  }

  /** Binds scatter_add. */
  public static Tensor scatterAdd(Tensor x, Tensor idx, Tensor updates, int axis, int batchDims) {
    return SCATTER_ADD.bind1(Params.of("axis", axis, "batch_dims", batchDims), x, idx, updates);
  }
}
