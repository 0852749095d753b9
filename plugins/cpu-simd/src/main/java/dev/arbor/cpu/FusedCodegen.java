package dev.arbor.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_double;
import static java.lang.constant.ConstantDescs.CD_float;
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
 * <p>Supported: F32 or F64 clusters (one dtype throughout) of the unary/binary math primitives,
 * comparisons feeding {@code select} inside the cluster, {@code broadcast_in_dim} of cluster inputs
 * of the above kinds, and a trailing {@code reduce_sum/max/min} over all axes or over the trailing
 * {@code cols} axes. Anything else returns null from {@link #plan} and runs in {@link
 * FusedKernel}'s block interpreter.
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
    ROWS
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

  static {
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
    DType t = eqs.get(0).inputs().isEmpty() ? null : eqs.get(0).inputs().get(0).aval().dtype();
    if (eqs.get(0).primitive() == Elementwise.SELECT) {
      t = eqs.get(0).inputs().get(1).aval().dtype();
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
          if (k == null || !v.aval().shape().equals(domain) || v.aval().dtype() != t) {
            return null;
          }
          id = ops.size();
          value.put(v, id);
          operands.add(new int[] {k});
          operandStrides.add(contiguous);
          isMask.add(false);
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
      } else {
        return null;
      }
      // Operand types: a mask only where select takes its predicate, vectors everywhere else.
      for (int j = 0; j < args.length; j++) {
        boolean wantMask = name.equals("select") && j == 0;
        if (isMask.get(args[j]) != wantMask) {
          return null;
        }
      }
      value.put(out, ops.size());
      ops.add(new Op(name, args, mask));
      isMask.add(mask);
    }
    // Outputs: values of the loop (never masks, inputs or repeats), plus the reduction's.
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
      for (int j = 0; j < sorted.length; j++) {
        trailing &= sorted[j] == rank - sorted.length + j;
      }
      if (!trailing) {
        return null;
      }
      split = rank - sorted.length;
      reduce = split == 0 ? Reduce.TOTAL : Reduce.ROWS;
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
      if (id == null || ops.get(id) == null || isMask.get(id)) {
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
    if (reduce == Reduce.ROWS) {
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
        sig.append('%')
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
              t, ops, operands, kinds, outputValue, reduce, reduceOp, reduceValue, reduceOutput);
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
      kinds[k] = scalar ? Kind.SCALAR : isFull ? Kind.FULL : row ? Kind.ROW : col ? Kind.COL : null;
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
  private static final ClassDesc CD_LOOP = ClassDesc.of(Loop.class.getName());
  private static final MethodTypeDesc MTD_RUN =
      MethodTypeDesc.of(CD_double, CD_SEG_ARRAY, CD_SEG_ARRAY, CD_long, CD_long, CD_long);

  /** Emits one cluster's class. */
  private static final class Generator {
    final DType t;
    final String sfx;
    final ClassDesc vec;
    final ClassDesc scalar;
    final List<Op> ops;
    final List<int[]> operands;
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
        Kind[] kinds,
        int[] outputValue,
        Reduce reduce,
        ReduceLoops.Op reduceOp,
        int reduceValue,
        int reduceOutput) {
      this.t = t;
      this.sfx = t == DType.F32 ? "F32" : "F64";
      this.vec = t == DType.F32 ? CD_FVEC : CD_DVEC;
      this.scalar = t == DType.F32 ? CD_float : CD_double;
      this.ops = ops;
      this.operands = operands;
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

    private void call(CodeBuilder cb, String method, ClassDesc ret, ClassDesc... args) {
      cb.invokestatic(CD_OPS, method + sfx, MethodTypeDesc.of(ret, args));
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
          cb.aload(in).loadConstant(k).aaload().lconst_0();
          call(cb, "scalar", scalar, CD_SEG, CD_long);
          call(cb, "bcast", vec, scalar);
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
      if (reduce == Reduce.ROWS) {
        redSeg = cb.allocateLocal(TypeKind.REFERENCE);
        cb.aload(out).loadConstant(reduceOutput).aaload().astore(redSeg);
        rowAcc = cb.allocateLocal(TypeKind.REFERENCE);
      }
      if (reduce == Reduce.TOTAL) {
        acc = cb.allocateLocal(TypeKind.REFERENCE);
        call(cb, "init" + reduceOp.name(), vec);
        cb.astore(acc);
      }
      int lanes = cb.allocateLocal(TypeKind.LONG);
      call(cb, "length", CD_long);
      cb.lstore(lanes);
      int r = cb.allocateLocal(TypeKind.LONG);
      int base = cb.allocateLocal(TypeKind.LONG);
      int c0 = cb.allocateLocal(TypeKind.LONG);
      int c1 = cb.allocateLocal(TypeKind.LONG);
      int c = cb.allocateLocal(TypeKind.LONG);
      int bound = cb.allocateLocal(TypeKind.LONG);
      int idx = cb.allocateLocal(TypeKind.LONG);
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
          cb.aload(segOf[id]).lload(r);
          call(cb, "scalar", scalar, CD_SEG, CD_long);
          call(cb, "bcast", vec, scalar);
          cb.astore(hoisted[id]);
        }
      }
      if (reduce == Reduce.ROWS) {
        call(cb, "init" + reduceOp.name(), vec);
        cb.astore(rowAcc);
      }
      // c = c0; bound = c0 + loopBound(c1 - c0)
      cb.lload(c0).lstore(c);
      cb.lload(c0).lload(c1).lload(c0).lsub();
      call(cb, "loopBound", CD_long, CD_long);
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
      cb.lload(c).lload(c1);
      call(cb, "mask", CD_MASK, CD_long, CD_long);
      cb.astore(mask);
      emitBody(cb, idx, c, mask, outSeg);
      cb.labelBinding(rowEnd);
      if (reduce == Reduce.ROWS) {
        cb.aload(redSeg).lload(r).aload(rowAcc);
        call(cb, "reduce" + reduceOp.name(), scalar, vec);
        call(cb, "storeScalar", CD_void, CD_SEG, CD_long, scalar);
      }
      cb.lload(r).lconst_1().ladd().lstore(r);
      cb.goto_(rowLoop);
      cb.labelBinding(end);
      if (reduce == Reduce.TOTAL) {
        cb.aload(acc);
        call(cb, "reduce" + reduceOp.name(), scalar, vec);
        if (t == DType.F32) {
          cb.f2d();
        }
      } else {
        cb.dconst_0();
      }
      cb.dreturn();
    }

    /** One vector of the loop body at flat index {@code idx}, column {@code col}. */
    private void emitBody(CodeBuilder cb, int idx, int col, int mask, int[] outSeg) {
      boolean masked = mask >= 0;
      for (int id = 0; id < ops.size(); id++) {
        Op op = ops.get(id);
        if (op == null) {
          if (hoisted[id] >= 0) {
            cb.aload(hoisted[id]).astore(local[id]);
          } else {
            // FULL or ROW operand: load at the flat index or the column.
            cb.aload(segOf[id]).lload(kindOf(id) == Kind.ROW ? col : idx);
            if (masked) {
              cb.aload(mask);
              call(cb, "loadM", vec, CD_SEG, CD_long, CD_MASK);
            } else {
              call(cb, "load", vec, CD_SEG, CD_long);
            }
            cb.astore(local[id]);
          }
          continue;
        }
        ClassDesc[] argTypes = new ClassDesc[op.args().length];
        for (int j = 0; j < argTypes.length; j++) {
          cb.aload(local[op.args()[j]]);
          argTypes[j] = op.name().equals("select") && j == 0 ? CD_MASK : vec;
        }
        call(cb, op.name(), op.mask() ? CD_MASK : vec, argTypes);
        cb.astore(local[id]);
      }
      for (int k = 0; k < outputValue.length; k++) {
        if (outputValue[k] < 0) {
          continue;
        }
        cb.aload(local[outputValue[k]]).aload(outSeg[k]).lload(idx);
        if (masked) {
          cb.aload(mask);
          call(cb, "storeM", CD_void, vec, CD_SEG, CD_long, CD_MASK);
        } else {
          call(cb, "store", CD_void, vec, CD_SEG, CD_long);
        }
      }
      if (reduce != Reduce.NONE) {
        int a = reduce == Reduce.TOTAL ? acc : rowAcc;
        cb.aload(a).aload(local[reduceValue]);
        if (masked) {
          cb.aload(mask);
          call(cb, "accM" + reduceOp.name(), vec, vec, vec, CD_MASK);
        } else {
          call(cb, "acc" + reduceOp.name(), vec, vec, vec);
        }
        cb.astore(a);
      }
    }

    private Kind kindOf(int id) {
      return kinds[operandSlot(ops, id)];
    }
  }
}
