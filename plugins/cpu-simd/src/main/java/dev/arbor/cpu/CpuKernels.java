package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import dev.arbor.backend.Kernel;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Structural;
import dev.arbor.cpu.ElementwiseLoops.Binary;
import dev.arbor.cpu.ElementwiseLoops.Compare;
import dev.arbor.cpu.ElementwiseLoops.Unary;
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

  private CpuKernels() {}

  static Map<Primitive, Kernel> table(CpuBackend backend) {
    Map<Primitive, Kernel> m = new IdentityHashMap<>();
    unary(m, backend, Elementwise.NEG, Unary.NEG);
    unary(m, backend, Elementwise.EXP, Unary.EXP);
    unary(m, backend, Elementwise.LOG, Unary.LOG);
    unary(m, backend, Elementwise.TANH, Unary.TANH);
    unary(m, backend, Elementwise.SIN, Unary.SIN);
    unary(m, backend, Elementwise.COS, Unary.COS);
    unary(m, backend, Elementwise.LOGISTIC, Unary.LOGISTIC);
    unary(m, backend, Elementwise.SQRT, Unary.SQRT);
    unary(m, backend, Elementwise.RSQRT, Unary.RSQRT);
    unary(m, backend, Elementwise.ABS, Unary.ABS);
    binary(m, backend, Elementwise.ADD, Binary.ADD);
    binary(m, backend, Elementwise.SUB, Binary.SUB);
    binary(m, backend, Elementwise.MUL, Binary.MUL);
    binary(m, backend, Elementwise.DIV, Binary.DIV);
    binary(m, backend, Elementwise.MAX, Binary.MAX);
    binary(m, backend, Elementwise.MIN, Binary.MIN);
    binary(m, backend, Elementwise.POW, Binary.POW);
    compare(m, backend, Elementwise.EQ, Compare.EQ);
    compare(m, backend, Elementwise.NE, Compare.NE);
    compare(m, backend, Elementwise.LT, Compare.LT);
    compare(m, backend, Elementwise.LE, Compare.LE);
    compare(m, backend, Elementwise.GT, Compare.GT);
    compare(m, backend, Elementwise.GE, Compare.GE);
    m.put(Elementwise.SELECT, Selects::select);
    m.put(Elementwise.CONVERT, Converts::convert);
    m.put(Structural.BROADCAST_IN_DIM, LayoutKernels::broadcastInDim);
    m.put(Structural.TRANSPOSE, LayoutKernels::transpose);
    m.put(Structural.RESHAPE, LayoutKernels::reshape);
    reduction(m, backend, Reductions.REDUCE_SUM, ReduceLoops.Op.SUM);
    reduction(m, backend, Reductions.REDUCE_MAX, ReduceLoops.Op.MAX);
    reduction(m, backend, Reductions.REDUCE_MIN, ReduceLoops.Op.MIN);
    m.put(
        LinearAlgebra.DOT_GENERAL,
        (in, inAvals, params, outAvals) ->
            CpuBackend.isVectorType(inAvals.get(0).dtype())
                ? DotKernel.run(in, inAvals, params, outAvals)
                : reference(backend, LinearAlgebra.DOT_GENERAL, in, params, outAvals));
    return m;
  }

  private static void unary(Map<Primitive, Kernel> m, CpuBackend backend, Primitive p, Unary op) {
    m.put(
        p,
        (in, inAvals, params, outAvals) -> {
          DType t = inAvals.get(0).dtype();
          if (!CpuBackend.isVectorType(t)) {
            return reference(backend, p, in, params, outAvals);
          }
          MemorySegment x = seg(in.get(0));
          CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
          MemorySegment ys = y.segment();
          CpuThreads.parallelFor(
              y.size(),
              GRAIN,
              64,
              t == DType.F32
                  ? (from, to) -> ElementwiseLoops.unaryF32(op, x, ys, from, to)
                  : (from, to) -> ElementwiseLoops.unaryF64(op, x, ys, from, to));
          return List.of(y);
        });
  }

  private static void binary(Map<Primitive, Kernel> m, CpuBackend backend, Primitive p, Binary op) {
    m.put(
        p,
        (in, inAvals, params, outAvals) -> {
          DType t = inAvals.get(0).dtype();
          if (!CpuBackend.isVectorType(t)) {
            return reference(backend, p, in, params, outAvals);
          }
          MemorySegment x = seg(in.get(0));
          MemorySegment z = seg(in.get(1));
          CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
          MemorySegment ys = y.segment();
          CpuThreads.parallelFor(
              y.size(),
              GRAIN,
              64,
              t == DType.F32
                  ? (from, to) -> ElementwiseLoops.binaryF32(op, x, z, ys, from, to)
                  : (from, to) -> ElementwiseLoops.binaryF64(op, x, z, ys, from, to));
          return List.of(y);
        });
  }

  private static void compare(
      Map<Primitive, Kernel> m, CpuBackend backend, Primitive p, Compare op) {
    m.put(
        p,
        (in, inAvals, params, outAvals) -> {
          DType t = inAvals.get(0).dtype();
          if (!CpuBackend.isVectorType(t)) {
            return reference(backend, p, in, params, outAvals);
          }
          MemorySegment x = seg(in.get(0));
          MemorySegment z = seg(in.get(1));
          CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
          MemorySegment ys = y.segment();
          CpuThreads.parallelFor(
              y.size(),
              GRAIN,
              64,
              t == DType.F32
                  ? (from, to) -> ElementwiseLoops.compareF32(op, x, z, ys, from, to)
                  : (from, to) -> ElementwiseLoops.compareF64(op, x, z, ys, from, to));
          return List.of(y);
        });
  }

  private static void reduction(
      Map<Primitive, Kernel> m, CpuBackend backend, Primitive p, ReduceLoops.Op op) {
    m.put(
        p,
        (in, inAvals, params, outAvals) ->
            CpuBackend.isVectorType(inAvals.get(0).dtype())
                ? List.of(
                    ReduceKernel.run(
                        op, (CpuBuffer) in.get(0), params.ints("axes"), outAvals.get(0)))
                : reference(backend, p, in, params, outAvals));
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
