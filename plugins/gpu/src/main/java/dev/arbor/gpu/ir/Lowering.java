package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.gpu.ir.Op.BinaryFn;
import dev.arbor.gpu.ir.Op.CompareFn;
import dev.arbor.gpu.ir.Op.ReduceFn;
import dev.arbor.gpu.ir.Op.UnaryFn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns core graphs into GPU IR: a fusion cluster's sub-graph (the {@code graph} parameter of a
 * {@code fused} equation) or one eager primitive into a {@link LoopKernel}; a {@code dot_general}
 * into a {@link MatmulKernel} with its {@link MatmulShape}; a {@code conv_general} into an im2col
 * loop kernel ({@link #im2col}) and a matmul view ({@link #convMatmul}). Anything it cannot express
 * raises {@link UnsupportedKernelException}, and the backend falls back to the reference kernel.
 *
 * <p>Primitives are recognised by name, so the table below is the whole contract: elementwise
 * primitives map to {@link Op}s, {@code broadcast_in_dim} and {@code transpose} to strided loads,
 * {@code reduce_*} to the trailing reduction.
 */
public final class Lowering {
  private Lowering() {}

  private static final Map<String, UnaryFn> UNARY =
      Map.ofEntries(
          Map.entry("neg", UnaryFn.NEG),
          Map.entry("abs", UnaryFn.ABS),
          Map.entry("sign", UnaryFn.SIGN),
          Map.entry("exp", UnaryFn.EXP),
          Map.entry("log", UnaryFn.LOG),
          Map.entry("log1p", UnaryFn.LOG1P),
          Map.entry("expm1", UnaryFn.EXPM1),
          Map.entry("tanh", UnaryFn.TANH),
          Map.entry("logistic", UnaryFn.LOGISTIC),
          Map.entry("sin", UnaryFn.SIN),
          Map.entry("cos", UnaryFn.COS),
          Map.entry("sqrt", UnaryFn.SQRT),
          Map.entry("rsqrt", UnaryFn.RSQRT),
          Map.entry("floor", UnaryFn.FLOOR),
          Map.entry("ceil", UnaryFn.CEIL),
          Map.entry("round", UnaryFn.ROUND),
          Map.entry("not", UnaryFn.NOT),
          Map.entry("erf_inv", UnaryFn.ERF_INV));

  private static final Map<String, BinaryFn> BINARY =
      Map.ofEntries(
          Map.entry("add", BinaryFn.ADD),
          Map.entry("sub", BinaryFn.SUB),
          Map.entry("mul", BinaryFn.MUL),
          Map.entry("div", BinaryFn.DIV),
          Map.entry("max", BinaryFn.MAX),
          Map.entry("min", BinaryFn.MIN),
          Map.entry("pow", BinaryFn.POW),
          Map.entry("atan2", BinaryFn.ATAN2),
          Map.entry("rem", BinaryFn.REM),
          Map.entry("and", BinaryFn.AND),
          Map.entry("or", BinaryFn.OR),
          Map.entry("xor", BinaryFn.XOR),
          Map.entry("shift_left", BinaryFn.SHIFT_LEFT),
          Map.entry("shift_right_logical", BinaryFn.SHIFT_RIGHT_LOGICAL));

  private static final Map<String, CompareFn> COMPARE =
      Map.of(
          "eq", CompareFn.EQ,
          "ne", CompareFn.NE,
          "lt", CompareFn.LT,
          "le", CompareFn.LE,
          "gt", CompareFn.GT,
          "ge", CompareFn.GE);

  private static final Map<String, ReduceFn> REDUCE =
      Map.of(
          "reduce_sum", ReduceFn.SUM,
          "reduce_max", ReduceFn.MAX,
          "reduce_min", ReduceFn.MIN,
          "reduce_prod", ReduceFn.PROD);

  /**
   * Layout primitives lowered to index arithmetic ({@link Op.Index}, {@link Op.Constant}, {@link
   * Op.LoadAt}): each output point computes where it reads from.
   */
  private static final java.util.Set<String> LAYOUT =
      java.util.Set.of(
          "slice", "pad", "concatenate", "iota", "dynamic_slice", "dynamic_update_slice");

  /** Whether {@link #loop} may accept a lone equation of {@code p} (parameters aside). */
  public static boolean isLoopPrimitive(Primitive p) {
    String n = p.name();
    return LAYOUT.contains(n)
        || UNARY.containsKey(n)
        || BINARY.containsKey(n)
        || COMPARE.containsKey(n)
        || REDUCE.containsKey(n)
        || n.equals("select")
        || n.equals("convert")
        || n.equals("broadcast_in_dim")
        || n.equals("transpose");
  }

  /** One eager primitive application as a loop kernel. */
  public static LoopKernel loop(
      String name, Primitive p, Params params, List<AbstractValue> in, List<AbstractValue> out) {
    List<Var> ins = new ArrayList<>();
    for (AbstractValue a : in) {
      ins.add(new Var(a));
    }
    List<Var> outs = new ArrayList<>();
    for (AbstractValue a : out) {
      outs.add(new Var(a));
    }
    Equation e = new Equation(p, ins, params, outs);
    return loop(name, new Graph(ins, List.of(), List.of(), List.of(e), outs));
  }

  /**
   * A fusion cluster (or any graph of loop primitives sharing one domain, with at most one
   * reduction, last) as one loop kernel. Graph inputs become the kernel's inputs in order; graph
   * outputs its outputs in order (the reduced one last, which is where clusters put it).
   */
  public static LoopKernel loop(String name, Graph g) {
    if (!g.constVars().isEmpty()) {
      throw new UnsupportedKernelException("graphs with constants are not lowered");
    }
    List<Equation> eqs = g.equations();
    if (eqs.isEmpty()) {
      throw new UnsupportedKernelException("empty graph");
    }
    Equation last = eqs.get(eqs.size() - 1);
    boolean reducing = REDUCE.containsKey(last.primitive().name());
    Shape domain =
        reducing ? last.inputs().get(0).aval().shape() : last.outputs().get(0).aval().shape();
    int[] dom = domain.dims();
    List<DType> inputTypes = new ArrayList<>();
    for (Var v : g.inputs()) {
      inputTypes.add(v.aval().dtype());
    }
    Builder b = new Builder(g.inputs(), dom);
    LoopKernel.Reduction reduction = null;
    int[] reducedAxes = new int[0];
    Var reducedOut = null;
    for (int k = 0; k < eqs.size(); k++) {
      Equation e = eqs.get(k);
      String n = e.primitive().name();
      if (REDUCE.containsKey(n)) {
        if (k != eqs.size() - 1) {
          throw new UnsupportedKernelException("a reduction must be the last equation of a loop");
        }
        int v = b.domainValue(e.inputs().get(0));
        reducedAxes = e.params().ints("axes");
        Arrays.sort(reducedAxes);
        reduction = new LoopKernel.Reduction(REDUCE.get(n), v, e.outputs().get(0).aval().dtype());
        reducedOut = e.outputs().get(0);
        continue;
      }
      if (e.outputs().size() != 1 || !e.outputs().get(0).aval().shape().equals(domain)) {
        throw new UnsupportedKernelException(
            "'" + n + "' does not produce the loop's domain " + domain);
      }
      b.values.put(e.outputs().get(0), b.lower(e));
    }
    List<Integer> stores = new ArrayList<>();
    for (Var o : g.outputs()) {
      if (o == reducedOut) {
        continue;
      }
      stores.add(b.domainValue(o));
    }
    if (reducedOut != null && g.outputs().indexOf(reducedOut) != g.outputs().size() - 1) {
      throw new UnsupportedKernelException("the reduced output must be the graph's last output");
    }
    if (reducedOut != null && !g.outputs().contains(reducedOut)) {
      throw new UnsupportedKernelException("the reduction's result is not an output");
    }
    return new LoopKernel(name, dom, reducedAxes, inputTypes, b.body, stores, reduction);
  }

  /** Builds a loop body, loading each input at most once per index map. */
  private static final class Builder {
    final List<Var> inputs;
    final int[] domain;
    final List<Op> body = new ArrayList<>();
    final Map<Var, Integer> values = new IdentityHashMap<>();

    Builder(List<Var> inputs, int[] domain) {
      this.inputs = inputs;
      this.domain = domain;
    }

    int add(Op op) {
      body.add(op);
      return body.size() - 1;
    }

    /** The body value of a domain-shaped variable (loading a domain-shaped input linearly). */
    int domainValue(Var v) {
      Integer known = values.get(v);
      if (known != null) {
        return known;
      }
      int input = inputs.indexOf(v);
      if (input < 0 || !Arrays.equals(v.aval().shape().dims(), domain)) {
        throw new UnsupportedKernelException("value " + v.aval() + " is not in the loop's domain");
      }
      int id = add(new Op.Load(v.aval().dtype(), input, new int[0]));
      values.put(v, id);
      return id;
    }

    int lower(Equation e) {
      String n = e.primitive().name();
      List<Var> in = e.inputs();
      DType out = e.outputs().get(0).aval().dtype();
      if (UNARY.containsKey(n)) {
        return add(new Op.Unary(out, UNARY.get(n), domainValue(in.get(0))));
      }
      if (BINARY.containsKey(n)) {
        if (n.equals("div") && !out.isFloating()) {
          // The emitters divide integers for index arithmetic, but the reference raises on a zero
          // divisor, which a kernel cannot: the user's integer div stays on the host.
          throw new UnsupportedKernelException("integer div (a zero divisor must raise)");
        }
        return add(
            new Op.Binary(out, BINARY.get(n), domainValue(in.get(0)), domainValue(in.get(1))));
      }
      if (COMPARE.containsKey(n)) {
        return add(
            new Op.Compare(
                COMPARE.get(n),
                in.get(0).aval().dtype(),
                domainValue(in.get(0)),
                domainValue(in.get(1))));
      }
      return switch (n) {
        case "select" ->
            add(
                new Op.Select(
                    out, domainValue(in.get(0)), domainValue(in.get(1)), domainValue(in.get(2))));
        case "convert" ->
            add(new Op.Convert(out, in.get(0).aval().dtype(), domainValue(in.get(0))));
        case "broadcast_in_dim" -> broadcast(in.get(0), e.params().ints("dims"));
        case "transpose" -> transpose(in.get(0), e.params().ints("perm"));
        case "slice" -> slice(in.get(0), e.params());
        case "pad" -> pad(in.get(0), in.get(1), e.params());
        case "concatenate" -> concatenate(in, e.params().intValue("axis"));
        case "iota" -> {
          int c = index(e.params().intValue("dimension"));
          yield out == DType.I32 ? c : add(new Op.Convert(out, DType.I32, c));
        }
        case "dynamic_slice" -> dynamicSlice(in, e.params().ints("sizes"));
        case "dynamic_update_slice" -> dynamicUpdateSlice(in);
        default ->
            throw new UnsupportedKernelException("no loop lowering for '" + n + "' on " + in);
      };
    }

    private int broadcast(Var x, int[] dims) {
      if (Arrays.equals(x.aval().shape().dims(), domain) && values.containsKey(x)) {
        return values.get(x); // an identity broadcast of a value already in the loop
      }
      int input = requireInput(x, "broadcast_in_dim");
      int[] xd = x.aval().shape().dims();
      int[] xs = rowMajorStrides(xd);
      int[] strides = new int[domain.length];
      for (int k = 0; k < dims.length; k++) {
        strides[dims[k]] = xd[k] == 1 ? 0 : xs[k];
      }
      return add(new Op.Load(x.aval().dtype(), input, strides));
    }

    private int transpose(Var x, int[] perm) {
      int input = requireInput(x, "transpose");
      int[] xs = rowMajorStrides(x.aval().shape().dims());
      int[] strides = new int[domain.length];
      for (int d = 0; d < perm.length; d++) {
        strides[d] = xs[perm[d]];
      }
      return add(new Op.Load(x.aval().dtype(), input, strides));
    }

    private int requireInput(Var x, String op) {
      int input = inputs.indexOf(x);
      if (input < 0) {
        throw new UnsupportedKernelException(
            "'" + op + "' of a value computed in the loop (" + x.aval() + ") is not lowered");
      }
      return input;
    }

    // ---------------------------------------------------------------- layout primitives

    /** An input whose linear element indices fit the IR's 32-bit index arithmetic. */
    private int indexedInput(Var x, String op) {
      int input = requireInput(x, op);
      if (x.aval().shape().size() > Integer.MAX_VALUE) {
        throw new UnsupportedKernelException("'" + op + "' of " + x.aval() + ": over 2^31 points");
      }
      return input;
    }

    /** Index arithmetic added so far (records of ints: equal ops are one value). */
    private final Map<Op, Integer> arithmetic = new java.util.HashMap<>();

    private int unique(Op op) {
      return arithmetic.computeIfAbsent(op, this::add);
    }

    private int index(int axis) {
      return unique(new Op.Index(axis));
    }

    private int constant(DType t, long v) {
      return unique(new Op.Constant(t, v));
    }

    private int i32(long v) {
      return constant(DType.I32, v);
    }

    private int binary(BinaryFn fn, DType t, int a, int b) {
      return unique(new Op.Binary(t, fn, a, b));
    }

    private int compare(CompareFn fn, int a, long constant) {
      return unique(new Op.Compare(fn, DType.I32, a, i32(constant)));
    }

    /** {@code a && b}, where -1 stands for "true". */
    private int and(int a, int b) {
      return a < 0 ? b : b < 0 ? a : binary(BinaryFn.AND, DType.BOOL, a, b);
    }

    /** {@code acc + c * stride} in I32, where {@code acc} -1 stands for 0. */
    private int addTerm(int acc, int c, int stride) {
      if (stride == 0) {
        return acc;
      }
      int term = stride == 1 ? c : binary(BinaryFn.MUL, DType.I32, c, i32(stride));
      return acc < 0 ? term : binary(BinaryFn.ADD, DType.I32, acc, term);
    }

    /** {@code c - k}, or {@code c} when {@code k} is 0. */
    private int minus(int c, long k) {
      return k == 0 ? c : binary(BinaryFn.SUB, DType.I32, c, i32(k));
    }

    /** A linear index value: {@code acc}, or constant 0 when {@code acc} is -1. */
    private int orZero(int acc) {
      return acc < 0 ? i32(0) : acc;
    }

    /** A rank-0 input (a scalar operand) read at every point. */
    private int scalar(Var s, String op) {
      return add(new Op.Load(s.aval().dtype(), requireInput(s, op), new int[domain.length]));
    }

    /** {@code out[c] = x[start + c * strides]}. */
    private int slice(Var x, Params p) {
      int input = indexedInput(x, "slice");
      int[] start = p.ints("start");
      int[] step = p.ints("strides");
      int[] xs = rowMajorStrides(x.aval().shape().dims());
      long base = 0;
      int acc = -1;
      for (int a = 0; a < domain.length; a++) {
        base += (long) start[a] * xs[a];
        acc = addTerm(acc, index(a), step[a] * xs[a]);
      }
      int at =
          base == 0
              ? orZero(acc)
              : acc < 0 ? i32(base) : binary(BinaryFn.ADD, DType.I32, acc, i32(base));
      return add(new Op.LoadAt(x.aval().dtype(), input, at, -1));
    }

    /**
     * {@code out[c] = x[(c - low) / (interior + 1)]} where every axis's {@code c - low} is in range
     * and on the interior grid, the padding value elsewhere.
     */
    private int pad(Var x, Var value, Params p) {
      int input = indexedInput(x, "pad");
      int padding = scalar(value, "pad");
      if (x.aval().shape().size() == 0) {
        return padding;
      }
      int[] low = p.ints("low");
      int[] interior = p.ints("interior");
      int[] xd = x.aval().shape().dims();
      int[] xs = rowMajorStrides(xd);
      int guard = -1;
      int acc = -1;
      for (int a = 0; a < domain.length; a++) {
        int t = minus(index(a), low[a]);
        long s = interior[a] + 1L;
        if (low[a] > 0) { // else t >= c >= 0
          guard = and(guard, compare(CompareFn.GE, t, 0));
        }
        int q = t;
        if (s > 1) {
          q = binary(BinaryFn.DIV, DType.I32, t, i32(s));
          int back = binary(BinaryFn.MUL, DType.I32, q, i32(s));
          guard = and(guard, unique(new Op.Compare(CompareFn.EQ, DType.I32, back, t)));
        }
        // Tested only where some output point's quotient reaches past x's extent.
        if ((domain[a] - 1L - low[a]) / s >= xd[a]) {
          guard = and(guard, compare(CompareFn.LT, q, xd[a]));
        }
        acc = addTerm(acc, q, xs[a]);
      }
      int read = add(new Op.LoadAt(x.aval().dtype(), input, orZero(acc), guard));
      return guard < 0 ? read : add(new Op.Select(x.aval().dtype(), guard, read, padding));
    }

    /**
     * Operand {@code j} where the concat axis's coordinate lies in its range, a select chain over
     * the (non-empty) operands in order.
     */
    private int concatenate(List<Var> in, int axis) {
      DType t = in.get(0).aval().dtype();
      List<Integer> reads = new ArrayList<>();
      List<Integer> ends = new ArrayList<>();
      int begin = 0;
      for (Var x : in) {
        int input = indexedInput(x, "concatenate");
        int[] xd = x.aval().shape().dims();
        if (x.aval().shape().size() == 0) {
          begin += xd[axis];
          continue;
        }
        int[] xs = rowMajorStrides(xd);
        int c = index(axis);
        int end = begin + xd[axis];
        int guard =
            and(
                begin == 0 ? -1 : compare(CompareFn.GE, c, begin),
                end == domain[axis] ? -1 : compare(CompareFn.LT, c, end));
        int acc = -1;
        for (int a = 0; a < domain.length; a++) {
          acc = addTerm(acc, a == axis ? minus(c, begin) : index(a), xs[a]);
        }
        reads.add(add(new Op.LoadAt(t, input, orZero(acc), guard)));
        begin = end;
        ends.add(end);
      }
      if (reads.isEmpty()) { // an empty result: the kernel never runs
        return add(new Op.Convert(t, DType.I32, i32(0)));
      }
      int v = reads.get(reads.size() - 1);
      for (int j = reads.size() - 2; j >= 0; j--) {
        int before = compare(CompareFn.LT, index(axis), ends.get(j));
        v = add(new Op.Select(t, before, reads.get(j), v));
      }
      return v;
    }

    /** Start index operand {@code s} clamped into {@code [0, hi]}, as I32 (the reference's). */
    private int clampedStart(Var s, int hi, String op) {
      if (hi == 0) { // the window spans the axis
        return i32(0);
      }
      DType it = s.aval().dtype();
      int v = scalar(s, op);
      v = binary(BinaryFn.MIN, it, binary(BinaryFn.MAX, it, v, constant(it, 0)), constant(it, hi));
      return it == DType.I32 ? v : add(new Op.Convert(DType.I32, it, v));
    }

    /** {@code out[c] = x[c + clamp(start, 0, dim - size)]}. */
    private int dynamicSlice(List<Var> in, int[] sizes) {
      Var x = in.get(0);
      int input = indexedInput(x, "dynamic_slice");
      int[] xd = x.aval().shape().dims();
      int[] xs = rowMajorStrides(xd);
      int acc = -1;
      for (int a = 0; a < domain.length; a++) {
        int start = clampedStart(in.get(a + 1), xd[a] - sizes[a], "dynamic_slice");
        int c = xd[a] == sizes[a] ? index(a) : binary(BinaryFn.ADD, DType.I32, index(a), start);
        acc = addTerm(acc, c, xs[a]);
      }
      return add(new Op.LoadAt(x.aval().dtype(), input, orZero(acc), -1));
    }

    /**
     * The im2col read over domain {@code [N, OH, OW, KH, KW, C]}: {@code x[n, oh*sh + kh - top,
     * ow*sw + kw - left, c]}, zero outside {@code x}.
     */
    private int im2col(Var x, int[] strides, int[] padding) {
      int input = indexedInput(x, "conv_general");
      DType t = x.aval().dtype();
      int zero = unique(new Op.Convert(t, DType.I32, i32(0)));
      if (x.aval().shape().size() == 0) {
        return zero; // every point reads padding (or the domain is empty)
      }
      int[] xd = x.aval().shape().dims();
      int[] xs = rowMajorStrides(xd);
      int guard = -1;
      int acc = addTerm(-1, index(0), xs[0]);
      for (int a = 0; a < 2; a++) {
        int out = 1 + a; // oh or ow
        int tap = 3 + a; // kh or kw
        int low = padding[2 * a]; // top or left
        int extent = xd[1 + a];
        int c = shift(addTerm(addTerm(-1, index(out), strides[a]), index(tap), 1), -low);
        if (low > 0) { // the smallest coordinate is -low
          guard = and(guard, compare(CompareFn.GE, c, 0));
        }
        if ((domain[out] - 1L) * strides[a] + domain[tap] - 1L - low >= extent) {
          guard = and(guard, compare(CompareFn.LT, c, extent));
        }
        acc = addTerm(acc, c, xs[1 + a]);
      }
      acc = addTerm(acc, index(5), 1);
      int read = add(new Op.LoadAt(t, input, orZero(acc), guard));
      return guard < 0 ? read : add(new Op.Select(t, guard, read, zero));
    }

    /** {@code c + delta} in I32 ({@code c} itself when {@code delta} is 0). */
    private int shift(int c, long delta) {
      if (delta == 0) {
        return c;
      }
      return delta > 0
          ? binary(BinaryFn.ADD, DType.I32, c, i32(delta))
          : binary(BinaryFn.SUB, DType.I32, c, i32(-delta));
    }

    /** {@code update[c - start]} inside the (clamped) window, {@code x[c]} elsewhere. */
    private int dynamicUpdateSlice(List<Var> in) {
      Var x = in.get(0);
      Var u = in.get(1);
      indexedInput(x, "dynamic_update_slice");
      int input = indexedInput(u, "dynamic_update_slice");
      int[] xd = x.aval().shape().dims();
      int[] ud = u.aval().shape().dims();
      int[] us = rowMajorStrides(ud);
      int guard = -1;
      int acc = -1;
      for (int a = 0; a < domain.length; a++) {
        int start = clampedStart(in.get(a + 2), xd[a] - ud[a], "dynamic_update_slice");
        int t = xd[a] == ud[a] ? index(a) : binary(BinaryFn.SUB, DType.I32, index(a), start);
        guard = and(guard, and(compare(CompareFn.GE, t, 0), compare(CompareFn.LT, t, ud[a])));
        acc = addTerm(acc, t, us[a]);
      }
      int read = add(new Op.LoadAt(u.aval().dtype(), input, orZero(acc), guard));
      return guard < 0 ? read : add(new Op.Select(u.aval().dtype(), guard, read, domainValue(x)));
    }
  }

  // ------------------------------------------------------------------ conv_general

  /**
   * Whether a {@code conv_general} of this kernel shape, strides and padding reads its input as the
   * patch matrix already: a 1x1 kernel with stride 1 and no padding, where {@code x} viewed as
   * {@code [N·H·W, C]} is the im2col matrix and no {@link #im2col} kernel runs.
   */
  public static boolean im2colIsIdentity(Params p, AbstractValue kernel) {
    int[] kd = kernel.shape().dims();
    int[] s = p.ints("strides");
    int[] pad = p.ints("padding");
    return kd[0] == 1
        && kd[1] == 1
        && s[0] == 1
        && s[1] == 1
        && pad[0] == 0
        && pad[1] == 0
        && pad[2] == 0
        && pad[3] == 0;
  }

  /**
   * The im2col kernel of a {@code conv_general} (NHWC input {@code x}, HWIO {@code kernel}, output
   * {@code out}): a loop over the patch domain {@code [N, OH, OW, KH, KW, C]} whose point reads
   * {@code x[n, oh*sh + kh - top, ow*sw + kw - left, c]}, or zero where that lies outside {@code x}
   * (a guarded load; guards only on the sides some point can cross). Its one output, stored
   * row-major, is the patch matrix {@code [N·OH·OW, KH·KW·C]} whose product with the kernel viewed
   * as {@code [KH·KW·C, O]} ({@link #convMatmul}) is the NHWC output.
   */
  public static LoopKernel im2col(
      String name, Params p, AbstractValue x, AbstractValue kernel, AbstractValue out) {
    if (x.shape().size() > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException("'conv_general' of " + x + ": over 2^31 points");
    }
    int[] xd = x.shape().dims();
    int[] kd = kernel.shape().dims();
    int[] od = out.shape().dims();
    int[] dom = {xd[0], od[1], od[2], kd[0], kd[1], xd[3]};
    Var xv = new Var(x);
    Builder b = new Builder(List.of(xv), dom);
    int v = b.im2col(xv, p.ints("strides"), p.ints("padding"));
    return new LoopKernel(name, dom, new int[0], List.of(x.dtype()), b.body, List.of(v), null);
  }

  /**
   * The matmul of a {@code conv_general} after {@link #im2col}: the patch matrix {@code [N·OH·OW,
   * KH·KW·C]} times the HWIO kernel read as {@code [KH·KW·C, O]}, giving {@code [N·OH·OW, O]}: the
   * NHWC output's own layout.
   */
  public static MatmulShape convMatmul(AbstractValue kernel, AbstractValue out) {
    int[] kd = kernel.shape().dims();
    int[] od = out.shape().dims();
    long m = (long) od[0] * od[1] * od[2];
    long k = (long) kd[0] * kd[1] * kd[2];
    long patches = m * k;
    if (m > Integer.MAX_VALUE || k > Integer.MAX_VALUE || patches > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException(
          "'conv_general' patch matrix of " + m + " x " + k + " has more than 2^31-1 elements");
    }
    int o = kd[3];
    return new MatmulShape(1, (int) m, o, (int) k, 0, (int) k, 1, 0, o, 1);
  }

  static int[] rowMajorStrides(int[] dims) {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int d = dims.length - 1; d >= 0; d--) {
      s[d] = acc;
      acc *= dims[d];
    }
    return s;
  }

  // ------------------------------------------------------------------ dot_general

  /**
   * The launch arguments of a {@link MatmulKernel} for one {@code dot_general}: sizes and strides
   * (in elements) of the flattened batch, free and contracting axes.
   */
  public record MatmulShape(
      int batch, int m, int n, int k, int aBatch, int aRow, int aK, int bBatch, int bK, int bCol) {
    /** The integer launch arguments in the kernel's order. */
    public int[] arguments() {
      return new int[] {batch, m, n, k, aBatch, aRow, aK, bBatch, bK, bCol};
    }
  }

  /**
   * The matmul view of a {@code dot_general} with these parameters and operands, or an {@link
   * UnsupportedKernelException} when a group of axes does not flatten to one stride.
   */
  public static MatmulShape matmul(Params p, AbstractValue lhs, AbstractValue rhs) {
    int[] lc = p.ints("lhs_contract");
    int[] rc = p.ints("rhs_contract");
    int[] lb = p.ints("lhs_batch");
    int[] rb = p.ints("rhs_batch");
    int[] xd = lhs.shape().dims();
    int[] yd = rhs.shape().dims();
    int[] xs = rowMajorStrides(xd);
    int[] ys = rowMajorStrides(yd);
    int[] lf = LinearAlgebra.free(xd.length, lb, lc);
    int[] rf = LinearAlgebra.free(yd.length, rb, rc);
    long[] b1 = flatten(lb, xd, xs);
    long[] b2 = flatten(rb, yd, ys);
    long[] m = flatten(lf, xd, xs);
    long[] n = flatten(rf, yd, ys);
    long[] k1 = flatten(lc, xd, xs);
    long[] k2 = flatten(rc, yd, ys);
    return new MatmulShape(
        (int) b1[0],
        (int) m[0],
        (int) n[0],
        (int) k1[0],
        (int) b1[1],
        (int) m[1],
        (int) k1[1],
        (int) b2[1],
        (int) k2[1],
        (int) n[1]);
  }

  /** {size, stride} of axes taken in order as one axis, or unsupported if they do not flatten. */
  private static long[] flatten(int[] axes, int[] dims, int[] strides) {
    long size = 1;
    int prev = -1;
    for (int a : axes) {
      size *= dims[a];
      if (dims[a] == 1) {
        continue;
      }
      if (prev >= 0 && strides[prev] != (long) strides[a] * dims[a]) {
        throw new UnsupportedKernelException(
            "dot_general axes " + Arrays.toString(axes) + " do not flatten to one stride");
      }
      prev = a;
    }
    if (size > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException("dot_general axis group too large");
    }
    return new long[] {size, prev < 0 ? 0 : strides[prev]};
  }
}
