package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.Kernel;
import dev.arbor.backend.Kernels;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Structural;
import dev.arbor.transform.jit.Fused;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Runs a jit fusion cluster ({@code fused}) by the first of three paths that accepts it:
 *
 * <ol>
 *   <li>a generated loop ({@link FusedCodegen}): one vector loop per cluster with intermediates in
 *       registers, scalar operands hoisted, a trailing reduction in a vector accumulator;
 *   <li>the block interpreter: the domain is cut into blocks of {@link #BLOCK} elements, and for
 *       each block every equation of the cluster runs its vector loop on block-sized scratch
 *       (L1/L2-resident), so no domain-sized intermediate is written to memory; a trailing total
 *       reduction is accumulated per block;
 *   <li>equation by equation with this backend's kernels (or, for a plugin's primitive, the kernel
 *       its {@code KernelProvider} registered for {@code cpu-simd}), releasing intermediates as it
 *       goes: integer math, partial reductions over leading axes, unknown primitives.
 * </ol>
 *
 * Work is spread over the backend pool. {@code -Darbor.cpu.codegen=false} skips the first path.
 */
final class FusedKernel {
  /** Elements per block: 2048 floats or doubles per temporary stay in L1/L2. */
  static final int BLOCK = 2048;

  private static final Map<Graph, Optional<Plan>> PLANS =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** Clusters run by the block loop / equation by equation (tests check which path ran). */
  static final java.util.concurrent.atomic.AtomicLong BLOCK_RUNS =
      new java.util.concurrent.atomic.AtomicLong();

  static final java.util.concurrent.atomic.AtomicLong INTERPRETED_RUNS =
      new java.util.concurrent.atomic.AtomicLong();

  /** Clusters run by a generated loop ({@link FusedCodegen}). */
  static final java.util.concurrent.atomic.AtomicLong GENERATED_RUNS =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Whether clusters the generator supports run as generated loops ({@code -Darbor.cpu.codegen},
   * default true); false runs every cluster in the block interpreter (tests and A/B timings).
   */
  static volatile boolean codegen =
      Boolean.parseBoolean(System.getProperty("arbor.cpu.codegen", "true"));

  /**
   * Elements per chunk of a generated loop with a total reduction. Fixed (not derived from the
   * thread count) so the per-chunk partial results, combined in chunk order, give the same sum for
   * any {@code arbor.threads}.
   */
  static final long CHUNK = 1 << 16;

  private static final Map<Graph, Optional<FusedCodegen.Plan>> GENERATED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private FusedKernel() {}

  private enum Where {
    INPUT,
    SCRATCH,
    OUTPUT
  }

  /** Where a value lives: graph input k, scratch slot k, or output k. */
  private record Slot(Where where, int index, DType dtype) {}

  private enum Kind {
    UNARY,
    BINARY,
    COMPARE,
    SELECT,
    CONVERT,
    BROADCAST
  }

  private record Step(
      Kind kind, Object op, Slot[] in, Slot out, DType inType, Layout.Plan broadcast) {}

  private record Plan(
      long domain,
      List<Step> steps,
      int scratchSlots,
      List<DType> scratchTypes,
      Slot reduceInput,
      ReduceLoops.Op reduceOp,
      int reduceOutput) {}

  static List<Buffer> run(
      Map<Primitive, Kernel> kernels,
      List<Buffer> in,
      Params params,
      List<AbstractValue> outAvals) {
    Graph g = params.get(Fused.GRAPH, Graph.class);
    if (codegen) {
      Optional<FusedCodegen.Plan> gen =
          GENERATED.computeIfAbsent(g, k -> Optional.ofNullable(FusedCodegen.plan(k)));
      if (gen.isPresent()) {
        GENERATED_RUNS.incrementAndGet();
        return executeGenerated(gen.get(), in, outAvals);
      }
    }
    Optional<Plan> plan = PLANS.computeIfAbsent(g, k -> Optional.ofNullable(plan(k)));
    if (plan.isEmpty()) {
      INTERPRETED_RUNS.incrementAndGet();
      return interpret(kernels, g, in);
    }
    BLOCK_RUNS.incrementAndGet();
    return execute(plan.get(), in, outAvals);
  }

  /** The block plan of {@code g}, or null if some equation has no block form here. */
  private static Plan plan(Graph g) {
    if (!g.constVars().isEmpty()) {
      return null;
    }
    Map<Var, Slot> slots = new IdentityHashMap<>();
    for (int k = 0; k < g.inputs().size(); k++) {
      slots.put(g.inputs().get(k), new Slot(Where.INPUT, k, g.inputs().get(k).aval().dtype()));
    }
    Map<Var, Integer> outputIndex = new IdentityHashMap<>();
    for (int k = 0; k < g.outputs().size(); k++) {
      if (slots.containsKey(g.outputs().get(k)) || outputIndex.containsKey(g.outputs().get(k))) {
        return null; // pass-through or repeated outputs: not worth a block plan
      }
      outputIndex.put(g.outputs().get(k), k);
    }
    List<Equation> eqs = g.equations();
    if (eqs.isEmpty()) {
      return null;
    }
    Equation last = eqs.getLast();
    ReduceLoops.Op reduceOp = CpuKernels.REDUCE.get(last.primitive());
    int n = reduceOp != null ? eqs.size() - 1 : eqs.size();
    if (n == 0) {
      return null;
    }
    AbstractValue domainAval = eqs.get(0).outputs().get(0).aval();
    List<Step> steps = new ArrayList<>();
    List<DType> scratch = new ArrayList<>();
    for (int e = 0; e < n; e++) {
      Equation eq = eqs.get(e);
      if (eq.outputs().size() != 1) {
        return null;
      }
      Var outVar = eq.outputs().get(0);
      if (!outVar.aval().shape().equals(domainAval.shape())) {
        return null;
      }
      Slot[] ins = new Slot[eq.inputs().size()];
      for (int k = 0; k < ins.length; k++) {
        ins[k] = slots.get(eq.inputs().get(k));
        if (ins[k] == null) {
          return null;
        }
      }
      Primitive p = eq.primitive();
      DType inType = eq.inputs().get(0).aval().dtype();
      boolean vectorType = CpuBackend.isVectorType(inType);
      Kind kind;
      Object op = null;
      Layout.Plan bplan = null;
      if (CpuKernels.UNARY.containsKey(p) && vectorType) {
        kind = Kind.UNARY;
        op = CpuKernels.UNARY.get(p);
      } else if (CpuKernels.BINARY.containsKey(p) && vectorType) {
        kind = Kind.BINARY;
        op = CpuKernels.BINARY.get(p);
      } else if (CpuKernels.COMPARE.containsKey(p) && vectorType) {
        kind = Kind.COMPARE;
        op = CpuKernels.COMPARE.get(p);
      } else if (p == Elementwise.SELECT) {
        kind = Kind.SELECT;
        inType = eq.inputs().get(1).aval().dtype();
      } else if (p == Elementwise.CONVERT) {
        kind = Kind.CONVERT;
      } else if (p == Structural.BROADCAST_IN_DIM && ins[0].where() == Where.INPUT) {
        kind = Kind.BROADCAST;
        int[] dims = eq.params().ints("dims");
        int[] xd = eq.inputs().get(0).aval().shape().dims();
        int[] od = outVar.aval().shape().dims();
        long[] xs = Layout.strides(xd);
        long[] strides = new long[od.length];
        for (int k = 0; k < dims.length; k++) {
          strides[dims[k]] = xd[k] == 1 ? 0 : xs[k];
        }
        bplan = Layout.plan(od, strides);
      } else {
        return null;
      }
      if (kind != Kind.BROADCAST) {
        for (int k = 0; k < ins.length; k++) {
          if (!eq.inputs().get(k).aval().shape().equals(domainAval.shape())) {
            return null;
          }
        }
      }
      Slot out;
      Integer oi = outputIndex.get(outVar);
      if (oi != null) {
        out = new Slot(Where.OUTPUT, oi, outVar.aval().dtype());
      } else {
        out = new Slot(Where.SCRATCH, scratch.size(), outVar.aval().dtype());
        scratch.add(outVar.aval().dtype());
      }
      slots.put(outVar, out);
      steps.add(new Step(kind, op, ins, out, inType, bplan));
    }
    Slot reduceInput = null;
    int reduceOutput = -1;
    if (reduceOp != null) {
      Var rin = last.inputs().get(0);
      reduceInput = slots.get(rin);
      Integer oi = outputIndex.get(last.outputs().get(0));
      boolean total = last.outputs().get(0).aval().shape().size() == 1;
      if (reduceInput == null
          || oi == null
          || !total
          || !CpuBackend.isVectorType(rin.aval().dtype())
          || !rin.aval().shape().equals(domainAval.shape())) {
        return null;
      }
      reduceOutput = oi;
    }
    return new Plan(
        domainAval.shape().size(),
        List.copyOf(steps),
        scratch.size(),
        List.copyOf(scratch),
        reduceInput,
        reduceOp,
        reduceOutput);
  }

  /** A cluster call's freshly allocated outputs and the segments of its inputs and outputs. */
  private record Io(List<CpuBuffer> outs, MemorySegment[] inSegs, MemorySegment[] outSegs) {
    static Io of(List<Buffer> in, List<AbstractValue> outAvals) {
      List<CpuBuffer> outs = new ArrayList<>(outAvals.size());
      MemorySegment[] outSegs = new MemorySegment[outAvals.size()];
      for (int k = 0; k < outSegs.length; k++) {
        outs.add(CpuBuffer.allocate(outAvals.get(k)));
        outSegs[k] = outs.get(k).segment();
      }
      MemorySegment[] inSegs = new MemorySegment[in.size()];
      for (int k = 0; k < inSegs.length; k++) {
        inSegs[k] = CpuKernels.seg(in.get(k));
      }
      return new Io(outs, inSegs, outSegs);
    }
  }

  private static List<Buffer> execute(Plan plan, List<Buffer> in, List<AbstractValue> outAvals) {
    Io io = Io.of(in, outAvals);
    List<CpuBuffer> outs = io.outs();
    MemorySegment[] inSegs = io.inSegs();
    MemorySegment[] outSegs = io.outSegs();
    boolean f32Reduce = plan.reduceInput() != null && plan.reduceInput().dtype() == DType.F32;
    ConcurrentSkipListMap<Long, Double> partials = new ConcurrentSkipListMap<>();
    CpuThreads.parallelFor(
        plan.domain(),
        4L * BLOCK,
        BLOCK,
        (from, to) -> {
          // Scratch from the pool (shared sessions), not a confined arena: segments of confined
          // sessions reaching the JDK's shared session check made C2 speculate wrongly in the
          // generated loops (see BufferPool.Native.OUT).
          BufferPool.Block[] blocks = new BufferPool.Block[plan.scratchSlots()];
          try {
            MemorySegment[] scratch = new MemorySegment[plan.scratchSlots()];
            for (int k = 0; k < scratch.length; k++) {
              long bytes = (long) BLOCK * plan.scratchTypes().get(k).byteSize();
              blocks[k] = BufferPool.SHARED.take(bytes);
              scratch[k] = blocks[k].segment().asSlice(0, bytes);
            }
            double acc =
                plan.reduceOp() == null
                    ? 0
                    : f32Reduce
                        ? ReduceLoops.initF32(plan.reduceOp())
                        : ReduceLoops.initF64(plan.reduceOp());
            for (long b0 = from; b0 < to; b0 += BLOCK) {
              long len = Math.min(BLOCK, to - b0);
              for (Step s : plan.steps()) {
                runStep(s, inSegs, scratch, outSegs, b0, len);
              }
              if (plan.reduceOp() != null) {
                MemorySegment r = block(plan.reduceInput(), inSegs, scratch, outSegs, b0, len);
                acc =
                    f32Reduce
                        ? ReduceLoops.combineF32(
                            plan.reduceOp(),
                            (float) acc,
                            ReduceLoops.runF32(plan.reduceOp(), r, 0, len))
                        : ReduceLoops.combineF64(
                            plan.reduceOp(), acc, ReduceLoops.runF64(plan.reduceOp(), r, 0, len));
              }
            }
            if (plan.reduceOp() != null) {
              partials.put(from, acc);
            }
          } finally {
            for (BufferPool.Block b : blocks) {
              if (b != null) {
                BufferPool.SHARED.give(b);
              }
            }
          }
        });
    if (plan.reduceOp() != null) {
      MemorySegment y = outSegs[plan.reduceOutput()];
      if (f32Reduce) {
        float r = ReduceLoops.initF32(plan.reduceOp());
        for (double p : partials.values()) {
          r = ReduceLoops.combineF32(plan.reduceOp(), r, (float) p);
        }
        y.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, r);
      } else {
        double r = ReduceLoops.initF64(plan.reduceOp());
        for (double p : partials.values()) {
          r = ReduceLoops.combineF64(plan.reduceOp(), r, p);
        }
        y.setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 0, r);
      }
    }
    return List.copyOf(outs);
  }

  private static List<Buffer> executeGenerated(
      FusedCodegen.Plan plan, List<Buffer> in, List<AbstractValue> outAvals) {
    Io io = Io.of(in, outAvals);
    List<CpuBuffer> outs = io.outs();
    MemorySegment[] inSegs = io.inSegs();
    MemorySegment[] outSegs = io.outSegs();
    FusedCodegen.Loop loop = plan.loop();
    long n = plan.size();
    long cols = plan.cols();
    boolean f32 = plan.dtype() == DType.F32;
    switch (plan.reduce()) {
      case NONE ->
          CpuThreads.parallelFor(
              n, CpuKernels.GRAIN, 64, (from, to) -> loop.run(inSegs, outSegs, cols, from, to));
      case ROWS -> {
        MemorySegment y = outSegs[plan.reduceOutput()];
        long rows = outs.get(plan.reduceOutput()).size();
        if (n == 0) {
          for (long r = 0; r < rows; r++) {
            if (f32) {
              y.setAtIndex(ValueLayout.JAVA_FLOAT, r, ReduceLoops.initF32(plan.reduceOp()));
            } else {
              y.setAtIndex(ValueLayout.JAVA_DOUBLE, r, ReduceLoops.initF64(plan.reduceOp()));
            }
          }
        } else {
          // Whole rows per chunk: each row's accumulator lives in one call.
          CpuThreads.parallelFor(
              rows,
              Math.max(1, CpuKernels.GRAIN / cols),
              1,
              (from, to) -> loop.run(inSegs, outSegs, cols, from * cols, to * cols));
        }
      }
      case COLS -> {
        // Column accumulators: each fixed chunk of rows sums into its own buffer (so tasks never
        // share one), then the chunks are combined in order: the same result for any thread count.
        // (Partial buffers take 1/256 of the operand at most.)
        int k = plan.reduceOutput();
        MemorySegment y = outSegs[k];
        long rows = cols == 0 ? 0 : n / cols;
        // At most 256 rows per chunk: each column sums at most 256 terms in sequence before the
        // chunk results are combined (float32 error grows with the run length).
        long chunkRows = Math.max(1, Math.min(256, CHUNK / Math.max(cols, 1)));
        long chunks = rows == 0 ? 1 : (rows + chunkRows - 1) / chunkRows;
        fill(y, cols, f32, plan.reduceOp());
        if (rows == 0) {
          break;
        }
        if (chunks == 1) {
          loop.run(inSegs, outSegs, cols, 0, n);
          break;
        }
        // Partial buffers from the pool: closing a shared arena per call would stop every thread
        // (a handshake), and a confined one would upset C2's session-check profile.
        BufferPool.Block[] blocks = new BufferPool.Block[(int) chunks];
        try {
          MemorySegment[] partial = new MemorySegment[(int) chunks];
          long bytes = cols * plan.dtype().byteSize();
          for (int c = 0; c < chunks; c++) {
            blocks[c] = BufferPool.SHARED.take(bytes);
            partial[c] = blocks[c].segment().asSlice(0, bytes);
            fill(partial[c], cols, f32, plan.reduceOp());
          }
          CpuThreads.parallelFor(
              chunks,
              1,
              1,
              (a, b) -> {
                for (long ch = a; ch < b; ch++) {
                  MemorySegment[] o = outSegs.clone();
                  o[k] = partial[(int) ch];
                  loop.run(
                      inSegs,
                      o,
                      cols,
                      ch * chunkRows * cols,
                      Math.min(rows, (ch + 1) * chunkRows) * cols);
                }
              });
          for (MemorySegment p : partial) {
            for (long c = 0; c < cols; c++) {
              if (f32) {
                y.setAtIndex(
                    ValueLayout.JAVA_FLOAT,
                    c,
                    ReduceLoops.combineF32(
                        plan.reduceOp(),
                        y.getAtIndex(ValueLayout.JAVA_FLOAT, c),
                        p.getAtIndex(ValueLayout.JAVA_FLOAT, c)));
              } else {
                y.setAtIndex(
                    ValueLayout.JAVA_DOUBLE,
                    c,
                    ReduceLoops.combineF64(
                        plan.reduceOp(),
                        y.getAtIndex(ValueLayout.JAVA_DOUBLE, c),
                        p.getAtIndex(ValueLayout.JAVA_DOUBLE, c)));
              }
            }
          }
        } finally {
          for (BufferPool.Block b : blocks) {
            if (b != null) {
              BufferPool.SHARED.give(b);
            }
          }
        }
      }
      case TOTAL -> {
        long chunks = (n + CHUNK - 1) / CHUNK;
        double[] partial = new double[(int) chunks];
        CpuThreads.parallelFor(
            chunks,
            1,
            1,
            (a, b) -> {
              for (long ch = a; ch < b; ch++) {
                partial[(int) ch] =
                    loop.run(inSegs, outSegs, cols, ch * CHUNK, Math.min(n, (ch + 1) * CHUNK));
              }
            });
        MemorySegment y = outSegs[plan.reduceOutput()];
        if (f32) {
          float r = ReduceLoops.initF32(plan.reduceOp());
          for (double p : partial) {
            r = ReduceLoops.combineF32(plan.reduceOp(), r, (float) p);
          }
          y.setAtIndex(ValueLayout.JAVA_FLOAT, 0, r);
        } else {
          double r = ReduceLoops.initF64(plan.reduceOp());
          for (double p : partial) {
            r = ReduceLoops.combineF64(plan.reduceOp(), r, p);
          }
          y.setAtIndex(ValueLayout.JAVA_DOUBLE, 0, r);
        }
      }
    }
    return List.copyOf(outs);
  }

  /** Sets the first {@code count} elements of {@code y} to the reduction's identity. */
  private static void fill(MemorySegment y, long count, boolean f32, ReduceLoops.Op op) {
    for (long c = 0; c < count; c++) {
      if (f32) {
        y.setAtIndex(ValueLayout.JAVA_FLOAT, c, ReduceLoops.initF32(op));
      } else {
        y.setAtIndex(ValueLayout.JAVA_DOUBLE, c, ReduceLoops.initF64(op));
      }
    }
  }

  /** The {@code len} elements of {@code slot} at domain position {@code b0}, as a segment. */
  private static MemorySegment block(
      Slot slot,
      MemorySegment[] in,
      MemorySegment[] scratch,
      MemorySegment[] out,
      long b0,
      long len) {
    long es = slot.dtype().byteSize();
    return switch (slot.where()) {
      case INPUT -> in[slot.index()].asSlice(b0 * es, len * es);
      case SCRATCH -> scratch[slot.index()];
      case OUTPUT -> out[slot.index()].asSlice(b0 * es, len * es);
    };
  }

  private static void runStep(
      Step s, MemorySegment[] in, MemorySegment[] scratch, MemorySegment[] out, long b0, long len) {
    MemorySegment y = block(s.out(), in, scratch, out, b0, len);
    boolean f32 = s.inType() == DType.F32;
    switch (s.kind()) {
      case UNARY -> {
        MemorySegment x = block(s.in()[0], in, scratch, out, b0, len);
        if (f32) {
          ElementwiseLoops.unaryF32((ElementwiseLoops.Unary) s.op(), x, y, 0, len);
        } else {
          ElementwiseLoops.unaryF64((ElementwiseLoops.Unary) s.op(), x, y, 0, len);
        }
      }
      case BINARY -> {
        MemorySegment x = block(s.in()[0], in, scratch, out, b0, len);
        MemorySegment z = block(s.in()[1], in, scratch, out, b0, len);
        if (f32) {
          ElementwiseLoops.binaryF32((ElementwiseLoops.Binary) s.op(), x, z, y, 0, len);
        } else {
          ElementwiseLoops.binaryF64((ElementwiseLoops.Binary) s.op(), x, z, y, 0, len);
        }
      }
      case COMPARE -> {
        MemorySegment x = block(s.in()[0], in, scratch, out, b0, len);
        MemorySegment z = block(s.in()[1], in, scratch, out, b0, len);
        if (f32) {
          ElementwiseLoops.compareF32((ElementwiseLoops.Compare) s.op(), x, z, y, 0, len);
        } else {
          ElementwiseLoops.compareF64((ElementwiseLoops.Compare) s.op(), x, z, y, 0, len);
        }
      }
      case SELECT -> {
        MemorySegment p = block(s.in()[0], in, scratch, out, b0, len);
        MemorySegment a = block(s.in()[1], in, scratch, out, b0, len);
        MemorySegment b = block(s.in()[2], in, scratch, out, b0, len);
        switch (s.out().dtype().byteSize()) {
          case 4 -> Selects.select4(p, a, b, y, 0, len);
          case 8 -> Selects.select8(p, a, b, y, 0, len);
          default -> Selects.select1(p, a, b, y, 0, len);
        }
      }
      case CONVERT -> {
        MemorySegment x = block(s.in()[0], in, scratch, out, b0, len);
        Converts.range(x, s.inType(), y, s.out().dtype(), 0, len);
      }
      case BROADCAST ->
          Layout.copyRange(
              in[s.in()[0].index()], s.out().dtype().byteSize(), s.broadcast(), b0, len, y);
    }
  }

  /** Equation by equation with the backend's kernels (reference fallback where it has none). */
  private static List<Buffer> interpret(Map<Primitive, Kernel> kernels, Graph g, List<Buffer> in) {
    Map<Var, Buffer> env = new IdentityHashMap<>();
    for (int k = 0; k < in.size(); k++) {
      env.put(g.inputs().get(k), in.get(k));
    }
    List<Buffer> temporaries = new ArrayList<>();
    CpuBackend backend = new CpuBackend();
    for (Equation e : g.equations()) {
      List<Buffer> args = new ArrayList<>();
      List<AbstractValue> inAvals = new ArrayList<>();
      for (Var v : e.inputs()) {
        args.add(env.get(v));
        inAvals.add(v.aval());
      }
      List<AbstractValue> outAvals = new ArrayList<>();
      for (Var v : e.outputs()) {
        outAvals.add(v.aval());
      }
      Kernel k = kernels.get(e.primitive());
      if (k == null) {
        // A plugin's primitive inside a cluster: its KernelProvider kernel for cpu-simd, if any.
        k = Kernels.registered(CpuBackend.NAME, e.primitive()).map(r -> r.kernel()).orElse(null);
      }
      List<Buffer> res =
          k != null
              ? k.run(args, inAvals, e.params(), outAvals)
              : CpuKernels.reference(backend, e.primitive(), args, e.params(), outAvals);
      for (int j = 0; j < res.size(); j++) {
        env.put(e.outputs().get(j), res.get(j));
        temporaries.add(res.get(j));
      }
    }
    List<Buffer> result = new ArrayList<>();
    java.util.Set<Buffer> keep = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Var v : g.outputs()) {
      Buffer b = env.get(v);
      if (in.contains(b) || result.contains(b)) {
        // An output that is an input (or repeated) gets its own copy: each result is owned once.
        CpuBuffer c = CpuBuffer.allocate(v.aval());
        MemorySegment.copy(CpuKernels.seg(b), 0, c.segment(), 0, c.byteSize());
        b = c;
      }
      result.add(b);
      keep.add(b);
    }
    for (Buffer t : temporaries) {
      if (!keep.contains(t)) {
        t.release();
      }
    }
    return result;
  }
}
