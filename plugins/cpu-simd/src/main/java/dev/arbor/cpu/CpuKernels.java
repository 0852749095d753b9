package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import dev.arbor.backend.Kernel;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.Convolution;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Indexing;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Sorting;
import dev.arbor.core.primitives.Structural;
import dev.arbor.core.primitives.Threefry;
import dev.arbor.cpu.ElementwiseLoops.Binary;
import dev.arbor.cpu.ElementwiseLoops.Compare;
import dev.arbor.cpu.ElementwiseLoops.Unary;
import dev.arbor.transform.jit.Fused;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel table, keyed by primitive identity. A kernel handles the dtypes it has loops for
 * (F32/F64 for math; any dtype for layout ops, select and convert) and runs the primitive's
 * reference kernel on host copies for the rest, warning once per primitive and dtype.
 */
final class CpuKernels {
  private static final System.Logger LOG = System.getLogger("dev.arbor.backend");
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  /** Elements per parallel chunk of an elementwise loop (about 64-128 KiB of data). */
  static final long GRAIN = 1 << 15;

  /** Primitives with elementwise loops, by identity. */
  static final Map<Primitive, Unary> UNARY = new IdentityHashMap<>();

  static final Map<Primitive, Binary> BINARY = new IdentityHashMap<>();
  static final Map<Primitive, Compare> COMPARE = new IdentityHashMap<>();

  static {
    UNARY.put(Elementwise.NEG, Unary.NEG);
    UNARY.put(Elementwise.EXP, Unary.EXP);
    UNARY.put(Elementwise.LOG, Unary.LOG);
    UNARY.put(Elementwise.TANH, Unary.TANH);
    UNARY.put(Elementwise.SIN, Unary.SIN);
    UNARY.put(Elementwise.COS, Unary.COS);
    UNARY.put(Elementwise.LOGISTIC, Unary.LOGISTIC);
    UNARY.put(Elementwise.SQRT, Unary.SQRT);
    UNARY.put(Elementwise.RSQRT, Unary.RSQRT);
    UNARY.put(Elementwise.ABS, Unary.ABS);
    UNARY.put(Elementwise.EXPM1, Unary.EXPM1);
    UNARY.put(Elementwise.LOG1P, Unary.LOG1P);
    UNARY.put(Elementwise.SIGN, Unary.SIGN);
    UNARY.put(Elementwise.FLOOR, Unary.FLOOR);
    UNARY.put(Elementwise.CEIL, Unary.CEIL);
    UNARY.put(Elementwise.ROUND, Unary.ROUND);
    UNARY.put(Elementwise.ERF_INV, Unary.ERF_INV);
    BINARY.put(Elementwise.ADD, Binary.ADD);
    BINARY.put(Elementwise.SUB, Binary.SUB);
    BINARY.put(Elementwise.MUL, Binary.MUL);
    BINARY.put(Elementwise.DIV, Binary.DIV);
    BINARY.put(Elementwise.MAX, Binary.MAX);
    BINARY.put(Elementwise.MIN, Binary.MIN);
    BINARY.put(Elementwise.POW, Binary.POW);
    BINARY.put(Elementwise.ATAN2, Binary.ATAN2);
    BINARY.put(Elementwise.REM, Binary.REM);
    COMPARE.put(Elementwise.EQ, Compare.EQ);
    COMPARE.put(Elementwise.NE, Compare.NE);
    COMPARE.put(Elementwise.LT, Compare.LT);
    COMPARE.put(Elementwise.LE, Compare.LE);
    COMPARE.put(Elementwise.GT, Compare.GT);
    COMPARE.put(Elementwise.GE, Compare.GE);
  }

  /** The subset with I32/I64 loops ({@link ElementwiseLoops}); comparisons all have them. */
  static final Map<Primitive, ElementwiseLoops.IntUnary> INT_UNARY = new IdentityHashMap<>();

  static final Map<Primitive, ElementwiseLoops.IntBinary> INT_BINARY = new IdentityHashMap<>();

  static {
    INT_UNARY.put(Elementwise.NEG, ElementwiseLoops.IntUnary.NEG);
    INT_UNARY.put(Elementwise.ABS, ElementwiseLoops.IntUnary.ABS);
    INT_UNARY.put(Elementwise.SIGN, ElementwiseLoops.IntUnary.SIGN);
    INT_BINARY.put(Elementwise.ADD, ElementwiseLoops.IntBinary.ADD);
    INT_BINARY.put(Elementwise.SUB, ElementwiseLoops.IntBinary.SUB);
    INT_BINARY.put(Elementwise.MUL, ElementwiseLoops.IntBinary.MUL);
    INT_BINARY.put(Elementwise.MAX, ElementwiseLoops.IntBinary.MAX);
    INT_BINARY.put(Elementwise.MIN, ElementwiseLoops.IntBinary.MIN);
  }

  /** The reduction primitives with loops, by identity. */
  static final Map<Primitive, ReduceLoops.Op> REDUCE = new IdentityHashMap<>();

  static {
    REDUCE.put(Reductions.REDUCE_SUM, ReduceLoops.Op.SUM);
    REDUCE.put(Reductions.REDUCE_MAX, ReduceLoops.Op.MAX);
    REDUCE.put(Reductions.REDUCE_MIN, ReduceLoops.Op.MIN);
    REDUCE.put(Reductions.REDUCE_PROD, ReduceLoops.Op.PROD);
  }

  /** Bitwise primitives (I32, I64 and, but for shifts, BOOL operands), by identity. */
  static final Map<Primitive, ElementwiseLoops.Bitwise> BITWISE = new IdentityHashMap<>();

  static {
    BITWISE.put(Elementwise.AND, ElementwiseLoops.Bitwise.AND);
    BITWISE.put(Elementwise.OR, ElementwiseLoops.Bitwise.OR);
    BITWISE.put(Elementwise.XOR, ElementwiseLoops.Bitwise.XOR);
    BITWISE.put(Elementwise.NOT, ElementwiseLoops.Bitwise.NOT);
    BITWISE.put(Elementwise.SHIFT_LEFT, ElementwiseLoops.Bitwise.SHIFT_LEFT);
    BITWISE.put(Elementwise.SHIFT_RIGHT_LOGICAL, ElementwiseLoops.Bitwise.SHIFT_RIGHT_LOGICAL);
  }

  private CpuKernels() {}

  static Map<Primitive, Kernel> table(CpuBackend backend) {
    Map<Primitive, Kernel> m = new IdentityHashMap<>();
    UNARY.forEach((p, op) -> unary(m, backend, p, op));
    BINARY.forEach((p, op) -> binary(m, backend, p, op));
    COMPARE.forEach((p, op) -> compare(m, backend, p, op));
    m.put(Elementwise.SELECT, Selects::select);
    m.put(Elementwise.CONVERT, Converts::convert);
    m.put(Structural.BROADCAST_IN_DIM, LayoutKernels::broadcastInDim);
    m.put(Structural.TRANSPOSE, LayoutKernels::transpose);
    m.put(Structural.RESHAPE, LayoutKernels::reshape);
    REDUCE.forEach((p, op) -> reduction(m, backend, p, op));
    m.put(
        Reductions.REDUCE_PROD,
        (in, inAvals, params, outAvals) ->
            List.of(
                CpuBackend.isVectorType(inAvals.get(0).dtype())
                    ? ReduceKernel.run(
                        ReduceLoops.Op.PROD,
                        (CpuBuffer) in.get(0),
                        params.ints("axes"),
                        outAvals.get(0))
                    : IntReductions.reduce(
                        ReduceLoops.Op.PROD,
                        (CpuBuffer) in.get(0),
                        params.ints("axes"),
                        outAvals.get(0))));
    BITWISE.forEach(
        (p, op) -> m.put(p, (in, inAvals, params, outAvals) -> bitwise(op, in, outAvals)));
    m.put(
        Reductions.ARGMAX,
        (in, inAvals, params, outAvals) -> ArgKernels.run(true, in, inAvals, params, outAvals));
    m.put(
        Reductions.ARGMIN,
        (in, inAvals, params, outAvals) -> ArgKernels.run(false, in, inAvals, params, outAvals));
    m.put(Generators.IOTA, GeneratorKernels::iota);
    m.put(Threefry.THREEFRY2X32, GeneratorKernels::threefry2x32);
    m.put(Indexing.SLICE, LayoutKernels::slice);
    m.put(Indexing.CONCATENATE, LayoutKernels::concatenate);
    m.put(Indexing.SQUEEZE, LayoutKernels::reshape);
    m.put(Indexing.EXPAND_DIMS, LayoutKernels::reshape);
    m.put(Indexing.PAD, WindowKernels::pad);
    m.put(Indexing.DYNAMIC_SLICE, WindowKernels::dynamicSlice);
    m.put(Indexing.DYNAMIC_UPDATE_SLICE, WindowKernels::dynamicUpdateSlice);
    m.put(Reductions.CUMSUM, ScanKernels::cumsum);
    m.put(Sorting.SORT, SortKernels::sort);
    m.put(
        Indexing.GATHER,
        (in, inAvals, params, outAvals) ->
            isIndex(inAvals.get(1).dtype())
                ? GatherKernels.gather(in, inAvals, params, outAvals)
                : reference(backend, Indexing.GATHER, in, params, outAvals));
    m.put(
        Indexing.SCATTER_ADD,
        (in, inAvals, params, outAvals) ->
            CpuBackend.isVectorType(inAvals.get(0).dtype()) && isIndex(inAvals.get(1).dtype())
                ? GatherKernels.scatterAdd(in, inAvals, params, outAvals)
                : reference(backend, Indexing.SCATTER_ADD, in, params, outAvals));
    m.put(Fused.FUSED, (in, inAvals, params, outAvals) -> FusedKernel.run(m, in, params, outAvals));
    m.put(
        LinearAlgebra.DOT_GENERAL,
        (in, inAvals, params, outAvals) -> DotKernel.run(in, inAvals, params, outAvals));
    m.put(
        Convolution.CONV_GENERAL,
        (in, inAvals, params, outAvals) ->
            CpuBackend.isVectorType(inAvals.get(0).dtype())
                ? ConvKernel.run(in, inAvals, params, outAvals)
                : reference(backend, Convolution.CONV_GENERAL, in, params, outAvals));
    return m;
  }

  private static void unary(Map<Primitive, Kernel> m, CpuBackend backend, Primitive p, Unary op) {
    ElementwiseLoops.IntUnary iop = INT_UNARY.get(p);
    m.put(
        p,
        (in, inAvals, params, outAvals) -> {
          DType t = inAvals.get(0).dtype();
          if (!CpuBackend.isVectorType(t) && (iop == null || !isIndex(t))) {
            return reference(backend, p, in, params, outAvals);
          }
          MemorySegment x = seg(in.get(0));
          CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
          MemorySegment ys = y.segment();
          CpuThreads.parallelFor(
              y.size(),
              GRAIN,
              64,
              switch (t) {
                case F32 -> (from, to) -> ElementwiseLoops.unaryF32(op, x, ys, from, to);
                case F64 -> (from, to) -> ElementwiseLoops.unaryF64(op, x, ys, from, to);
                case I32 -> (from, to) -> ElementwiseLoops.intUnaryI32(iop, x, ys, from, to);
                default -> (from, to) -> ElementwiseLoops.intUnaryI64(iop, x, ys, from, to);
              });
          return List.of(y);
        });
  }

  /** A vectorized loop over elements {@code [from, to)} of two inputs and one output. */
  @FunctionalInterface
  private interface TwoInputLoop {
    void run(MemorySegment x, MemorySegment z, MemorySegment y, long from, long to);
  }

  private static void binary(Map<Primitive, Kernel> m, CpuBackend backend, Primitive p, Binary op) {
    ElementwiseLoops.IntBinary iop = INT_BINARY.get(p);
    TwoInputLoop i32 =
        iop == null
            ? null
            : (x, z, y, from, to) -> ElementwiseLoops.intBinaryI32(iop, x, z, y, from, to);
    TwoInputLoop i64 =
        iop == null
            ? null
            : (x, z, y, from, to) -> ElementwiseLoops.intBinaryI64(iop, x, z, y, from, to);
    if (op == Binary.DIV || op == Binary.REM) {
      // Integer division has no vector instruction: a scalar loop with Java's semantics, failing
      // as the reference does on a zero divisor (the caller releases the output).
      boolean div = op == Binary.DIV;
      i32 = (x, z, y, from, to) -> IntDivision.run(div, DType.I32, x, z, y, from, to);
      i64 = (x, z, y, from, to) -> IntDivision.run(div, DType.I64, x, z, y, from, to);
    }
    twoInputs(
        m,
        backend,
        p,
        (x, z, y, from, to) -> ElementwiseLoops.binaryF32(op, x, z, y, from, to),
        (x, z, y, from, to) -> ElementwiseLoops.binaryF64(op, x, z, y, from, to),
        i32,
        i64,
        null); // the shape rules refuse bool arithmetic
  }

  private static void compare(
      Map<Primitive, Kernel> m, CpuBackend backend, Primitive p, Compare op) {
    twoInputs(
        m,
        backend,
        p,
        (x, z, y, from, to) -> ElementwiseLoops.compareF32(op, x, z, y, from, to),
        (x, z, y, from, to) -> ElementwiseLoops.compareF64(op, x, z, y, from, to),
        (x, z, y, from, to) -> ElementwiseLoops.compareI32(op, x, z, y, from, to),
        (x, z, y, from, to) -> ElementwiseLoops.compareI64(op, x, z, y, from, to),
        (x, z, y, from, to) -> ElementwiseLoops.compareBOOL(op, x, z, y, from, to));
  }

  /**
   * Registers an elementwise kernel of two inputs of one dtype, split over the pool by ranges; a
   * null loop sends that dtype to the reference kernel.
   */
  private static void twoInputs(
      Map<Primitive, Kernel> m,
      CpuBackend backend,
      Primitive p,
      TwoInputLoop f32,
      TwoInputLoop f64,
      TwoInputLoop i32,
      TwoInputLoop i64,
      TwoInputLoop bool) {
    m.put(
        p,
        (in, inAvals, params, outAvals) -> {
          TwoInputLoop loop =
              switch (inAvals.get(0).dtype()) {
                case F32 -> f32;
                case F64 -> f64;
                case I32 -> i32;
                case I64 -> i64;
                case BOOL -> bool;
              };
          if (loop == null) {
            return reference(backend, p, in, params, outAvals);
          }
          MemorySegment x = seg(in.get(0));
          MemorySegment z = seg(in.get(1));
          CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
          MemorySegment ys = y.segment();
          try {
            CpuThreads.parallelFor(y.size(), GRAIN, 64, (from, to) -> loop.run(x, z, ys, from, to));
          } catch (RuntimeException | Error e) {
            y.release();
            throw e;
          }
          return List.of(y);
        });
  }

  private static List<Buffer> bitwise(
      ElementwiseLoops.Bitwise op, List<Buffer> in, List<AbstractValue> outAvals) {
    DType t = outAvals.get(0).dtype();
    MemorySegment x = seg(in.get(0));
    MemorySegment z = in.size() > 1 ? seg(in.get(1)) : x;
    CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
    MemorySegment ys = y.segment();
    CpuThreads.parallelFor(
        y.size(),
        GRAIN,
        64,
        (from, to) -> {
          switch (t) {
            case I32 -> ElementwiseLoops.bitwiseI32(op, x, z, ys, from, to);
            case I64 -> ElementwiseLoops.bitwiseI64(op, x, z, ys, from, to);
            case BOOL -> ElementwiseLoops.bitwiseBOOL(op, x, z, ys, from, to);
            default -> throw new IllegalArgumentException("'" + op + "' on " + t);
          }
        });
    return List.of(y);
  }

  private static void reduction(
      Map<Primitive, Kernel> m, CpuBackend backend, Primitive p, ReduceLoops.Op op) {
    m.put(
        p,
        (in, inAvals, params, outAvals) ->
            List.of(
                CpuBackend.isVectorType(inAvals.get(0).dtype())
                    ? ReduceKernel.run(
                        op, (CpuBuffer) in.get(0), params.ints("axes"), outAvals.get(0))
                    : IntReductions.reduce(
                        op, (CpuBuffer) in.get(0), params.ints("axes"), outAvals.get(0))));
  }

  private static boolean isIndex(DType t) {
    return t == DType.I32 || t == DType.I64;
  }

  static MemorySegment seg(Buffer b) {
    return ((CpuBuffer) b).segment();
  }

  /** Runs {@code p}'s reference kernel on host copies and uploads the results. */
  static List<Buffer> reference(
      CpuBackend backend,
      Primitive p,
      List<Buffer> in,
      Params params,
      List<AbstractValue> outAvals) {
    String dtype = in.isEmpty() ? "" : ((CpuBuffer) in.get(0)).dtype().shortName();
    if (WARNED.add(p.name() + "/" + dtype)) {
      LOG.log(
          System.Logger.Level.WARNING,
          "backend ''cpu-simd'' has no {0} kernel for ''{1}''; running the reference kernel on"
              + " host copies",
          dtype,
          p.name());
    }
    List<HostArray> host = new ArrayList<>(in.size());
    for (Buffer b : in) {
      host.add(backend.download(b));
    }
    List<HostArray> res = p.referenceKernel().apply(host, params, outAvals);
    List<Buffer> out = new ArrayList<>(res.size());
    for (HostArray h : res) {
      out.add(backend.upload(h));
      h.release();
    }
    for (HostArray h : host) {
      h.release();
    }
    return out;
  }
}
