package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.LinearAlgebra;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * dot_general on F32/F64 (and, by a scalar loop, I32/I64/BOOL): maps the dimension numbers to a
 * batched (batch, M, K, N) GEMM. Each operand's batch, free and contracting axes are grouped; a
 * group whose axes step through memory as one stride is used in place (any transposition of whole
 * groups is absorbed by the GEMM's packing), otherwise the operand is first copied into [batch,
 * free, contract] order (lhs) or [batch, contract, free] order (rhs). The output is [batch..., lhs
 * free..., rhs free...], which is exactly the GEMM's contiguous [batch, M, N]. Contractions of at
 * most {@link #SMALL_K} elements with a unit-stride rhs row (batched outer products) skip the GEMM
 * for a one-pass kernel.
 */
final class DotKernel {
  /** Contractions up to this long run as {@link #smallK}, not as a GEMM. */
  static final int SMALL_K = 8;

  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
  private static final ByteOrder O = ByteOrder.nativeOrder();

  private DotKernel() {}

  /** One operand viewed as [batch, rows, cols] with element strides. */
  private record View(MemorySegment seg, long batchStride, long rowStride, long colStride) {}

  static List<Buffer> run(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    int[] lc = params.ints("lhs_contract");
    int[] rc = params.ints("rhs_contract");
    int[] lb = params.ints("lhs_batch");
    int[] rb = params.ints("rhs_batch");
    int[] xd = inAvals.get(0).shape().dims();
    int[] yd = inAvals.get(1).shape().dims();
    int[] xf = LinearAlgebra.free(xd.length, lb, lc);
    int[] yf = LinearAlgebra.free(yd.length, rb, rc);
    long batch = prod(xd, lb);
    long m = prod(xd, xf);
    long k = prod(xd, lc);
    long n = prod(yd, yf);
    if (m > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "'dot_general' on cpu-simd: matrix dimensions above 2^31 are not supported, got M="
              + m
              + " K="
              + k
              + " N="
              + n);
    }
    CpuBuffer xBuf = (CpuBuffer) in.get(0);
    CpuBuffer yBuf = (CpuBuffer) in.get(1);
    CpuBuffer xTmp = null;
    CpuBuffer yTmp = null;
    try {
      View x = view(xBuf, xd, lb, xf, lc);
      if (x == null) {
        xTmp = permuted(xBuf, xd, concat(lb, xf, lc));
        x = new View(xTmp.segment(), m * k, k, 1);
      }
      View y = view(yBuf, yd, rb, rc, yf);
      if (y == null) {
        yTmp = permuted(yBuf, yd, concat(rb, rc, yf));
        y = new View(yTmp.segment(), k * n, n, 1);
      }
      CpuBuffer out = CpuBuffer.allocate(outAvals.get(0));
      DType t = inAvals.get(0).dtype();
      if (!t.isFloating()) {
        integer(t, batch, (int) m, (int) n, (int) k, x, y, out.segment());
      } else if (k <= SMALL_K && k > 0 && y.colStride() == 1 && m > 0 && n > 0) {
        smallK(inAvals.get(0).dtype(), batch, (int) m, (int) n, (int) k, x, y, out.segment());
      } else if (inAvals.get(0).dtype() == DType.F32) {
        Gemm.gemmF32(
            (int) batch,
            (int) m,
            (int) n,
            (int) k,
            x.seg(),
            x.batchStride(),
            x.rowStride(),
            x.colStride(),
            y.seg(),
            y.batchStride(),
            y.rowStride(),
            y.colStride(),
            out.segment());
      } else {
        Gemm.gemmF64(
            (int) batch,
            (int) m,
            (int) n,
            (int) k,
            x.seg(),
            x.batchStride(),
            x.rowStride(),
            x.colStride(),
            y.seg(),
            y.batchStride(),
            y.rowStride(),
            y.colStride(),
            out.segment());
      }
      return List.of(out);
    } finally {
      if (xTmp != null) {
        xTmp.release();
      }
      if (yTmp != null) {
        yTmp.release();
      }
    }
  }

  /**
   * Integer and bool contractions, as the reference computes them: 64-bit sums of products, stored
   * wrapped to 32 bits for I32 and as "nonzero" for bool. A scalar loop per output row (integer
   * matmuls are rare in models), rows split over the pool.
   */
  private static void integer(
      DType t, long batch, int m, int n, int k, View a, View b, MemorySegment c) {
    long rows = batch * m;
    long grain = Math.max(1, CpuKernels.GRAIN / Math.max(1L, (long) n * k));
    CpuThreads.parallelFor(
        rows,
        grain,
        1,
        (from, to) -> {
          for (long row = from; row < to; row++) {
            long q = row / m;
            long i = row - q * m;
            long aOff = q * a.batchStride() + i * a.rowStride();
            long bOff = q * b.batchStride();
            for (int j = 0; j < n; j++) {
              long sum = 0;
              for (int p = 0; p < k; p++) {
                sum +=
                    Converts.getLong(a.seg(), t, aOff + p * a.colStride())
                        * Converts.getLong(
                            b.seg(), t, bOff + p * b.rowStride() + j * b.colStride());
              }
              Converts.putLong(c, t, row * n + j, sum);
            }
          }
        });
  }

  /**
   * C[q] = A[q] B[q] for a short contraction (k <= {@link #SMALL_K}), e.g. the batched outer
   * products of per-example weight gradients: each output row is written once as a combination of k
   * contiguous rows of B, vectorized along n, so the kernel runs at memory bandwidth (the GEMM
   * would clear C, pack, then read-modify-write C per k slice). Rows are split over the pool.
   */
  private static void smallK(
      DType t, long batch, int m, int n, int k, View a, View b, MemorySegment c) {
    long rows = batch * m;
    long grain = Math.max(1, CpuKernels.GRAIN / n);
    if (t == DType.F32) {
      CpuThreads.parallelFor(rows, grain, 1, (from, to) -> smallKF32(from, to, m, n, k, a, b, c));
    } else {
      CpuThreads.parallelFor(rows, grain, 1, (from, to) -> smallKF64(from, to, m, n, k, a, b, c));
    }
  }

  private static void smallKF32(
      long from, long to, int m, int n, int k, View a, View b, MemorySegment c) {
    final int l = FS.length();
    final int nv = n - n % l;
    final MemorySegment as = a.seg();
    final MemorySegment bs = b.seg();
    final long bR = b.rowStride();
    for (long row = from; row < to; row++) {
      long q = row / m;
      long i = row - q * m;
      long aOff = q * a.batchStride() + i * a.rowStride();
      long bOff = q * b.batchStride();
      long cOff = row * n;
      // One flat vector loop per contraction step (no vector carried across loops: C2 keeps them
      // in registers); the output row stays in L1 between steps.
      float a0 = as.getAtIndex(ValueLayout.JAVA_FLOAT, aOff);
      FloatVector va = FloatVector.broadcast(FS, a0);
      for (int j = 0; j < nv; j += l) {
        FloatVector.fromMemorySegment(FS, bs, (bOff + j) * 4L, O)
            .mul(va)
            .intoMemorySegment(c, (cOff + j) * 4L, O);
      }
      for (int j = nv; j < n; j++) {
        c.setAtIndex(
            ValueLayout.JAVA_FLOAT, cOff + j, a0 * bs.getAtIndex(ValueLayout.JAVA_FLOAT, bOff + j));
      }
      for (int p = 1; p < k; p++) {
        float ap = as.getAtIndex(ValueLayout.JAVA_FLOAT, aOff + p * a.colStride());
        FloatVector vp = FloatVector.broadcast(FS, ap);
        long bp = bOff + p * bR;
        for (int j = 0; j < nv; j += l) {
          FloatVector.fromMemorySegment(FS, bs, (bp + j) * 4L, O)
              .fma(vp, FloatVector.fromMemorySegment(FS, c, (cOff + j) * 4L, O))
              .intoMemorySegment(c, (cOff + j) * 4L, O);
        }
        for (int j = nv; j < n; j++) {
          long at = cOff + j;
          c.setAtIndex(
              ValueLayout.JAVA_FLOAT,
              at,
              Math.fma(
                  ap,
                  bs.getAtIndex(ValueLayout.JAVA_FLOAT, bp + j),
                  c.getAtIndex(ValueLayout.JAVA_FLOAT, at)));
        }
      }
    }
  }

  private static void smallKF64(
      long from, long to, int m, int n, int k, View a, View b, MemorySegment c) {
    final int l = DS.length();
    final int nv = n - n % l;
    final MemorySegment as = a.seg();
    final MemorySegment bs = b.seg();
    final long bR = b.rowStride();
    for (long row = from; row < to; row++) {
      long q = row / m;
      long i = row - q * m;
      long aOff = q * a.batchStride() + i * a.rowStride();
      long bOff = q * b.batchStride();
      long cOff = row * n;
      // One flat vector loop per contraction step (no vector carried across loops: C2 keeps them
      // in registers); the output row stays in L1 between steps.
      double a0 = as.getAtIndex(ValueLayout.JAVA_DOUBLE, aOff);
      DoubleVector va = DoubleVector.broadcast(DS, a0);
      for (int j = 0; j < nv; j += l) {
        DoubleVector.fromMemorySegment(DS, bs, (bOff + j) * 8L, O)
            .mul(va)
            .intoMemorySegment(c, (cOff + j) * 8L, O);
      }
      for (int j = nv; j < n; j++) {
        c.setAtIndex(
            ValueLayout.JAVA_DOUBLE,
            cOff + j,
            a0 * bs.getAtIndex(ValueLayout.JAVA_DOUBLE, bOff + j));
      }
      for (int p = 1; p < k; p++) {
        double ap = as.getAtIndex(ValueLayout.JAVA_DOUBLE, aOff + p * a.colStride());
        DoubleVector vp = DoubleVector.broadcast(DS, ap);
        long bp = bOff + p * bR;
        for (int j = 0; j < nv; j += l) {
          DoubleVector.fromMemorySegment(DS, bs, (bp + j) * 8L, O)
              .fma(vp, DoubleVector.fromMemorySegment(DS, c, (cOff + j) * 8L, O))
              .intoMemorySegment(c, (cOff + j) * 8L, O);
        }
        for (int j = nv; j < n; j++) {
          long at = cOff + j;
          c.setAtIndex(
              ValueLayout.JAVA_DOUBLE,
              at,
              Math.fma(
                  ap,
                  bs.getAtIndex(ValueLayout.JAVA_DOUBLE, bp + j),
                  c.getAtIndex(ValueLayout.JAVA_DOUBLE, at)));
        }
      }
    }
  }

  /** The operand as [batch, rows, cols] in place, or null if a group is not one stride. */
  private static View view(CpuBuffer b, int[] dims, int[] batch, int[] rows, int[] cols) {
    long[] strides = Layout.strides(dims);
    long bs = groupStride(dims, strides, batch);
    long rs = groupStride(dims, strides, rows);
    long cs = groupStride(dims, strides, cols);
    if (bs < 0 || rs < 0 || cs < 0) {
      return null;
    }
    return new View(b.segment(), bs, rs, cs);
  }

  /**
   * The single stride of a group of axes taken in the given order (0 for an empty or all-size-1
   * group), or -1 if the group does not step through memory uniformly.
   */
  static long groupStride(int[] dims, long[] strides, int[] axes) {
    long stride = 0;
    long prevStride = -1;
    for (int a : axes) {
      if (dims[a] == 1) {
        continue;
      }
      if (prevStride >= 0 && prevStride != strides[a] * dims[a]) {
        return -1;
      }
      prevStride = strides[a];
      stride = strides[a];
    }
    return stride;
  }

  private static CpuBuffer permuted(CpuBuffer b, int[] dims, int[] perm) {
    long[] xs = Layout.strides(dims);
    int[] od = new int[perm.length];
    long[] strides = new long[perm.length];
    for (int k = 0; k < perm.length; k++) {
      od[k] = dims[perm[k]];
      strides[k] = xs[perm[k]];
    }
    CpuBuffer t = CpuBuffer.allocate(b.aval());
    Layout.copy(b.segment(), t.segment(), b.dtype().byteSize(), od, strides);
    return t;
  }

  private static long prod(int[] dims, int[] axes) {
    long p = 1;
    for (int a : axes) {
      p *= dims[a];
    }
    return p;
  }

  private static int[] concat(int[]... parts) {
    int n = 0;
    for (int[] p : parts) {
      n += p.length;
    }
    int[] r = new int[n];
    int j = 0;
    for (int[] p : parts) {
      for (int v : p) {
        r[j++] = v;
      }
    }
    return r;
  }
}
