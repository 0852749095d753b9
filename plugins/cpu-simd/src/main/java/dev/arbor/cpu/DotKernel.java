package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * dot_general on F32/F64: maps the dimension numbers to a batched (batch, M, K, N) GEMM. Each
 * operand's batch, free and contracting axes are grouped; a group whose axes step through memory as
 * one stride is used in place (any transposition of whole groups is absorbed by the GEMM's
 * packing), otherwise the operand is first copied into [batch, free, contract] order (lhs) or
 * [batch, contract, free] order (rhs). The output is [batch..., lhs free..., rhs free...], which is
 * exactly the GEMM's contiguous [batch, M, N].
 */
final class DotKernel {
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
    int[] xf = free(xd.length, lb, lc);
    int[] yf = free(yd.length, rb, rc);
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
      if (inAvals.get(0).dtype() == DType.F32) {
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

  static int[] free(int rank, int[] batch, int[] contract) {
    boolean[] used = new boolean[rank];
    for (int a : batch) {
      used[a] = true;
    }
    for (int a : contract) {
      used[a] = true;
    }
    int[] f = new int[rank - batch.length - contract.length];
    int j = 0;
    for (int a = 0; a < rank; a++) {
      if (!used[a]) {
        f[j++] = a;
      }
    }
    return f;
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
