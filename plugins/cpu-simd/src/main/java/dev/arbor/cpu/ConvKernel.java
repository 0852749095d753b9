package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * conv_general on F32/F64 as im2col + the packed GEMM. The NHWC input is unrolled into a row-major
 * [N*OH*OW, KH*KW*C] patch matrix (one row per output pixel, taps in (kh, kw, c) order, positions
 * outside the input — padding — as zeros, negative padding cropping); the HWIO kernel is already a
 * row-major [KH*KW*C, O] matrix, and the GEMM's [N*OH*OW, O] product is exactly the NHWC output.
 * The unrolling runs in parallel over output rows on the backend's pool; the GEMM parallelizes
 * itself. A 1x1, stride-1, unpadded convolution skips the unrolling (the input is the patch
 * matrix). Patch matrices above {@link #MAX_PATCH_ELEMENTS} are built and multiplied a few images
 * at a time.
 */
final class ConvKernel {
  private ConvKernel() {}

  /** The most elements of one patch buffer (128 MiB of f32); larger convolutions are chunked. */
  static final long MAX_PATCH_ELEMENTS = 1L << 25;

  static List<Buffer> run(
      List<Buffer> in, List<AbstractValue> inAvals, Params params, List<AbstractValue> outAvals) {
    return run(in, inAvals, params, outAvals, MAX_PATCH_ELEMENTS);
  }

  /** As {@link #run(List, List, Params, List)} with patch buffers of at most {@code maxPatch}. */
  static List<Buffer> run(
      List<Buffer> in,
      List<AbstractValue> inAvals,
      Params params,
      List<AbstractValue> outAvals,
      long maxPatch) {
    int[] xd = inAvals.get(0).shape().dims();
    int[] kd = inAvals.get(1).shape().dims();
    int[] od = outAvals.get(0).shape().dims();
    int[] s = params.ints("strides");
    int[] pad = params.ints("padding");
    DType t = inAvals.get(0).dtype();
    int n = xd[0];
    int h = xd[1];
    int w = xd[2];
    int c = xd[3];
    int kh = kd[0];
    int kw = kd[1];
    int o = kd[3];
    int oh = od[1];
    int ow = od[2];
    long kk = (long) kh * kw * c;
    long pixels = (long) oh * ow;
    CpuBuffer out = CpuBuffer.allocate(outAvals.get(0));
    MemorySegment os = out.segment();
    MemorySegment xs = CpuKernels.seg(in.get(0));
    MemorySegment ks = CpuKernels.seg(in.get(1));
    long es = t.byteSize();
    if (out.size() == 0) {
      return List.of(out);
    }
    if (kk == 0) {
      os.fill((byte) 0);
      return List.of(out);
    }
    if (kh == 1
        && kw == 1
        && s[0] == 1
        && s[1] == 1
        && pad[0] == 0
        && pad[1] == 0
        && pad[2] == 0
        && pad[3] == 0) {
      gemm(t, Math.toIntExact((long) n * h * w), o, (int) kk, xs, ks, os);
      return List.of(out);
    }
    long perImage = pixels * kk;
    int chunk = (int) Math.max(1, Math.min(n, maxPatch / Math.max(1, perImage)));
    if (perImage * chunk > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "'conv_general' on cpu-simd: one image's patch matrix has "
              + perImage
              + " elements, above 2^31; use a smaller input or kernel");
    }
    CpuBuffer patches =
        CpuBuffer.allocate(new AbstractValue(Shape.of(Math.toIntExact(perImage * chunk)), t));
    try {
      MemorySegment ps = patches.segment();
      for (int b0 = 0; b0 < n; b0 += chunk) {
        int nb = Math.min(chunk, n - b0);
        final int first = b0;
        // One task per output row (image, oh): each writes OW patch rows.
        long rows = (long) nb * oh;
        long grain = Math.max(1, CpuKernels.GRAIN / Math.max(1, ow * kk));
        CpuThreads.parallelFor(
            rows,
            grain,
            1,
            (from, to) -> {
              for (long r = from; r < to; r++) {
                int b = first + (int) (r / oh);
                int i = (int) (r % oh);
                long dst = r * ow * kk;
                im2colRow(xs, ps, es, b, i, dst, h, w, c, kh, kw, ow, s, pad);
              }
            });
        int m = Math.toIntExact(nb * pixels);
        gemm(
            t,
            m,
            o,
            (int) kk,
            ps,
            ks,
            os.asSlice((long) first * pixels * o * es, (long) m * o * es));
      }
    } finally {
      patches.release();
    }
    return List.of(out);
  }

  /**
   * Writes the OW patch rows of output row {@code i} of image {@code b} from element {@code dst}.
   */
  private static void im2colRow(
      MemorySegment x,
      MemorySegment p,
      long es,
      int b,
      int i,
      long dst,
      int h,
      int w,
      int c,
      int kh,
      int kw,
      int ow,
      int[] s,
      int[] pad) {
    long rowBytes = (long) kw * c * es;
    for (int j = 0; j < ow; j++) {
      int w0 = j * s[1] - pad[2];
      // Taps v in [vLo, vHi) read inside the input: iw = w0 + v in [0, w).
      int vLo = Math.max(0, -w0);
      int vHi = Math.min(kw, w - w0);
      for (int u = 0; u < kh; u++) {
        int ih = i * s[0] + u - pad[0];
        long d = (dst + (long) u * kw * c) * es;
        if (ih < 0 || ih >= h || vLo >= vHi) {
          p.asSlice(d, rowBytes).fill((byte) 0);
          continue;
        }
        if (vLo > 0) {
          p.asSlice(d, (long) vLo * c * es).fill((byte) 0);
        }
        long src = (((long) b * h + ih) * w + w0 + vLo) * c * es;
        MemorySegment.copy(x, src, p, d + (long) vLo * c * es, (long) (vHi - vLo) * c * es);
        if (vHi < kw) {
          p.asSlice(d + (long) vHi * c * es, (long) (kw - vHi) * c * es).fill((byte) 0);
        }
      }
      dst += (long) kh * kw * c;
    }
  }

  /** out[m, n] = a[m, k] * b[k, n], all row-major. */
  private static void gemm(
      DType t, int m, int n, int k, MemorySegment a, MemorySegment b, MemorySegment out) {
    if (t == DType.F32) {
      Gemm.gemmF32(1, m, n, k, a, 0, k, 1, b, 0, n, 1, out);
    } else {
      Gemm.gemmF64(1, m, n, k, a, 0, k, 1, b, 0, n, 1, out);
    }
  }
}
