package dev.arbor.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_byte;
import static java.lang.constant.ConstantDescs.CD_double;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Primitive;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Structural;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-cluster code generation for jit fusion clusters: each supported {@code fused} sub-graph
 * becomes a hidden class (built with {@code java.lang.classfile}, defined in this package so it
 * reads {@code jdk.incubator.vector} through this module) whose {@link Loop#run} makes one vector
 * loop over the cluster's domain with every intermediate in a local (a register after C2), scalar
 * operands broadcast once before the loop, row operands loaded per column, column operands
 * broadcast once per row, and a trailing reduction kept in a vector accumulator.
 *
 * <p>The domain is viewed as {@code rows × cols} (the split is chosen so every broadcast operand is
 * a scalar, a full array, a row of {@code cols} or a column of {@code rows}); the loop runs over a
 * flat element range {@code [from, to)}, row by row, each row a full-vector loop plus one masked
 * tail. Generated classes are cached by the cluster's structure (dtype, operations, operand kinds,
 * reduction), not its shape, so a new batch size reuses them.
 *
 * <p>Supported: F32 or F64 clusters (one float dtype throughout) of the unary/binary math
 * primitives, comparisons (masks in the loop; stored as bool bytes when they are outputs), bool
 * inputs (loaded as masks), bool {@code and/or/xor/not} of masks, {@code select} on a mask, {@code
 * convert} of a mask to 0/1, {@code broadcast_in_dim} of cluster inputs of the above kinds, and a
 * trailing {@code reduce_sum/max/min/prod} over all axes, the trailing {@code cols} axes (one
 * result per row) or the leading axes (one per column, accumulated in the output). Anything else
 * returns null from {@link #plan} and runs in {@link FusedKernel}'s block interpreter or equation
 * by equation.
 */
final class FusedCodegen {
  /** One generated cluster loop. Returns the range's total reduction (0 when there is none). */
  interface Loop {
    double run(MemorySegment[] in, MemorySegment[] out, long cols, long from, long to);
  }

  /** How an operand is indexed in the {@code rows × cols} domain. */
  enum Kind {
    FULL,
    SCALAR,
    ROW,
    COL
  }

  /** The kind of trailing reduction. */
  enum Reduce {
    NONE,
    TOTAL,
    /** Over the trailing (column) axes: one result per row. */
    ROWS,
    /** Over the leading (row) axes: one result per column, accumulated in the output. */
    COLS
  }

  /** A cluster ready to run: its loop, the domain split, and where the reduction goes. */
  record Plan(
      Loop loop,
      DType dtype,
      long size,
      long cols,
      Reduce reduce,
      ReduceLoops.Op reduceOp,
      int reduceOutput,
      String signature) {}

  /** Generated classes kept (least recently used dropped beyond this many signatures). */
  static final int CACHE_SIZE = 256;

  private static final Map<String, Loop> LOOPS =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Loop> e) {
          return size() > CACHE_SIZE;
        }
      };

  /** Classes generated so far (tests check the cache reuses them). */
  static final java.util.concurrent.atomic.AtomicLong GENERATED =
      new java.util.concurrent.atomic.AtomicLong();

  private FusedCodegen() {}

  // ------------------------------------------------------------------------- analysis

  /** An operation of the loop body: op name (a {@link FusedOps} method prefix), args, result. */
  private record Op(String name, int[] args, boolean mask) {}

  private static final Map<Primitive, String> UNARY = new IdentityHashMap<>();
  private static final Map<Primitive, String> BINARY = new IdentityHashMap<>();
  private static final Map<Primitive, String> COMPARE = new IdentityHashMap<>();

  /** Bool and/or/xor/not, on masks (their operands are comparisons or bool inputs). */
  private static final Map<Primitive, String> MASK_OPS = new IdentityHashMap<>();

  static {
    MASK_OPS.put(Elementwise.AND, "mask_and");
    MASK_OPS.put(Elementwise.OR, "mask_or");
    MASK_OPS.put(Elementwise.XOR, "mask_xor");
    MASK_OPS.put(Elementwise.NOT, "mask_not");
    CpuKernels.UNARY.forEach((p, op) -> UNARY.put(p, op.name()));
    CpuKernels.BINARY.forEach((p, op) -> BINARY.put(p, op.name()));
    CpuKernels.COMPARE.forEach((p, op) -> COMPARE.put(p, op.name()));
  }

  /** The generated plan of {@code g}, or null if the generator does not support it. */
  static Plan plan(Graph g) {
    if (!g.constVars().isEmpty() || g.equations().isEmpty()) {
      return null;
    }
    List<Equation> eqs = g.equations();
    Equation last = eqs.getLast();
    ReduceLoops.Op reduceOp = CpuKernels.REDUCE.get(last.primitive());
    int n = reduceOp != null ? eqs.size() - 1 : eqs.size();
    if (n == 0) {
      return null;
    }
    Shape domain = eqs.get(0).outputs().get(0).aval().shape();
    // The cluster's float type: the first non-bool value an equation defines.
    DType t = null;
    for (int e = 0; e < eqs.size() && t == null; e++) {
      for (Var o : eqs.get(e).outputs()) {
        if (t == null && o.aval().dtype() != DType.BOOL) {
          t = o.aval().dtype();
        }
      }
    }
    if (t != DType.F32 && t != DType.F64) {
      return null; // also a first equation with no inputs
    }
    int[] d = domain.dims();
    int rank = d.length;
    // Values: 0..inputs-1 are operands (one per input use kind), then one per equation result.
    Map<Var, Integer> value = new IdentityHashMap<>();
    List<Boolean> isMask = new ArrayList<>();
    List<int[]> operands = new ArrayList<>(); // {input index}, with strides in operandStrides
    List<long[]> operandStrides = new ArrayList<>();
    List<Op> ops = new ArrayList<>();
    Map<Var, Integer> inputIndex = new IdentityHashMap<>();
    for (int k = 0; k < g.inputs().size(); k++) {
      inputIndex.put(g.inputs().get(k), k);
    }
    long[] contiguous = Layout.strides(d);
    for (int e = 0; e < n; e++) {
      Equation eq = eqs.get(e);
      if (eq.outputs().size() != 1) {
        return null;
      }
      Var out = eq.outputs().get(0);
      if (!out.aval().shape().equals(domain)) {
        return null;
      }
      Primitive p = eq.primitive();
      if (p == Structural.BROADCAST_IN_DIM) {
        Var x = eq.inputs().get(0);
        Integer k = inputIndex.get(x);
        if (k == null || x.aval().dtype() != t) {
          return null;
        }
        int[] dims = eq.params().ints("dims");
        int[] xd = x.aval().shape().dims();
        long[] xs = Layout.strides(xd);
        long[] strides = new long[rank];
        for (int j = 0; j < dims.length; j++) {
          strides[dims[j]] = xd[j] == 1 ? 0 : xs[j];
        }
        value.put(out, ops.size());
        operands.add(new int[] {k});
        operandStrides.add(strides);
        isMask.add(false);
        ops.add(null); // placeholder: operand values have no op
        continue;
      }
      int[] args = new int[eq.inputs().size()];
      for (int j = 0; j < args.length; j++) {
        Var v = eq.inputs().get(j);
        Integer id = value.get(v);
        if (id == null) {
          Integer k = inputIndex.get(v);
          boolean bool = v.aval().dtype() == DType.BOOL;
          if (k == null || !v.aval().shape().equals(domain) || v.aval().dtype() != t && !bool) {
            return null;
          }
          id = ops.size();
          value.put(v, id);
          operands.add(new int[] {k});
          operandStrides.add(contiguous);
          isMask.add(bool); // a bool input is loaded as a mask (its bytes compared with 0)
          ops.add(null);
        }
        args[j] = id;
      }
      String name;
      boolean mask = false;
      if (UNARY.containsKey(p) && args.length == 1 && out.aval().dtype() == t) {
        name = UNARY.get(p);
      } else if (BINARY.containsKey(p) && args.length == 2 && out.aval().dtype() == t) {
        name = BINARY.get(p);
      } else if (COMPARE.containsKey(p) && args.length == 2) {
        name = COMPARE.get(p);
        mask = true;
      } else if (p == Elementwise.SELECT && args.length == 3 && out.aval().dtype() == t) {
        name = "select";
      } else if (MASK_OPS.containsKey(p) && out.aval().dtype() == DType.BOOL) {
        name = MASK_OPS.get(p); // and/or/xor/not of masks
        mask = true;
      } else if (p == Elementwise.CONVERT && out.aval().dtype() == t && isMask.get(args[0])) {
        name = "fromMask"; // bool -> 0/1
      } else {
        return null;
      }
      // Operand types: a mask where select takes its predicate and convert its bool operand,
      // vectors everywhere else.
      for (int j = 0; j < args.length; j++) {
        boolean wantMask =
            (name.equals("select") || name.equals("fromMask")) && j == 0
                || name.startsWith("mask_");
        if (isMask.get(args[j]) != wantMask) {
          return null;
        }
      }
      value.put(out, ops.size());
      ops.add(new Op(name, args, mask));
      isMask.add(mask);
    }
    // Outputs: values of the loop (masks stored as bool bytes; never inputs or repeats), plus the
    // reduction's.
    int outs = g.outputs().size();
    int[] outputValue = new int[outs];
    Arrays.fill(outputValue, -1);
    int reduceOutput = -1;
    Reduce reduce = Reduce.NONE;
    int reduceValue = -1;
    int split = 0;
    if (reduceOp != null) {
      Var rin = last.inputs().get(0);
      Integer id = value.get(rin);
      if (id == null || isMask.get(id)) {
        return null;
      }
      reduceValue = id;
      int[] axes = last.params().ints("axes");
      int[] sorted = axes.clone();
      Arrays.sort(sorted);
      boolean trailing = true;
      boolean leading = true;
      for (int j = 0; j < sorted.length; j++) {
        trailing &= sorted[j] == rank - sorted.length + j;
        leading &= sorted[j] == j;
      }
      if (trailing) {
        split = rank - sorted.length;
        reduce = split == 0 ? Reduce.TOTAL : Reduce.ROWS;
      } else if (leading) {
        split = sorted.length; // rows = the reduced axes, cols = the result
        reduce = Reduce.COLS;
      } else {
        return null;
      }
    }
    for (int k = 0; k < outs; k++) {
      Var v = g.outputs().get(k);
      if (reduceOp != null && v == last.outputs().get(0)) {
        if (reduceOutput >= 0) {
          return null;
        }
        reduceOutput = k;
        continue;
      }
      Integer id = value.get(v);
      if (id == null || ops.get(id) == null) {
        return null;
      }
      for (int j = 0; j < k; j++) {
        if (outputValue[j] == id) {
          return null;
        }
      }
      outputValue[k] = id;
    }
    if (reduceOp != null && reduceOutput < 0) {
      return null;
    }
    // The rows × cols split: fixed by a partial reduction, else the first that fits.
    Kind[] kinds = null;
    if (reduce == Reduce.ROWS || reduce == Reduce.COLS) {
      kinds = classify(d, operandStrides, split);
    } else {
      for (int s = 0; s < Math.max(rank, 1) && kinds == null; s++) {
        kinds = classify(d, operandStrides, s);
        split = s;
      }
    }
    if (kinds == null) {
      return null;
    }
    long cols = 1;
    for (int j = split; j < rank; j++) {
      cols *= d[j];
    }
    // Signature: everything the generated code depends on (not shapes or values).
    StringBuilder sig = new StringBuilder(t.name()).append('|');
    for (int id = 0; id < ops.size(); id++) {
      Op op = ops.get(id);
      if (op == null) {
        sig.append(isMask.get(id) ? "%b" : "%")
            .append(kinds[operandSlot(ops, id)])
            .append(operands.get(operandSlot(ops, id))[0]);
      } else {
        sig.append(op.name()).append(Arrays.toString(op.args()));
      }
      sig.append(';');
    }
    sig.append("|out").append(Arrays.toString(outputValue));
    sig.append("|red")
        .append(reduce)
        .append(reduceOp)
        .append(reduceValue)
        .append(':')
        .append(reduceOutput);
    String signature = sig.toString();
    Loop loop;
    synchronized (LOOPS) {
      loop = LOOPS.get(signature);
    }
    if (loop == null) {
      Generator gen =
          new Generator(
              t,
              ops,
              operands,
              isMask,
              kinds,
              outputValue,
              reduce,
              reduceOp,
              reduceValue,
              reduceOutput);
      loop = gen.define();
      GENERATED.incrementAndGet();
      synchronized (LOOPS) {
        Loop prev = LOOPS.putIfAbsent(signature, loop);
        loop = prev != null ? prev : loop;
      }
    }
    return new Plan(loop, t, domain.size(), cols, reduce, reduceOp, reduceOutput, signature);
  }

  /** Operand values are numbered in the order they appear; the k-th null op is operand k. */
  private static int operandSlot(List<Op> ops, int id) {
    int k = 0;
    for (int j = 0; j < id; j++) {
      if (ops.get(j) == null) {
        k++;
      }
    }
    return k;
  }

  /** Each operand's kind for the split at {@code s}, or null if one fits none. */
  private static Kind[] classify(int[] d, List<long[]> strides, int s) {
    int rank = d.length;
    long[] full = Layout.strides(d);
    long[] rowPart = Layout.strides(Arrays.copyOfRange(d, s, rank));
    long[] colPart = Layout.strides(Arrays.copyOfRange(d, 0, s));
    Kind[] kinds = new Kind[strides.size()];
    for (int k = 0; k < kinds.length; k++) {
      long[] st = strides.get(k);
      boolean scalar = true;
      boolean isFull = true;
      boolean row = true;
      boolean col = true;
      for (int j = 0; j < rank; j++) {
        if (d[j] == 1) {
          continue;
        }
        scalar &= st[j] == 0;
        isFull &= st[j] == full[j];
        row &= j < s ? st[j] == 0 : st[j] == rowPart[j - s];
        col &= j < s ? st[j] == colPart[j] : st[j] == 0;
      }
      kinds[k] = isFull ? Kind.FULL : scalar ? Kind.SCALAR : row ? Kind.ROW : col ? Kind.COL : null;
      if (kinds[k] == null) {
        return null;
      }
    }
    return kinds;
  }

  // ------------------------------------------------------------------------- bytecode

  private static final ClassDesc CD_Math = ClassDesc.of("java.lang.Math");
  private static final ClassDesc CD_SEG = ClassDesc.of("java.lang.foreign.MemorySegment");
  private static final ClassDesc CD_SEG_ARRAY = CD_SEG.arrayType();
  private static final ClassDesc CD_MASK = ClassDesc.of("jdk.incubator.vector.VectorMask");
  private static final ClassDesc CD_FVEC = ClassDesc.of("jdk.incubator.vector.FloatVector");
  private static final ClassDesc CD_DVEC = ClassDesc.of("jdk.incubator.vector.DoubleVector");
  private static final ClassDesc CD_OPS = ClassDesc.of(FusedOps.class.getName());
  private static final ClassDesc CD_BVEC = ClassDesc.of("jdk.incubator.vector.ByteVector");
  private static final ClassDesc CD_VECTOR = ClassDesc.of("jdk.incubator.vector.Vector");
  private static final ClassDesc CD_SPECIES = ClassDesc.of("jdk.incubator.vector.VectorSpecies");
  private static final ClassDesc CD_VOPS = ClassDesc.of("jdk.incubator.vector.VectorOperators");
  private static final ClassDesc CD_UNARY = CD_VOPS.nested("Unary");
  private static final ClassDesc CD_BINARY = CD_VOPS.nested("Binary");
  private static final ClassDesc CD_ASSOC = CD_VOPS.nested("Associative");
  private static final ClassDesc CD_COMPARISON = CD_VOPS.nested("Comparison");
  private static final ClassDesc CD_ORDER = ClassDesc.of("java.nio.ByteOrder");
  private static final ClassDesc CD_VALUE_LAYOUT = ClassDesc.of("java.lang.foreign.ValueLayout");
  private static final ClassDesc CD_LOOP = ClassDesc.of(Loop.class.getName());
  private static final MethodTypeDesc MTD_RUN =
      MethodTypeDesc.of(CD_double, CD_SEG_ARRAY, CD_SEG_ARRAY, CD_long, CD_long, CD_long);

  /** Emits one cluster's class. */
  private static final class Generator {
    final DType t;
    final ClassDesc vec;
    final ClassDesc scalar;
    final List<Op> ops;
    final List<int[]> operands;
    final List<Boolean> isMask;
    final Kind[] kinds;
    final int[] outputValue;
    final Reduce reduce;
    final ReduceLoops.Op reduceOp;
    final int reduceValue;
    final int reduceOutput;

    // Local slots (allocated in emit).
    int[] segOf; // per value id (operand FULL/ROW or output), -1 if none
    int[] hoisted; // per value id: SCALAR / COL operand vector locals
    int[] local; // per value id: the body's local
    int acc = -1;
    int rowAcc = -1;
    int redSeg = -1;

    Generator(
        DType t,
        List<Op> ops,
        List<int[]> operands,
        List<Boolean> isMask,
        Kind[] kinds,
        int[] outputValue,
        Reduce reduce,
        ReduceLoops.Op reduceOp,
        int reduceValue,
        int reduceOutput) {
      this.t = t;
      this.vec = t == DType.F32 ? CD_FVEC : CD_DVEC;
      this.scalar = t == DType.F32 ? CD_float : CD_double;
      this.ops = ops;
      this.operands = operands;
      this.isMask = isMask;
      this.kinds = kinds;
      this.outputValue = outputValue;
      this.reduce = reduce;
      this.reduceOp = reduceOp;
      this.reduceValue = reduceValue;
      this.reduceOutput = reduceOutput;
    }

    Loop define() {
      ClassDesc name = ClassDesc.of(FusedCodegen.class.getPackageName() + ".FusedLoop");
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      ClassFile cf =
          ClassFile.of(
              ClassFile.ClassHierarchyResolverOption.of(
                  ClassHierarchyResolver.defaultResolver()
                      .orElse(ClassHierarchyResolver.ofClassLoading(lookup))));
      byte[] bytes =
          cf.build(
              name,
              clb -> {
                clb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER);
                clb.withInterfaceSymbols(CD_LOOP);
                clb.withMethodBody(
                    INIT_NAME,
                    MethodTypeDesc.of(CD_void),
                    ClassFile.ACC_PUBLIC,
                    cb ->
                        cb.aload(0)
                            .invokespecial(CD_Object, INIT_NAME, MethodTypeDesc.of(CD_void))
                            .return_());
                clb.withMethodBody("run", MTD_RUN, ClassFile.ACC_PUBLIC, this::emitRun);
              });
      try {
        MethodHandles.Lookup hidden = lookup.defineHiddenClass(bytes, true);
        return (Loop)
            hidden
                .findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
                .invoke();
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException("cannot define a generated fusion loop", e);
      }
    }

    private void emitRun(CodeBuilder cb) {
      final int in = 1;
      final int out = 2;
      final int cols = 3;
      final int from = 5;
      final int to = 7;
      int values = ops.size();
      segOf = new int[values];
      hoisted = new int[values];
      local = new int[values];
      Arrays.fill(segOf, -1);
      Arrays.fill(hoisted, -1);
      // Segments of FULL/ROW operands, hoisted vectors of SCALAR operands.
      int operand = 0;
      for (int id = 0; id < values; id++) {
        local[id] = cb.allocateLocal(TypeKind.REFERENCE);
        if (ops.get(id) != null) {
          continue;
        }
        int k = operands.get(operand)[0];
        Kind kind = kinds[operand];
        operand++;
        if (kind == Kind.FULL || kind == Kind.ROW || kind == Kind.COL) {
          segOf[id] = cb.allocateLocal(TypeKind.REFERENCE);
          cb.aload(in).loadConstant(k).aaload().astore(segOf[id]);
        }
        if (kind == Kind.SCALAR) {
          hoisted[id] = cb.allocateLocal(TypeKind.REFERENCE);
          species(cb);
          cb.aload(in).loadConstant(k).aaload().lconst_0();
          scalarAt(cb);
          broadcast(cb);
          cb.astore(hoisted[id]);
        } else if (kind == Kind.COL) {
          hoisted[id] = cb.allocateLocal(TypeKind.REFERENCE);
        }
      }
      int[] outSeg = new int[outputValue.length];
      for (int k = 0; k < outputValue.length; k++) {
        if (outputValue[k] >= 0) {
          outSeg[k] = cb.allocateLocal(TypeKind.REFERENCE);
          cb.aload(out).loadConstant(k).aaload().astore(outSeg[k]);
        }
      }
      if (reduce == Reduce.ROWS || reduce == Reduce.COLS) {
        redSeg = cb.allocateLocal(TypeKind.REFERENCE);
        cb.aload(out).loadConstant(reduceOutput).aaload().astore(redSeg);
        rowAcc = cb.allocateLocal(TypeKind.REFERENCE);
      }
      if (reduce == Reduce.TOTAL) {
        acc = cb.allocateLocal(TypeKind.REFERENCE);
        init(cb);
        cb.astore(acc);
      }
      int lanes = cb.allocateLocal(TypeKind.LONG);
      species(cb);
      cb.invokeinterface(CD_SPECIES, "length", MethodTypeDesc.of(CD_int)).i2l();
      cb.lstore(lanes);
      int r = cb.allocateLocal(TypeKind.LONG);
      int base = cb.allocateLocal(TypeKind.LONG);
      int c0 = cb.allocateLocal(TypeKind.LONG);
      int c1 = cb.allocateLocal(TypeKind.LONG);
      int c = cb.allocateLocal(TypeKind.LONG);
      int idx = cb.allocateLocal(TypeKind.LONG);
      int bound = cb.allocateLocal(TypeKind.LONG);
      int mask = cb.allocateLocal(TypeKind.REFERENCE);
      MethodTypeDesc jjj = MethodTypeDesc.of(CD_long, CD_long, CD_long);
      // r = from / cols
      cb.lload(from).lload(cols).ldiv().lstore(r);
      Label rowLoop = cb.newLabel();
      Label end = cb.newLabel();
      cb.labelBinding(rowLoop);
      // base = r * cols; if (base >= to) break
      cb.lload(r).lload(cols).lmul().lstore(base);
      cb.lload(base).lload(to).lcmp().ifge(end);
      // c0 = max(from - base, 0); c1 = min(to - base, cols)
      cb.lload(from).lload(base).lsub().lconst_0().invokestatic(CD_Math, "max", jjj).lstore(c0);
      cb.lload(to).lload(base).lsub().lload(cols).invokestatic(CD_Math, "min", jjj).lstore(c1);
      // COL operands: broadcast element r once per row.
      for (int id = 0; id < values; id++) {
        if (ops.get(id) == null && hoisted[id] >= 0 && segOf[id] >= 0) {
          species(cb);
          cb.aload(segOf[id]).lload(r);
          scalarAt(cb);
          broadcast(cb);
          cb.astore(hoisted[id]);
        }
      }
      if (reduce == Reduce.ROWS) {
        init(cb);
        cb.astore(rowAcc);
      }
      // Full vectors up to loopBound, then one masked tail. (The tail repeats the body; the
      // calls are straight Vector API calls, which C2 force-inlines, so the copy does not push
      // the main loop past C2's inlining cutoff.)
      cb.lload(c0).lstore(c);
      cb.lload(c0).lload(c1).lload(c0).lsub();
      species(cb);
      cb.dup_x2().pop();
      cb.invokeinterface(CD_SPECIES, "loopBound", MethodTypeDesc.of(CD_long, CD_long));
      cb.ladd().lstore(bound);
      Label inner = cb.newLabel();
      Label tail = cb.newLabel();
      Label rowEnd = cb.newLabel();
      cb.labelBinding(inner);
      cb.lload(c).lload(bound).lcmp().ifge(tail);
      cb.lload(base).lload(c).ladd().lstore(idx);
      emitBody(cb, idx, c, -1, outSeg);
      cb.lload(c).lload(lanes).ladd().lstore(c);
      cb.goto_(inner);
      cb.labelBinding(tail);
      cb.lload(c).lload(c1).lcmp().ifge(rowEnd);
      cb.lload(base).lload(c).ladd().lstore(idx);
      species(cb);
      cb.lload(c).lload(c1);
      cb.invokeinterface(CD_SPECIES, "indexInRange", MethodTypeDesc.of(CD_MASK, CD_long, CD_long));
      cb.astore(mask);
      emitBody(cb, idx, c, mask, outSeg);
      cb.labelBinding(rowEnd);
      if (reduce == Reduce.ROWS) {
        cb.aload(redSeg).getstatic(CD_VALUE_LAYOUT, layoutName(), layoutType()).lload(r);
        cb.aload(rowAcc);
        reduceLanes(cb);
        cb.invokeinterface(
            CD_SEG, "setAtIndex", MethodTypeDesc.of(CD_void, layoutType(), CD_long, scalar));
      }
      cb.lload(r).lconst_1().ladd().lstore(r);
      cb.goto_(rowLoop);
      cb.labelBinding(end);
      if (reduce == Reduce.TOTAL) {
        cb.aload(acc);
        reduceLanes(cb);
        if (t == DType.F32) {
          cb.f2d();
        }
      } else {
        cb.dconst_0();
      }
      cb.dreturn();
    }

    /** One vector of the loop body at flat index {@code idx}, column {@code col} (mask, or -1). */
    private void emitBody(CodeBuilder cb, int idx, int col, int mask, int[] outSeg) {
      boolean masked = mask >= 0;
      for (int id = 0; id < ops.size(); id++) {
        Op op = ops.get(id);
        if (op == null) {
          if (hoisted[id] >= 0) {
            cb.aload(hoisted[id]).astore(local[id]);
          } else {
            if (isMask.get(id)) {
              // A bool operand: its bytes, compared with 0, as a mask of the float species.
              bytes(cb);
              cb.aload(segOf[id]).lload(idx);
              order(cb);
              if (masked) {
                cb.aload(mask);
                bytes(cb);
                cb.invokevirtual(CD_MASK, "cast", MethodTypeDesc.of(CD_MASK, CD_SPECIES));
                cb.invokestatic(
                    CD_BVEC,
                    "fromMemorySegment",
                    MethodTypeDesc.of(CD_BVEC, CD_SPECIES, CD_SEG, CD_long, CD_ORDER, CD_MASK));
              } else {
                cb.invokestatic(
                    CD_BVEC,
                    "fromMemorySegment",
                    MethodTypeDesc.of(CD_BVEC, CD_SPECIES, CD_SEG, CD_long, CD_ORDER));
              }
              cb.getstatic(CD_VOPS, "NE", CD_COMPARISON);
              cb.iconst_0();
              cb.invokevirtual(
                  CD_BVEC, "compare", MethodTypeDesc.of(CD_MASK, CD_COMPARISON, CD_byte));
              species(cb);
              cb.invokevirtual(CD_MASK, "cast", MethodTypeDesc.of(CD_MASK, CD_SPECIES));
              cb.astore(local[id]);
              continue;
            }
            // FULL or ROW operand: load at the flat index or the column.
            vload(cb, segOf[id], kindOf(id) == Kind.ROW ? col : idx, mask);
            cb.astore(local[id]);
          }
          continue;
        }
        emitOp(cb, op);
        cb.astore(local[id]);
      }
      for (int k = 0; k < outputValue.length; k++) {
        if (outputValue[k] < 0) {
          continue;
        }
        if (isMask.get(outputValue[k])) {
          // A mask output: bool bytes 0/1.
          bytes(cb);
          cb.invokestatic(CD_BVEC, "zero", MethodTypeDesc.of(CD_BVEC, CD_SPECIES));
          cb.iconst_1();
          cb.aload(local[outputValue[k]]);
          bytes(cb);
          cb.invokevirtual(CD_MASK, "cast", MethodTypeDesc.of(CD_MASK, CD_SPECIES));
          cb.invokevirtual(CD_BVEC, "blend", MethodTypeDesc.of(CD_BVEC, CD_byte, CD_MASK));
          cb.aload(outSeg[k]).lload(idx);
          order(cb);
          if (masked) {
            cb.aload(mask);
            bytes(cb);
            cb.invokevirtual(CD_MASK, "cast", MethodTypeDesc.of(CD_MASK, CD_SPECIES));
            cb.invokevirtual(
                CD_BVEC,
                "intoMemorySegment",
                MethodTypeDesc.of(CD_void, CD_SEG, CD_long, CD_ORDER, CD_MASK));
          } else {
            cb.invokevirtual(
                CD_BVEC,
                "intoMemorySegment",
                MethodTypeDesc.of(CD_void, CD_SEG, CD_long, CD_ORDER));
          }
          continue;
        }
        cb.aload(local[outputValue[k]]);
        vstore(cb, outSeg[k], idx, mask);
      }
      if (reduce == Reduce.COLS) {
        // out[col] = out[col] op value: the output holds the column accumulators (the caller
        // initializes it and gives each task its own).
        vload(cb, redSeg, col, mask);
        cb.getstatic(CD_VOPS, reduceOperator(), CD_ASSOC);
        cb.aload(local[reduceValue]);
        cb.invokevirtual(vec, "lanewise", MethodTypeDesc.of(vec, CD_BINARY, CD_VECTOR));
        vstore(cb, redSeg, col, mask);
      } else if (reduce != Reduce.NONE) {
        int a = reduce == Reduce.TOTAL ? acc : rowAcc;
        cb.aload(a);
        cb.getstatic(CD_VOPS, reduceOperator(), CD_ASSOC);
        cb.aload(local[reduceValue]);
        if (masked) {
          cb.aload(mask);
          cb.invokevirtual(vec, "lanewise", MethodTypeDesc.of(vec, CD_BINARY, CD_VECTOR, CD_MASK));
        } else {
          cb.invokevirtual(vec, "lanewise", MethodTypeDesc.of(vec, CD_BINARY, CD_VECTOR));
        }
        cb.astore(a);
      }
    }

    /**
     * One operation, straight Vector API calls (all {@code @ForceInline} in the JDK, so C2 inlines
     * them past its NodeCountInliningCutoff); only F32 exp/tanh/logistic call {@link FusedOps}.
     */
    private void emitOp(CodeBuilder cb, Op op) {
      int[] a = op.args();
      MethodTypeDesc unary = MethodTypeDesc.of(vec);
      MethodTypeDesc binary = MethodTypeDesc.of(vec, CD_VECTOR);
      boolean f32 = t == DType.F32;
      String name = f32 && FAST_F32.contains(op.name()) ? "fast" : op.name();
      switch (name) {
        case "NEG", "ABS", "SQRT" -> {
          cb.aload(local[a[0]]);
          cb.invokevirtual(vec, op.name().toLowerCase(java.util.Locale.ROOT), unary);
        }
        case "RSQRT" -> {
          cb.aload(local[a[0]]);
          scalarConst(cb, 1);
          cb.invokevirtual(vec, "broadcast", MethodTypeDesc.of(vec, scalar));
          cb.aload(local[a[0]]).invokevirtual(vec, "sqrt", unary);
          cb.invokevirtual(vec, "div", binary);
        }
        case "fast" -> {
          cb.aload(local[a[0]]);
          cb.invokestatic(CD_OPS, op.name() + "F32", MethodTypeDesc.of(vec, vec));
        }
        case "LOGISTIC" -> {
          // 1 / (1 + e^-x), as ElementwiseLoops computes it in F64.
          cb.aload(local[a[0]]);
          scalarConst(cb, 1);
          cb.invokevirtual(vec, "broadcast", MethodTypeDesc.of(vec, scalar));
          cb.aload(local[a[0]]).invokevirtual(vec, "neg", unary);
          cb.getstatic(CD_VOPS, "EXP", CD_UNARY);
          cb.invokevirtual(vec, "lanewise", MethodTypeDesc.of(vec, CD_UNARY));
          scalarConst(cb, 1);
          cb.invokevirtual(vec, "add", MethodTypeDesc.of(vec, scalar));
          cb.invokevirtual(vec, "div", binary);
        }
        case "EXP", "TANH", "LOG", "SIN", "COS" -> {
          cb.aload(local[a[0]]);
          cb.getstatic(CD_VOPS, op.name(), CD_UNARY);
          cb.invokevirtual(vec, "lanewise", MethodTypeDesc.of(vec, CD_UNARY));
        }
        case "ADD", "SUB", "MUL", "DIV", "MAX", "MIN" -> {
          cb.aload(local[a[0]]).aload(local[a[1]]);
          cb.invokevirtual(vec, op.name().toLowerCase(java.util.Locale.ROOT), binary);
        }
        case "POW" -> {
          cb.aload(local[a[0]]);
          cb.getstatic(CD_VOPS, "POW", CD_BINARY);
          cb.aload(local[a[1]]);
          cb.invokevirtual(vec, "lanewise", MethodTypeDesc.of(vec, CD_BINARY, CD_VECTOR));
        }
        case "REM", "ERF_INV" -> {
          // FastMath's rem/erf_inv through FusedOps helpers, as the elementwise loops compute them.
          MethodTypeDesc helper =
              a.length == 1 ? MethodTypeDesc.of(vec, vec) : MethodTypeDesc.of(vec, vec, vec);
          for (int arg : a) {
            cb.aload(local[arg]);
          }
          cb.invokestatic(CD_OPS, op.name() + (f32 ? "F32" : "F64"), helper);
        }
        case "EQ", "NE", "LT", "LE", "GT", "GE" -> {
          cb.aload(local[a[0]]);
          cb.getstatic(CD_VOPS, op.name(), CD_COMPARISON);
          cb.aload(local[a[1]]);
          cb.invokevirtual(vec, "compare", MethodTypeDesc.of(CD_MASK, CD_COMPARISON, CD_VECTOR));
        }
        case "mask_and", "mask_or", "mask_xor" -> {
          cb.aload(local[a[0]]).aload(local[a[1]]);
          cb.invokevirtual(CD_MASK, op.name().substring(5), MethodTypeDesc.of(CD_MASK, CD_MASK));
        }
        case "mask_not" -> {
          cb.aload(local[a[0]]);
          cb.invokevirtual(CD_MASK, "not", MethodTypeDesc.of(CD_MASK));
        }
        case "fromMask" -> {
          // convert(bool -> float): 0 where false, 1 where true.
          species(cb);
          scalarConst(cb, 0);
          broadcast(cb);
          scalarConst(cb, 1);
          cb.aload(local[a[0]]);
          cb.invokevirtual(vec, "blend", MethodTypeDesc.of(vec, scalar, CD_MASK));
        }
        case "select" -> {
          // select(p, onTrue, onFalse) = onFalse.blend(onTrue, p)
          cb.aload(local[a[2]]).aload(local[a[1]]).aload(local[a[0]]);
          cb.invokevirtual(vec, "blend", MethodTypeDesc.of(vec, CD_VECTOR, CD_MASK));
        }
        default -> throw new IllegalStateException("no code for " + op.name());
      }
    }

    private static final java.util.Set<String> FAST_F32 =
        java.util.Set.of("EXP", "TANH", "LOGISTIC");

    /**
     * Pushes a vector loaded from the segment in local {@code seg} at the element index in local
     * {@code index} (a long), under the mask in local {@code mask} when {@code mask >= 0}.
     */
    private void vload(CodeBuilder cb, int seg, int index, int mask) {
      species(cb);
      cb.aload(seg).lload(index);
      cb.loadConstant((long) t.byteSize()).lmul();
      order(cb);
      if (mask >= 0) {
        cb.aload(mask);
        cb.invokestatic(
            vec,
            "fromMemorySegment",
            MethodTypeDesc.of(vec, CD_SPECIES, CD_SEG, CD_long, CD_ORDER, CD_MASK));
      } else {
        cb.invokestatic(
            vec,
            "fromMemorySegment",
            MethodTypeDesc.of(vec, CD_SPECIES, CD_SEG, CD_long, CD_ORDER));
      }
    }

    /** Stores the vector on top of the stack as {@link #vload} reads it. */
    private void vstore(CodeBuilder cb, int seg, int index, int mask) {
      cb.aload(seg).lload(index);
      cb.loadConstant((long) t.byteSize()).lmul();
      order(cb);
      if (mask >= 0) {
        cb.aload(mask);
        cb.invokevirtual(
            vec,
            "intoMemorySegment",
            MethodTypeDesc.of(CD_void, CD_SEG, CD_long, CD_ORDER, CD_MASK));
      } else {
        cb.invokevirtual(
            vec, "intoMemorySegment", MethodTypeDesc.of(CD_void, CD_SEG, CD_long, CD_ORDER));
      }
    }

    private void species(CodeBuilder cb) {
      cb.getstatic(CD_OPS, t == DType.F32 ? "F" : "D", CD_SPECIES);
    }

    /** The byte species with this float species' lane count (bool values). */
    private void bytes(CodeBuilder cb) {
      cb.getstatic(CD_OPS, t == DType.F32 ? "BF" : "BD", CD_SPECIES);
    }

    private void order(CodeBuilder cb) {
      cb.getstatic(CD_OPS, "O", CD_ORDER);
    }

    private void scalarConst(CodeBuilder cb, double v) {
      if (t == DType.F32) {
        cb.loadConstant((float) v);
      } else {
        cb.loadConstant(v);
      }
    }

    /** species on the stack below; pushes {@code broadcast(species, scalar)}. */
    private void broadcast(CodeBuilder cb) {
      cb.invokestatic(vec, "broadcast", MethodTypeDesc.of(vec, CD_SPECIES, scalar));
    }

    /** (segment, index) on the stack; pushes the element. */
    private void scalarAt(CodeBuilder cb) {
      // getAtIndex(ValueLayout.OfX, long): the layout goes below the index.
      cb.getstatic(CD_VALUE_LAYOUT, layoutName(), layoutType());
      cb.dup_x2().pop(); // segment, layout, index
      cb.invokeinterface(CD_SEG, "getAtIndex", MethodTypeDesc.of(scalar, layoutType(), CD_long));
    }

    private void init(CodeBuilder cb) {
      species(cb);
      double v =
          switch (reduceOp) {
            case SUM -> 0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            case PROD -> 1;
          };
      scalarConst(cb, v);
      broadcast(cb);
    }

    private void reduceLanes(CodeBuilder cb) {
      cb.getstatic(CD_VOPS, reduceOperator(), CD_ASSOC);
      cb.invokevirtual(vec, "reduceLanes", MethodTypeDesc.of(scalar, CD_ASSOC));
    }

    private String reduceOperator() {
      return switch (reduceOp) {
        case SUM -> "ADD";
        case MAX -> "MAX";
        case MIN -> "MIN";
        case PROD -> "MUL";
      };
    }

    private String layoutName() {
      return t == DType.F32 ? "JAVA_FLOAT" : "JAVA_DOUBLE";
    }

    private ClassDesc layoutType() {
      return CD_VALUE_LAYOUT.nested(t == DType.F32 ? "OfFloat" : "OfDouble");
    }

    private Kind kindOf(int id) {
      return kinds[operandSlot(ops, id)];
    }
  }
}
