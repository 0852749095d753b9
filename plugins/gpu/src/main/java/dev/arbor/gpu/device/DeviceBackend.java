package dev.arbor.gpu.device;

import dev.arbor.array.DType;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.Executable;
import dev.arbor.backend.HostArray;
import dev.arbor.backend.Kernel;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.Structural;
import dev.arbor.gpu.ir.ArgReduceKernel;
import dev.arbor.gpu.ir.CombineKernel;
import dev.arbor.gpu.ir.GatherKernel;
import dev.arbor.gpu.ir.GpuKernel;
import dev.arbor.gpu.ir.LineSizes;
import dev.arbor.gpu.ir.LoopKernel;
import dev.arbor.gpu.ir.Lowering;
import dev.arbor.gpu.ir.MatmulKernel;
import dev.arbor.gpu.ir.Op;
import dev.arbor.gpu.ir.PartialReduceKernel;
import dev.arbor.gpu.ir.ScanKernel;
import dev.arbor.gpu.ir.SortKernel;
import dev.arbor.gpu.ir.ThreefryKernel;
import dev.arbor.gpu.ir.UnsupportedKernelException;
import dev.arbor.transform.jit.Fused;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the {@code cuda} and {@code opencl} backends share: lazy device discovery (a backend whose
 * driver or device is missing reports why and stays unavailable), pooled device memory, host
 * transfers, and the kernels — eager kernels for elementwise primitives, {@code broadcast_in_dim},
 * {@code transpose}, reductions, {@code reshape}/{@code squeeze}/{@code expand_dims} (a buffer
 * copy), the layout primitives ({@code slice}, {@code pad}, {@code concatenate}, {@code iota},
 * {@code dynamic_slice}, {@code dynamic_update_slice}: loop kernels computing where each point
 * reads), {@code sort} (a bitonic network per line, {@link SortKernel}), {@code dot_general}
 * (operands whose axes do not flatten are first transposed into scratch: {@code DotLaunch}) and
 * {@code conv_general} (an im2col loop kernel into scratch, then the matmul: {@code ConvLaunch}),
 * and one generated kernel per fusion cluster ({@code fused}). Each kernel is lowered to the GPU
 * IR, emitted in the device's language by {@link #emit}, compiled once per distinct source and
 * cached. Where the device has a vendor BLAS ({@link Device#blas()}, cuBLAS) that supports a
 * matmul's strides, {@code dot_general} runs there instead of on the tiled matmul kernel.
 *
 * <p>Long and full reductions run as tree reductions ({@link PartialReduceKernel#groupsFor}): a
 * first pass of per-group partials, then a combine pass where there is more than one group per
 * output.
 *
 * <p>Where the IR or the emitter cannot express a primitive application (an integer matmul, an
 * integer {@code div}), the kernel runs the primitive's reference kernel on host copies and warns
 * once: slower, never wrong.
 *
 * <p>Thread-safe: every driver call happens under one lock per backend.
 */
public abstract class DeviceBackend implements Backend {
  private static final System.Logger LOG = System.getLogger("dev.arbor.backend");
  private static final int PREPARED_LIMIT = 4096;
  private static final int PROGRAM_LIMIT = 512;

  private final String name;
  private final Object lock = new Object();
  private final Set<String> warned = ConcurrentHashMap.newKeySet();
  private volatile Opened opened;
  private final Map<Key, Prepared> prepared = new ConcurrentHashMap<>();
  private final LinkedHashMap<String, Device.Compiled> programs =
      new LinkedHashMap<>(16, 0.75f, true);

  private record Opened(Device device, DevicePool pool, String reason) {}

  private record Key(Primitive p, Params params, List<AbstractValue> inputs) {}

  /** How one primitive application runs: a generated kernel, or the reference kernel on host. */
  private sealed interface Prepared {}

  private record LoopLaunch(LoopKernel kernel, String source) implements Prepared {}

  /** A tree reduction: pass 1, and pass 2 (null when pass 1 has one group per kept point). */
  private record TreeLaunch(
      PartialReduceKernel partial,
      String partialSource,
      CombineKernel combine,
      String combineSource)
      implements Prepared {}

  /** cumsum: one work item per line (see {@link ScanKernel}). */
  private record ScanLaunch(ScanKernel kernel, String source, LineSizes sizes)
      implements Prepared {}

  /**
   * sort (see {@link SortKernel}): the kernels of its phases with their sources (one, LINE, or
   * BLOCKS, STEP, MERGE, GATHER for long lines), and the launches.
   */
  private record SortLaunch(
      Map<SortKernel.Phase, SortKernel> kernels,
      Map<SortKernel.Phase, String> sources,
      SortKernel.Sizes sizes,
      List<SortKernel.Launch> launches)
      implements Prepared {}

  /** threefry2x32: one work item per element (see {@link ThreefryKernel}). */
  private record ThreefryLaunch(ThreefryKernel kernel, String source) implements Prepared {}

  /** gather / scatter_add (see {@link GatherKernel}). */
  private record GatherLaunch(GatherKernel kernel, String source, GatherKernel.Sizes sizes)
      implements Prepared {}

  private record MatmulLaunch(MatmulKernel kernel, String source, Lowering.MatmulShape shape)
      implements Prepared {}

  private record BlasLaunch(DType type, Lowering.MatmulShape shape) implements Prepared {}

  /**
   * conv_general: the im2col loop kernel writing the patch matrix {@code patches} to scratch (null
   * where the input is the patch matrix already, {@link Lowering#im2colIsIdentity}), then {@code
   * gemm} (a {@link MatmulLaunch} or {@link BlasLaunch}) of patches and kernel into the output.
   */
  private record ConvLaunch(
      LoopLaunch im2col, AbstractValue patches, Prepared gemm, Lowering.MatmulShape shape)
      implements Prepared {}

  /**
   * dot_general whose operands are first transposed to flattening layouts ({@code xt}/{@code yt},
   * null where an operand is used as it is, into scratch of {@code xa}/{@code ya}), or whose
   * contraction is empty (zeros); then {@code gemm}.
   */
  private record DotLaunch(
      LoopLaunch xt,
      AbstractValue xa,
      LoopLaunch yt,
      AbstractValue ya,
      Prepared gemm,
      Lowering.MatmulShape shape)
      implements Prepared {}

  private record Copy() implements Prepared {}

  /** argmax/argmin: one work item per output (see {@link ArgReduceKernel}). */
  private record ArgLaunch(ArgReduceKernel kernel, String source, LineSizes shape)
      implements Prepared {}

  private record OnHost(String reason) implements Prepared {}

  protected DeviceBackend(String name) {
    this.name = name;
  }

  /** Opens the driver and device; throws with a message saying what is missing. */
  protected abstract Device open();

  /** The source of {@code k} in the device's language. */
  protected abstract String emit(GpuKernel k);

  /** Rank when the device is a GPU or other accelerator. */
  protected abstract int acceleratorRank();

  /** Rank when the device is a CPU (an OpenCL CPU driver such as PoCL): below {@code cpu-simd}. */
  protected int cpuDeviceRank() {
    return 5;
  }

  /** Local work-group size of loop kernels. */
  protected abstract int loopGroupSize();

  @Override
  public final String name() {
    return name;
  }

  private Opened opened() {
    Opened o = opened;
    if (o == null) {
      synchronized (lock) {
        o = opened;
        if (o == null) {
          try {
            Device d = open();
            long limit = Long.getLong("arbor.gpu.poolBytes", 256L << 20);
            o = new Opened(d, new DevicePool(d, limit), "");
          } catch (RuntimeException | LinkageError e) {
            o = new Opened(null, null, e.getMessage() == null ? e.toString() : e.getMessage());
          }
          opened = o;
        }
      }
    }
    return o;
  }

  @Override
  public final boolean isAvailable() {
    return opened().device() != null;
  }

  @Override
  public final String unavailableReason() {
    return opened().reason();
  }

  @Override
  public final int rank() {
    Opened o = opened();
    return o.device() != null && !o.device().isAccelerator() ? cpuDeviceRank() : acceleratorRank();
  }

  /** The device, in words, or why there is none. */
  public final String describeDevice() {
    Opened o = opened();
    return o.device() != null ? o.device().description() : "unavailable: " + o.reason();
  }

  private Device device() {
    Opened o = opened();
    if (o.device() == null) {
      throw new IllegalStateException("backend '" + name + "' is not available: " + o.reason());
    }
    return o.device();
  }

  private DevicePool pool() {
    device();
    return opened.pool();
  }

  // ------------------------------------------------------------------ memory

  /** Device buffers handed to tensors and not yet released (leak tests). */
  public final long liveBuffers() {
    synchronized (lock) {
      return pool().liveAllocations();
    }
  }

  /** Allocations held on the device, cached ones included. */
  public final long deviceAllocations() {
    synchronized (lock) {
      return pool().deviceAllocations();
    }
  }

  /** Frees the pool's cached allocations on the device. */
  public final void trimPool() {
    synchronized (lock) {
      pool().trim();
    }
  }

  /** Waits for every kernel and copy queued on the device (see {@link Device#launch}). */
  final void synchronize() {
    synchronized (lock) {
      Opened o = opened;
      if (o != null && o.device() != null) {
        o.device().synchronize();
      }
    }
  }

  final void giveBack(Device.Handle h, long bytes) {
    synchronized (lock) {
      opened.pool().give(h, bytes);
    }
  }

  private static long bytes(AbstractValue a) {
    return a.shape().size() * a.dtype().byteSize();
  }

  private DeviceBuffer allocate(AbstractValue aval) {
    long b = bytes(aval);
    synchronized (lock) {
      return new DeviceBuffer(this, pool().take(b), aval, b);
    }
  }

  @Override
  public final Buffer upload(HostArray data) {
    AbstractValue aval = data.aval();
    DeviceBuffer buf = allocate(aval);
    long b = bytes(aval);
    if (b == 0) {
      return buf;
    }
    try (Staging st = staging(b)) {
      MemorySegment seg = st.segment();
      int n = data.size();
      switch (aval.dtype()) {
        case F32 -> {
          double[] d = data.doubles();
          for (int i = 0; i < n; i++) {
            seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) d[i]);
          }
        }
        case F64 -> MemorySegment.copy(data.doubles(), 0, seg, ValueLayout.JAVA_DOUBLE, 0, n);
        case I32 -> {
          long[] l = data.longs();
          for (int i = 0; i < n; i++) {
            seg.setAtIndex(ValueLayout.JAVA_INT, i, (int) l[i]);
          }
        }
        case I64 -> MemorySegment.copy(data.longs(), 0, seg, ValueLayout.JAVA_LONG, 0, n);
        case BOOL -> {
          long[] l = data.longs();
          for (int i = 0; i < n; i++) {
            seg.set(ValueLayout.JAVA_BYTE, i, (byte) l[i]);
          }
        }
      }
      synchronized (lock) {
        device().write(buf.handle(), seg, b);
      }
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
    return buf;
  }

  /** Host staging buffers up to this size are reused (one per thread); larger ones are not kept. */
  private static final long STAGING_KEEP = 64L << 20;

  private static final ThreadLocal<MemorySegment> STAGING = new ThreadLocal<>();

  /**
   * A host staging buffer of at least {@code bytes} for one transfer. Never from a confined arena:
   * segments of confined sessions make C2 learn an owner-thread check that the CPU backend's
   * compiled loops then fail on every call (see {@code docs/design/cpu-backend.md}, Buffers).
   * Buffers up to {@link #STAGING_KEEP} are kept per thread (an auto arena, freed with the thread);
   * larger ones come from a shared arena closed after the transfer.
   */
  private static Staging staging(long bytes) {
    if (bytes > STAGING_KEEP) {
      Arena arena = Arena.ofShared();
      return new Staging(arena.allocate(bytes, 8), arena);
    }
    MemorySegment seg = STAGING.get();
    if (seg == null || seg.byteSize() < bytes) {
      seg = Arena.ofAuto().allocate(Math.max(bytes, 4096), 8);
      STAGING.set(seg);
    }
    return new Staging(seg.asSlice(0, bytes), null);
  }

  /** A staging segment and the arena to close after use (null when the segment is kept). */
  private record Staging(MemorySegment segment, Arena arena) implements AutoCloseable {
    @Override
    public void close() {
      if (arena != null) {
        arena.close();
      }
    }
  }

  @Override
  public final HostArray download(Buffer buffer) {
    if (!(buffer instanceof DeviceBuffer db) || db.owner() != this) {
      throw new IllegalArgumentException(
          "backend '" + name + "' cannot read a buffer of another backend: " + buffer);
    }
    AbstractValue aval = db.aval();
    long b = bytes(aval);
    int n = (int) aval.shape().size();
    try (Staging st = staging(Math.max(b, 1))) {
      MemorySegment seg = st.segment();
      if (b > 0) {
        synchronized (lock) {
          device().read(db.handle(), seg, b);
        }
      }
      return switch (aval.dtype()) {
        case F32 -> {
          double[] d = new double[n];
          for (int i = 0; i < n; i++) {
            d[i] = seg.getAtIndex(ValueLayout.JAVA_FLOAT, i);
          }
          yield HostArray.ofDoubles(aval, d);
        }
        case F64 -> HostArray.ofDoubles(aval, seg.asSlice(0, b).toArray(ValueLayout.JAVA_DOUBLE));
        case I32 -> {
          long[] l = new long[n];
          for (int i = 0; i < n; i++) {
            l[i] = seg.getAtIndex(ValueLayout.JAVA_INT, i);
          }
          yield HostArray.ofLongs(aval, l);
        }
        case I64 -> HostArray.ofLongs(aval, seg.asSlice(0, b).toArray(ValueLayout.JAVA_LONG));
        case BOOL -> {
          long[] l = new long[n];
          for (int i = 0; i < n; i++) {
            l[i] = seg.get(ValueLayout.JAVA_BYTE, i);
          }
          yield HostArray.ofLongs(aval, l);
        }
      };
    }
  }

  // ------------------------------------------------------------------ kernels

  @Override
  public final Optional<Kernel> kernel(Primitive p) {
    boolean ours =
        p == Fused.FUSED
            || Lowering.isLoopPrimitive(p)
            || p.name().equals("dot_general")
            || p.name().equals("conv_general")
            || isCopy(p)
            || isArgReduction(p)
            || isGather(p)
            || p.name().equals("cumsum")
            || p.name().equals("sort")
            || p.name().equals("threefry2x32");
    if (!ours || !isAvailable()) {
      return Optional.empty();
    }
    return Optional.of((in, inAvals, params, outAvals) -> run(p, in, inAvals, params, outAvals));
  }

  private static boolean isGather(Primitive p) {
    return p.name().equals("gather") || p.name().equals("scatter_add");
  }

  private static boolean isArgReduction(Primitive p) {
    return p.name().equals("argmax") || p.name().equals("argmin");
  }

  /**
   * Compiles a jitted graph: the kernel of every equation (one per fusion cluster) is generated and
   * compiled now, so the first call pays nothing more and unsupported ones are known; the graph
   * then runs equation by equation on these kernels.
   */
  @Override
  public final Executable compile(Graph graph) {
    for (Equation e : graph.equations()) {
      Primitive p = e.primitive();
      if (kernel(p).isEmpty()) {
        continue;
      }
      List<AbstractValue> in = new ArrayList<>();
      for (var v : e.inputs()) {
        in.add(v.aval());
      }
      Prepared pr = prepare(p, e.params(), in);
      synchronized (lock) {
        switch (pr) {
          case LoopLaunch l -> program(l.source(), l.kernel().name());
          case MatmulLaunch m -> program(m.source(), m.kernel().name());
          case DotLaunch d -> buildPrograms(d.gemm(), d.xt(), d.yt());
          case ConvLaunch c -> buildPrograms(c.gemm(), c.im2col());
          case ArgLaunch a -> program(a.source(), a.kernel().name());
          case GatherLaunch g -> program(g.source(), g.kernel().name());
          case ScanLaunch c -> program(c.source(), c.kernel().name());
          case SortLaunch o -> {
            for (var k : o.kernels().entrySet()) {
              program(o.sources().get(k.getKey()), k.getValue().name());
            }
          }
          case ThreefryLaunch t -> program(t.source(), t.kernel().name());
          case TreeLaunch t -> {
            program(t.partialSource(), t.partial().name());
            if (t.combine() != null) {
              program(t.combineSource(), t.combine().name());
            }
          }
          default -> {}
        }
      }
    }
    return Executable.interpreting(graph);
  }

  /** What {@code p} with these parameters and input types will run as: for tests and tools. */
  public final String plan(Primitive p, Params params, List<AbstractValue> in) {
    return switch (prepare(p, params, in)) {
      case LoopLaunch l -> "loop kernel " + l.kernel().name();
      case TreeLaunch t ->
          "tree reduction "
              + t.partial().name()
              + " ("
              + t.partial().groups()
              + (t.partial().groups() == 1 ? " work group" : " work groups")
              + " per output"
              + (t.combine() == null ? ")" : ", then " + t.combine().name() + ")");
      case MatmulLaunch m -> "matmul kernel " + m.kernel().name() + " " + m.shape();
      case BlasLaunch b -> device().blas().description() + " gemm " + b.shape();
      case DotLaunch d ->
          (d.shape().k() == 0
                  ? "dot_general with an empty contraction: zeros"
                  : "dot_general: "
                      + (d.xt() == null ? "" : "lhs transposed by " + d.xt().kernel().name() + ", ")
                      + (d.yt() == null ? "" : "rhs transposed by " + d.yt().kernel().name() + ", ")
                      + "then ")
              + (d.shape().k() == 0
                  ? ""
                  : d.gemm() instanceof MatmulLaunch m
                      ? "matmul kernel " + m.kernel().name() + " " + m.shape()
                      : device().blas().description() + " gemm " + d.shape());
      case ConvLaunch c ->
          (c.im2col() == null
                  ? "conv as one matmul (1x1 kernel, stride 1, no padding): "
                  : "conv: im2col loop kernel "
                      + c.im2col().kernel().name()
                      + " to scratch "
                      + c.patches()
                      + ", then ")
              + (c.gemm() instanceof MatmulLaunch m
                  ? "matmul kernel " + m.kernel().name() + " " + m.shape()
                  : device().blas().description() + " gemm " + c.shape());
      case ArgLaunch a -> "index reduction " + a.kernel().name() + " " + a.shape();
      case GatherLaunch g -> "index kernel " + g.kernel().name() + " " + g.sizes();
      case ScanLaunch c -> "scan kernel " + c.kernel().name() + " " + c.sizes();
      case SortLaunch o ->
          o.sizes().multiPass()
              ? "sort kernels "
                  + String.join(", ", o.kernels().values().stream().map(SortKernel::name).toList())
                  + " ("
                  + o.launches().size()
                  + " launches) "
                  + o.sizes()
              : "sort kernel " + o.kernels().get(SortKernel.Phase.LINE).name() + " " + o.sizes();
      case ThreefryLaunch t -> "threefry kernel " + t.kernel().name();
      case Copy c -> "device copy";
      case OnHost h -> "reference kernel on host: " + h.reason();
    };
  }

  private Prepared prepare(Primitive p, Params params, List<AbstractValue> in) {
    Key key = new Key(p, params, List.copyOf(in));
    Prepared pr = prepared.get(key);
    if (pr == null) {
      if (prepared.size() >= PREPARED_LIMIT) {
        prepared.clear(); // bounded: a rebuild costs a lowering, programs stay cached by source
      }
      pr = prepareUncached(p, params, in);
      prepared.put(key, pr);
    }
    return pr;
  }

  private Prepared prepareUncached(Primitive p, Params params, List<AbstractValue> in) {
    try {
      if (isCopy(p)) {
        return new Copy();
      }
      if (p.name().equals("dot_general")) {
        DType t = in.get(0).dtype();
        if (t != in.get(1).dtype()) {
          throw new UnsupportedKernelException("mixed operand types " + in);
        }
        requireType(t);
        return prepareDot(t, params, in.get(0), in.get(1));
      }
      if (p.name().equals("conv_general")) {
        return prepareConv(p, params, in);
      }
      if (isArgReduction(p)) {
        requireType(in.get(0).dtype());
        ArgReduceKernel k = ArgReduceKernel.of(p.name(), params, in.get(0));
        return new ArgLaunch(k, emit(k), ArgReduceKernel.shape(in.get(0), params.intValue("axis")));
      }
      if (p.name().equals("threefry2x32")) {
        if (in.get(0).shape().size() > Integer.MAX_VALUE) {
          throw new UnsupportedKernelException("threefry2x32 over more than 2^31-1 elements");
        }
        ThreefryKernel k = new ThreefryKernel("arbor_threefry2x32");
        return new ThreefryLaunch(k, emit(k));
      }
      if (p.name().equals("cumsum")) {
        AbstractValue x = in.get(0);
        requireType(x.dtype());
        if (x.dtype().isFloating()) {
          requireType(DType.F64); // the reference accumulates floats in double
        }
        ScanKernel k = ScanKernel.of(x, params.get("reverse", Boolean.class));
        return new ScanLaunch(k, emit(k), ScanKernel.sizes(x, params.intValue("axis")));
      }
      if (p.name().equals("sort")) {
        // raw-bit moves and integer compares only: F64 operands need no F64 support
        SortKernel k = SortKernel.of(in);
        SortKernel.Sizes sizes = SortKernel.sizes(in.get(0), params.intValue("axis"));
        Map<SortKernel.Phase, SortKernel> kernels = new java.util.EnumMap<>(SortKernel.Phase.class);
        Map<SortKernel.Phase, String> sources = new java.util.EnumMap<>(SortKernel.Phase.class);
        for (SortKernel.Phase phase :
            sizes.multiPass()
                ? List.of(
                    SortKernel.Phase.BLOCKS,
                    SortKernel.Phase.STEP,
                    SortKernel.Phase.MERGE,
                    SortKernel.Phase.GATHER)
                : List.of(SortKernel.Phase.LINE)) {
          SortKernel pk =
              phase == SortKernel.Phase.LINE
                  ? k.line(SortKernel.lineCapacity(sizes))
                  : k.phase(phase);
          kernels.put(phase, pk);
          sources.put(phase, emit(pk));
        }
        return new SortLaunch(kernels, sources, sizes, SortKernel.launches(sizes));
      }
      if (isGather(p)) {
        requireType(in.get(0).dtype());
        GatherKernel k = GatherKernel.of(p.name(), in.get(0), in.get(1));
        return new GatherLaunch(k, emit(k), k.sizes(in.get(0), in.get(1), params));
      }
      List<AbstractValue> out = p.abstractEval(in, params);
      LoopKernel k;
      if (p == Fused.FUSED) {
        Graph g = params.get(Fused.GRAPH, Graph.class);
        k = Lowering.loop(KernelNames.of(g), g);
      } else {
        k = Lowering.loop(KernelNames.of(p, out), p, params, in, out);
      }
      for (DType t : k.inputs()) {
        requireType(t);
      }
      for (Op op : k.body()) {
        requireType(op.type());
        if (op instanceof Op.Unary u && u.fn() == Op.UnaryFn.ERF_INV) {
          requireType(DType.F64); // computed in F64 for F32 too, as the reference does
        }
      }
      int groups = PartialReduceKernel.groupsFor(k);
      if (groups > 0) {
        PartialReduceKernel pass1 = new PartialReduceKernel(k, groups);
        if (groups == 1) {
          return new TreeLaunch(pass1, emit(pass1), null, null);
        }
        CombineKernel pass2 = CombineKernel.of(pass1);
        return new TreeLaunch(pass1, emit(pass1), pass2, emit(pass2));
      }
      return new LoopLaunch(k, emit(k));
    } catch (UnsupportedKernelException e) {
      return new OnHost(e.getMessage());
    }
  }

  /**
   * dot_general as one matmul: directly when each axis group flattens to one stride; otherwise the
   * operands are first transposed on the device (loop kernels into scratch) to [batch, free,
   * contracting] and [batch, contracting, free], which always flatten. The output's axis order
   * ([batch, lhs free, rhs free]) does not depend on the operands' layouts. An empty contraction
   * gives zeros.
   */
  private Prepared prepareDot(DType t, Params params, AbstractValue x, AbstractValue y) {
    LoopLaunch xt = null;
    LoopLaunch yt = null;
    AbstractValue xa = x;
    AbstractValue ya = y;
    Lowering.MatmulShape shape;
    try {
      shape = Lowering.matmul(params, x, y);
    } catch (UnsupportedKernelException notFlat) {
      int[] lb = params.ints("lhs_batch");
      int[] lc = params.ints("lhs_contract");
      int[] rb = params.ints("rhs_batch");
      int[] rc = params.ints("rhs_contract");
      int[] lf = LinearAlgebra.free(x.shape().rank(), lb, lc);
      int[] rf = LinearAlgebra.free(y.shape().rank(), rb, rc);
      int[] px = concat(lb, lf, lc);
      int[] py = concat(rb, rc, rf);
      xa = permuted(x, px);
      ya = permuted(y, py);
      xt = transposeLaunch(x, xa, px);
      yt = transposeLaunch(y, ya, py);
      int nb = lb.length;
      Params canonical =
          Params.of(
              "lhs_batch",
              range(0, nb),
              "lhs_contract",
              range(nb + lf.length, x.shape().rank()),
              "rhs_batch",
              range(0, nb),
              "rhs_contract",
              range(nb, nb + rc.length));
      shape = Lowering.matmul(canonical, xa, ya);
    }
    Prepared gemm = gemm(t, shape);
    if (xt == null && yt == null && shape.k() != 0) {
      return gemm;
    }
    return new DotLaunch(xt, xa, yt, ya, gemm, shape);
  }

  private LoopLaunch transposeLaunch(AbstractValue from, AbstractValue to, int[] perm) {
    if (Arrays.equals(perm, range(0, perm.length))) {
      return null;
    }
    LoopKernel k =
        Lowering.loop(
            KernelNames.of(Structural.TRANSPOSE, List.of(to)),
            Structural.TRANSPOSE,
            Params.of("perm", perm),
            List.of(from),
            List.of(to));
    return new LoopLaunch(k, emit(k));
  }

  private static AbstractValue permuted(AbstractValue a, int[] perm) {
    int[] d = a.shape().dims();
    int[] out = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = d[perm[i]];
    }
    return new AbstractValue(dev.arbor.array.Shape.of(out), a.dtype());
  }

  private static int[] concat(int[]... parts) {
    int[] r = new int[Arrays.stream(parts).mapToInt(q -> q.length).sum()];
    int j = 0;
    for (int[] q : parts) {
      System.arraycopy(q, 0, r, j, q.length);
      j += q.length;
    }
    return r;
  }

  private static int[] range(int from, int to) {
    int[] r = new int[to - from];
    for (int i = 0; i < r.length; i++) {
      r[i] = from + i;
    }
    return r;
  }

  /** conv_general as im2col + matmul (see {@link ConvLaunch}). */
  private Prepared prepareConv(Primitive p, Params params, List<AbstractValue> in) {
    AbstractValue x = in.get(0);
    AbstractValue kernel = in.get(1);
    DType t = x.dtype();
    if (t != kernel.dtype() || !t.isFloating()) {
      throw new UnsupportedKernelException("conv_general of " + in);
    }
    requireType(t);
    AbstractValue out = p.abstractEval(in, params).get(0);
    if (out.shape().size() > Integer.MAX_VALUE) {
      throw new UnsupportedKernelException("conv_general output " + out + " over 2^31 elements");
    }
    Lowering.MatmulShape shape = Lowering.convMatmul(kernel, out);
    AbstractValue patches = new AbstractValue(dev.arbor.array.Shape.of(shape.m(), shape.k()), t);
    LoopLaunch im2col = null;
    if (!Lowering.im2colIsIdentity(params, kernel)) {
      LoopKernel k = Lowering.im2col("arbor_im2col_" + t.shortName(), params, x, kernel, out);
      im2col = new LoopLaunch(k, emit(k));
    }
    Prepared gemm = gemm(t, shape);
    return new ConvLaunch(im2col, patches, gemm, shape);
  }

  /** Primitives that keep the row-major data and change only the shape: a buffer copy. */
  private static boolean isCopy(Primitive p) {
    String n = p.name();
    return n.equals("reshape") || n.equals("squeeze") || n.equals("expand_dims");
  }

  private void requireType(DType t) {
    if (t == DType.F64 && !device().supportsF64()) {
      throw new UnsupportedKernelException("the device has no F64 support");
    }
  }

  /** The vendor BLAS where it takes {@code shape}, else the tiled matmul kernel. */
  private Prepared gemm(DType t, Lowering.MatmulShape shape) {
    Blas blas = device().blas();
    if (blas != null && blas.supports(t, shape)) {
      return new BlasLaunch(t, shape);
    }
    MatmulKernel k = new MatmulKernel("arbor_matmul_" + t.shortName(), t);
    return new MatmulLaunch(k, emit(k), shape);
  }

  /** Builds the programs of a composed matmul: its loop kernels (where given) and its matmul. */
  private void buildPrograms(Prepared gemm, LoopLaunch... loops) {
    for (LoopLaunch l : loops) {
      if (l != null) {
        program(l.source(), l.kernel().name());
      }
    }
    if (gemm instanceof MatmulLaunch m) {
      program(m.source(), m.kernel().name());
    }
  }

  private Device.Compiled program(String source, String entry) {
    Device.Compiled c = programs.get(source);
    if (c == null) {
      c = device().compile(source, entry);
      programs.put(source, c);
      if (programs.size() > PROGRAM_LIMIT) {
        var eldest = programs.entrySet().iterator().next();
        device().release(eldest.getValue());
        programs.remove(eldest.getKey());
      }
    }
    return c;
  }

  private List<Buffer> run(
      Primitive p,
      List<Buffer> in,
      List<AbstractValue> inAvals,
      Params params,
      List<AbstractValue> outAvals) {
    Prepared pr = prepare(p, params, inAvals);
    return switch (pr) {
      case LoopLaunch l -> launchLoop(l, in, outAvals);
      case TreeLaunch t -> launchTree(t, in, outAvals);
      case MatmulLaunch m -> launchMatmul(m, in, outAvals.get(0));
      case ArgLaunch a -> launchArg(a, in, outAvals.get(0));
      case GatherLaunch g -> launchGather(g, in, outAvals.get(0));
      case ScanLaunch c -> launchScan(c, in, outAvals.get(0));
      case SortLaunch o -> launchSort(o, in, outAvals);
      case ThreefryLaunch t -> launchThreefry(t, in, outAvals);
      case BlasLaunch b -> launchBlas(b, in, outAvals.get(0));
      case DotLaunch d -> launchDot(d, in, outAvals.get(0));
      case ConvLaunch c -> launchConv(c, in, outAvals.get(0));
      case Copy c -> {
        DeviceBuffer out = allocate(outAvals.get(0));
        long b = bytes(outAvals.get(0));
        if (b > 0) {
          synchronized (lock) {
            device().copy(((DeviceBuffer) in.get(0)).handle(), out.handle(), b);
          }
        }
        yield List.of(out);
      }
      case OnHost h -> onHost(p, h.reason(), in, params, outAvals);
    };
  }

  private List<Buffer> launchLoop(LoopLaunch l, List<Buffer> in, List<AbstractValue> outAvals) {
    List<Buffer> outs = new ArrayList<>(outAvals.size());
    try {
      for (AbstractValue a : outAvals) {
        outs.add(allocate(a));
      }
      LoopKernel k = l.kernel();
      int n = k.workItems();
      if (n == 0) {
        return outs;
      }
      List<Device.Arg> args = new ArrayList<>();
      for (Buffer b : in) {
        args.add(new Device.Pointer(((DeviceBuffer) b).handle()));
      }
      for (Buffer b : outs) {
        args.add(new Device.Pointer(((DeviceBuffer) b).handle()));
      }
      args.add(new Device.Int(n));
      long group = loopGroupSize();
      long items = k.launchItems();
      long global = (items + group - 1) / group * group;
      synchronized (lock) {
        device()
            .launch(
                program(l.source(), k.name()),
                new long[] {global, 1, 1},
                new long[] {group, 1, 1},
                args);
      }
      return outs;
    } catch (RuntimeException e) {
      outs.forEach(Buffer::release);
      throw e;
    }
  }

  private List<Buffer> launchTree(TreeLaunch t, List<Buffer> in, List<AbstractValue> outAvals) {
    List<Buffer> outs = new ArrayList<>(outAvals.size());
    DeviceBuffer partials = null;
    try {
      for (AbstractValue a : outAvals) {
        outs.add(allocate(a));
      }
      PartialReduceKernel k = t.partial();
      int kept = k.loop().workItems();
      if (kept == 0) {
        return outs;
      }
      DeviceBuffer result = (DeviceBuffer) outs.get(outs.size() - 1);
      if (t.combine() != null) {
        DType type = k.loop().reduction().type();
        partials = allocate(new AbstractValue(dev.arbor.array.Shape.of(k.workGroups()), type));
      }
      List<Device.Arg> args = new ArrayList<>();
      for (Buffer b : in) {
        args.add(new Device.Pointer(((DeviceBuffer) b).handle()));
      }
      for (int o = 0; o < outs.size() - 1; o++) {
        args.add(new Device.Pointer(((DeviceBuffer) outs.get(o)).handle()));
      }
      args.add(new Device.Pointer((partials != null ? partials : result).handle()));
      args.add(new Device.Int(k.workGroups()));
      long group = PartialReduceKernel.GROUP;
      synchronized (lock) {
        device()
            .launch(
                program(t.partialSource(), k.name()),
                new long[] {k.workGroups() * group, 1, 1},
                new long[] {group, 1, 1},
                args);
        if (partials != null) {
          device()
              .launch(
                  program(t.combineSource(), t.combine().name()),
                  new long[] {kept * group, 1, 1},
                  new long[] {group, 1, 1},
                  List.of(
                      new Device.Pointer(partials.handle()),
                      new Device.Pointer(result.handle()),
                      new Device.Int(k.groups())));
        }
      }
      return outs;
    } catch (RuntimeException e) {
      outs.forEach(Buffer::release);
      throw e;
    } finally {
      if (partials != null) {
        partials.release();
      }
    }
  }

  private List<Buffer> launchArg(ArgLaunch a, List<Buffer> in, AbstractValue outAval) {
    return launchLines(a.source(), a.kernel().name(), in, outAval, a.shape());
  }

  private List<Buffer> launchThreefry(
      ThreefryLaunch t, List<Buffer> in, List<AbstractValue> outAvals) {
    long size = outAvals.get(0).shape().size();
    return launchItems(t.source(), t.kernel().name(), in, outAvals, size, (int) size);
  }

  private List<Buffer> launchScan(ScanLaunch c, List<Buffer> in, AbstractValue outAval) {
    return launchLines(c.source(), c.kernel().name(), in, outAval, c.sizes());
  }

  /**
   * A kernel with one work item per line of the first operand (arguments: lines, length, inner).
   */
  private List<Buffer> launchLines(
      String source, String kernel, List<Buffer> in, AbstractValue outAval, LineSizes s) {
    return launchItems(
        source,
        kernel,
        in.subList(0, 1),
        List.of(outAval),
        s.lines(),
        s.lines(),
        s.length(),
        s.inner());
  }

  private List<Buffer> launchGather(GatherLaunch g, List<Buffer> in, AbstractValue outAval) {
    GatherKernel.Sizes s = g.sizes();
    return launchItems(
        g.source(), g.kernel().name(), in, List.of(outAval), s.items(), s.arguments());
  }

  /**
   * Allocates {@code outAvals} and launches a one-dimensional kernel of {@code items} work items
   * (rounded up to whole groups) with pointers to {@code in}, then to the outputs, then {@code
   * ints} as arguments; nothing is launched for no items. The outputs are released if it fails.
   */
  private List<Buffer> launchItems(
      String source,
      String kernel,
      List<Buffer> in,
      List<AbstractValue> outAvals,
      long items,
      int... ints) {
    List<Buffer> outs = new ArrayList<>(outAvals.size());
    try {
      for (AbstractValue a : outAvals) {
        outs.add(allocate(a));
      }
      if (items == 0) {
        return outs;
      }
      List<Device.Arg> args = new ArrayList<>();
      for (Buffer b : in) {
        args.add(new Device.Pointer(((DeviceBuffer) b).handle()));
      }
      for (Buffer b : outs) {
        args.add(new Device.Pointer(((DeviceBuffer) b).handle()));
      }
      for (int v : ints) {
        args.add(new Device.Int(v));
      }
      long group = loopGroupSize();
      long global = (items + group - 1) / group * group;
      synchronized (lock) {
        device()
            .launch(
                program(source, kernel), new long[] {global, 1, 1}, new long[] {group, 1, 1}, args);
      }
      return outs;
    } catch (RuntimeException e) {
      outs.forEach(Buffer::release);
      throw e;
    }
  }

  private List<Buffer> launchSort(SortLaunch o, List<Buffer> in, List<AbstractValue> outAvals) {
    List<Buffer> outs = new ArrayList<>(outAvals.size());
    DeviceBuffer keys = null;
    DeviceBuffer positions = null;
    try {
      for (AbstractValue a : outAvals) {
        outs.add(allocate(a));
      }
      SortKernel.Sizes s = o.sizes();
      if (o.launches().isEmpty()) {
        return outs;
      }
      if (s.multiPass()) {
        dev.arbor.array.Shape scratch = dev.arbor.array.Shape.of(s.lines() * s.padded());
        boolean wide = o.kernels().get(SortKernel.Phase.BLOCKS).wideKeys();
        keys = allocate(new AbstractValue(scratch, wide ? DType.I64 : DType.I32));
        positions = allocate(new AbstractValue(scratch, DType.I32));
      }
      synchronized (lock) {
        for (SortKernel.Launch launch : o.launches()) {
          List<Device.Arg> args = new ArrayList<>();
          SortKernel.Phase phase = launch.phase();
          if (phase == SortKernel.Phase.LINE || phase == SortKernel.Phase.GATHER) {
            for (Buffer b : in) {
              args.add(new Device.Pointer(((DeviceBuffer) b).handle()));
            }
            for (Buffer b : outs) {
              args.add(new Device.Pointer(((DeviceBuffer) b).handle()));
            }
          } else if (phase == SortKernel.Phase.BLOCKS) {
            args.add(new Device.Pointer(((DeviceBuffer) in.get(0)).handle()));
          }
          if (phase != SortKernel.Phase.LINE) {
            if (phase != SortKernel.Phase.GATHER) {
              args.add(new Device.Pointer(keys.handle()));
            }
            args.add(new Device.Pointer(positions.handle()));
          }
          for (int v : launch.ints()) {
            args.add(new Device.Int(v));
          }
          device()
              .launch(
                  program(o.sources().get(phase), o.kernels().get(phase).name()),
                  new long[] {launch.items(), 1, 1},
                  new long[] {launch.group(), 1, 1},
                  args);
        }
      }
      return outs;
    } catch (RuntimeException e) {
      outs.forEach(Buffer::release);
      throw e;
    } finally {
      if (keys != null) {
        keys.release();
      }
      if (positions != null) {
        positions.release();
      }
    }
  }

  private List<Buffer> launchMatmul(MatmulLaunch m, List<Buffer> in, AbstractValue outAval) {
    DeviceBuffer out = allocate(outAval);
    try {
      Lowering.MatmulShape s = m.shape();
      if (s.batch() == 0 || s.m() == 0 || s.n() == 0) {
        return List.of(out);
      }
      List<Device.Arg> args = new ArrayList<>();
      args.add(new Device.Pointer(((DeviceBuffer) in.get(0)).handle()));
      args.add(new Device.Pointer(((DeviceBuffer) in.get(1)).handle()));
      args.add(new Device.Pointer(out.handle()));
      for (int v : s.arguments()) {
        args.add(new Device.Int(v));
      }
      MatmulKernel k = m.kernel();
      long[] global = k.global(s.batch(), s.m(), s.n());
      synchronized (lock) {
        device().launch(program(m.source(), k.name()), global, k.local(), args);
      }
      return List.of(out);
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /**
   * Runs the im2col kernel into scratch (released after the matmul is queued: work runs in launch
   * order), then the matmul into the output. No contraction (C = 0, or an empty kernel window)
   * gives zeros, uploaded; an empty output launches nothing.
   */
  private List<Buffer> launchDot(DotLaunch d, List<Buffer> in, AbstractValue outAval) {
    return launchGemm(d.xt(), d.xa(), d.yt(), d.ya(), d.gemm(), d.shape(), in, outAval);
  }

  private List<Buffer> launchConv(ConvLaunch c, List<Buffer> in, AbstractValue outAval) {
    return launchGemm(c.im2col(), c.patches(), null, null, c.gemm(), c.shape(), in, outAval);
  }

  /**
   * {@code gemm} of the two operands, each first rewritten into scratch by its loop kernel where
   * one is given ({@code xt} into {@code xa}, {@code yt} into {@code ya}: a transpose, im2col); no
   * launch for an empty output, zeros for an empty contraction. Scratch is released afterwards.
   */
  private List<Buffer> launchGemm(
      LoopLaunch xt,
      AbstractValue xa,
      LoopLaunch yt,
      AbstractValue ya,
      Prepared gemm,
      Lowering.MatmulShape s,
      List<Buffer> in,
      AbstractValue outAval) {
    if (s.batch() == 0 || s.m() == 0 || s.n() == 0) {
      return List.of(allocate(outAval));
    }
    if (s.k() == 0) {
      return List.of(
          upload(HostArray.ofDoubles(outAval, new double[(int) outAval.shape().size()])));
    }
    Buffer a = null;
    Buffer b = null;
    try {
      a = xt == null ? null : launchLoop(xt, in.subList(0, 1), List.of(xa)).get(0);
      b = yt == null ? null : launchLoop(yt, in.subList(1, 2), List.of(ya)).get(0);
      List<Buffer> operands = List.of(a == null ? in.get(0) : a, b == null ? in.get(1) : b);
      return switch (gemm) {
        case MatmulLaunch m -> launchMatmul(m, operands, outAval);
        case BlasLaunch l -> launchBlas(l, operands, outAval);
        default -> throw new AssertionError(gemm);
      };
    } finally {
      if (a != null) {
        a.release();
      }
      if (b != null) {
        b.release();
      }
    }
  }

  private List<Buffer> launchBlas(BlasLaunch b, List<Buffer> in, AbstractValue outAval) {
    DeviceBuffer out = allocate(outAval);
    try {
      Lowering.MatmulShape s = b.shape();
      if (s.batch() == 0 || s.m() == 0 || s.n() == 0) {
        return List.of(out);
      }
      synchronized (lock) {
        device()
            .blas()
            .gemm(
                b.type(),
                s,
                ((DeviceBuffer) in.get(0)).handle(),
                ((DeviceBuffer) in.get(1)).handle(),
                out.handle());
      }
      return List.of(out);
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  private List<Buffer> onHost(
      Primitive p, String reason, List<Buffer> in, Params params, List<AbstractValue> outAvals) {
    if (warned.add(p.name() + ": " + reason)) {
      LOG.log(
          System.Logger.Level.WARNING,
          "backend ''{0}'' runs ''{1}'' with the reference kernel on host copies: {2}",
          name,
          p.name(),
          reason);
    }
    List<HostArray> host = new ArrayList<>(in.size());
    for (Buffer b : in) {
      host.add(download(b));
    }
    List<HostArray> res = p.referenceKernel().apply(host, params, outAvals);
    List<Buffer> out = new ArrayList<>(res.size());
    for (HostArray h : res) {
      out.add(upload(h));
    }
    host.forEach(HostArray::release);
    res.forEach(HostArray::release);
    return out;
  }

  @Override
  public String toString() {
    return name;
  }
}
