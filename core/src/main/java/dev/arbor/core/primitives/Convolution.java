package dev.arbor.core.primitives;

import static dev.arbor.core.primitives.Shapes.arity;

import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code conv_general}: a 2-d convolution (cross-correlation, as in every deep-learning framework)
 * of an NHWC input with an HWIO kernel:
 *
 * <pre>{@code
 * out[n, oh, ow, o] = sum_{kh, kw, c} x[n, oh*sh + kh - top, ow*sw + kw - left, c] * k[kh, kw, c, o]
 * }</pre>
 *
 * <p>Parameters: {@code strides} = {sh, sw} (≥ 1) and {@code padding} = {top, bottom, left, right}.
 * Padding may be negative (it then crops); the transpose rules need that. Positions outside the
 * input read zero. The output has {@code (H + top + bottom - KH) / sh + 1} rows (floor).
 *
 * <p>Rules: bilinear JVP; transpose with respect to the input is a stride-1 convolution of the
 * stride-dilated cotangent (interior {@code pad}) with the spatially flipped, I/O-swapped kernel;
 * transpose with respect to the kernel is a correlation of the input (N and C swapped) with the
 * dilated cotangent. Batching folds the batch axis into N (input batched) or O (kernel batched);
 * when both are batched it runs one convolution per batch element (no grouped convolution yet).
 * Dilated kernels and feature groups are not supported.
 */
public final class Convolution {
  private Convolution() {}

  public static final Primitive CONV_GENERAL =
      Primitive.single("conv_general")
          .shapeRule((in, p) -> List.of(outAval(in, p)))
          .reference(Convolution::referenceConv)
          .transpose(Convolution::transposeConv)
          .batch(Convolution::batchConv);

  static {
    CONV_GENERAL.jvp(
        (x, t, p) -> {
          Tensor out = CONV_GENERAL.bind1(p, x.get(0), x.get(1));
          Tensor a = t.get(0) == null ? null : CONV_GENERAL.bind1(p, t.get(0), x.get(1));
          Tensor b = t.get(1) == null ? null : CONV_GENERAL.bind1(p, x.get(0), t.get(1));
          return JvpResult.of(out, AdMath.addTangents(a, b));
        });
  }

  /**
   * Binds {@code conv_general}: {@code x} is {@code [N, H, W, C]}, {@code kernel} is {@code [KH,
   * KW, C, O]}, {@code strides} is {@code {sh, sw}}, {@code padding} is {@code {top, bottom, left,
   * right}}. Returns {@code [N, OH, OW, O]}.
   */
  public static Tensor conv(Tensor x, Tensor kernel, int[] strides, int[] padding) {
    return CONV_GENERAL.bind1(
        Params.of("strides", strides.clone(), "padding", padding.clone()), x, kernel);
  }

  /**
   * The {@code {top, bottom, left, right}} padding of "SAME" convolution (output size {@code ceil(H
   * / stride)}; the odd pixel goes at the bottom/right, as in TensorFlow and JAX).
   */
  public static int[] samePadding(int h, int w, int kh, int kw, int sh, int sw) {
    int th = Math.max((ceilDiv(h, sh) - 1) * sh + kh - h, 0);
    int tw = Math.max((ceilDiv(w, sw) - 1) * sw + kw - w, 0);
    return new int[] {th / 2, th - th / 2, tw / 2, tw - tw / 2};
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  private static AbstractValue outAval(List<AbstractValue> in, Params p) {
    arity("conv_general", in, 2);
    AbstractValue x = in.get(0);
    AbstractValue k = in.get(1);
    if (x.rank() != 4 || k.rank() != 4) {
      throw new IllegalArgumentException(
          "'conv_general' needs an NHWC input and an HWIO kernel (both rank 4), got input "
              + x
              + " and kernel "
              + k
              + "; add a batch axis with reshape/expandDims for a single image");
    }
    if (x.dtype() != k.dtype() || !x.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "'conv_general' needs float operands of one dtype, got input "
              + x
              + " and kernel "
              + k
              + "; convert with astype");
    }
    if (x.shape().dim(3) != k.shape().dim(2)) {
      throw new IllegalArgumentException(
          "'conv_general': input channels "
              + x.shape().dim(3)
              + " (axis 3 of input "
              + x
              + ") do not match kernel input channels "
              + k.shape().dim(2)
              + " (axis 2 of HWIO kernel "
              + k
              + ")");
    }
    int[] s = p.ints("strides");
    int[] pad = p.ints("padding");
    if (s.length != 2 || s[0] < 1 || s[1] < 1 || pad.length != 4) {
      throw new IllegalArgumentException(
          "'conv_general' needs strides {sh, sw} >= 1 and padding {top, bottom, left, right}, got"
              + " strides "
              + Arrays.toString(s)
              + " padding "
              + Arrays.toString(pad));
    }
    int hp = x.shape().dim(1) + pad[0] + pad[1];
    int wp = x.shape().dim(2) + pad[2] + pad[3];
    if (hp < k.shape().dim(0) || wp < k.shape().dim(1)) {
      throw new IllegalArgumentException(
          "'conv_general': the kernel "
              + k
              + " is larger than the padded input ("
              + hp
              + " x "
              + wp
              + " from input "
              + x
              + " and padding "
              + Arrays.toString(pad)
              + "); use more padding or a smaller kernel");
    }
    int oh = (hp - k.shape().dim(0)) / s[0] + 1;
    int ow = (wp - k.shape().dim(1)) / s[1] + 1;
    return new AbstractValue(Shape.of(x.shape().dim(0), oh, ow, k.shape().dim(3)), x.dtype());
  }

  private static List<HostArray> referenceConv(
      List<HostArray> in, Params p, List<AbstractValue> out) {
    HostArray xa = in.get(0);
    HostArray ka = in.get(1);
    int[] xd = xa.shape().dims();
    int[] kd = ka.shape().dims();
    int[] od = out.get(0).shape().dims();
    int[] s = p.ints("strides");
    int[] pad = p.ints("padding");
    int n = xd[0];
    int h = xd[1];
    int w = xd[2];
    int c = xd[3];
    int kh = kd[0];
    int kw = kd[1];
    int o = kd[3];
    int oh = od[1];
    int ow = od[2];
    double[] x = xa.doubles();
    double[] k = ka.doubles();
    double[] r = new double[n * oh * ow * o];
    for (int b = 0; b < n; b++) {
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          int rBase = ((b * oh + i) * ow + j) * o;
          for (int u = 0; u < kh; u++) {
            int ih = i * s[0] + u - pad[0];
            if (ih < 0 || ih >= h) {
              continue;
            }
            for (int v = 0; v < kw; v++) {
              int iw = j * s[1] + v - pad[2];
              if (iw < 0 || iw >= w) {
                continue;
              }
              int xBase = ((b * h + ih) * w + iw) * c;
              int kBase = (u * kw + v) * c * o;
              for (int ci = 0; ci < c; ci++) {
                double xv = x[xBase + ci];
                if (xv == 0) {
                  continue;
                }
                int kRow = kBase + ci * o;
                for (int q = 0; q < o; q++) {
                  r[rBase + q] += xv * k[kRow + q];
                }
              }
            }
          }
        }
      }
    }
    return List.of(HostArray.ofDoubles(out.get(0), r));
  }

  /** Inserts {@code stride - 1} zeros between elements of axes {@code a0} and {@code a1}. */
  private static Tensor dilate(Tensor x, int a0, int a1, int[] s) {
    if (s[0] == 1 && s[1] == 1) {
      return x;
    }
    int[] zero = new int[x.rank()];
    int[] interior = new int[x.rank()];
    interior[a0] = s[0] - 1;
    interior[a1] = s[1] - 1;
    return Indexing.pad(x, Tensor.scalar(0, x.dtype()), zero, zero, interior);
  }

  private static Tensor reversed(Tensor x, int axis) {
    int n = x.shape().dim(axis);
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = n - 1 - i;
    }
    return Indexing.gather(x, Tensor.of(idx), axis, 0);
  }

  private static List<Tensor> transposeConv(List<Tensor> cts, List<Object> args, Params p) {
    Tensor ct = cts.get(0);
    boolean linX = args.get(0) instanceof Linear;
    boolean linK = args.get(1) instanceof Linear;
    if (linX && linK) {
      throw new UnsupportedOperationException(
          "'conv_general' of two tangents is not linear and cannot be transposed");
    }
    if (ct == null) {
      return Arrays.asList(null, null);
    }
    int[] s = p.ints("strides");
    int[] pad = p.ints("padding");
    int ohc = ct.shape().dim(1);
    int owc = ct.shape().dim(2);
    int dh = (ohc - 1) * s[0] + 1;
    int dw = (owc - 1) * s[1] + 1;
    if (linX) {
      AbstractValue xv = ((Linear) args.get(0)).aval();
      Tensor k = (Tensor) args.get(1);
      int h = xv.shape().dim(1);
      int w = xv.shape().dim(2);
      int kh = k.shape().dim(0);
      int kw = k.shape().dim(1);
      // Flip the kernel spatially and swap I/O: [KH, KW, O, C].
      Tensor kf = Structural.transpose(reversed(reversed(k, 0), 1), 0, 1, 3, 2);
      int top = kh - 1 - pad[0];
      int left = kw - 1 - pad[2];
      int[] padding = {top, h + kh - 1 - dh - top, left, w + kw - 1 - dw - left};
      Tensor dx = conv(dilate(ct, 1, 2, s), kf, new int[] {1, 1}, padding);
      return Arrays.asList(dx, null);
    }
    Tensor x = (Tensor) args.get(0);
    AbstractValue kv = ((Linear) args.get(1)).aval();
    int h = x.shape().dim(1);
    int w = x.shape().dim(2);
    int kh = kv.shape().dim(0);
    int kw = kv.shape().dim(1);
    // dk[u, v, c, o] = sum_{n, i, j} x[n, i*sh + u - top, j*sw + v - left, c] * ct[n, i, j, o]:
    // a convolution of x as [C, H, W, N] with the dilated cotangent as a [DH, DW, N, O] kernel.
    Tensor xt = Structural.transpose(x, 3, 1, 2, 0);
    Tensor ctk = dilate(Structural.transpose(ct, 1, 2, 0, 3), 0, 1, s);
    int[] padding = {pad[0], kh + dh - 1 - h - pad[0], pad[2], kw + dw - 1 - w - pad[2]};
    Tensor dk = conv(xt, ctk, new int[] {1, 1}, padding);
    return Arrays.asList(null, Structural.transpose(dk, 1, 2, 0, 3));
  }

  private static Batched batchConv(List<Tensor> args, int[] bd, Params p) {
    Tensor x = args.get(0);
    Tensor k = args.get(1);
    boolean bx = bd[0] != Primitive.NOT_MAPPED;
    boolean bk = bd[1] != Primitive.NOT_MAPPED;
    if (bx && !bk) {
      x = Structural.moveAxis(x, bd[0], 0);
      int[] d = x.shape().dims();
      Tensor y = CONV_GENERAL.bind1(p, Structural.reshape(x, d[0] * d[1], d[2], d[3], d[4]), k);
      int[] yd = y.shape().dims();
      return Batched.of(Structural.reshape(y, d[0], d[1], yd[1], yd[2], yd[3]), 0);
    }
    if (bk && !bx) {
      // [KH, KW, C, B, O] -> [KH, KW, C, B*O]: the batch becomes extra output channels.
      k = Structural.moveAxis(k, bd[1], 3);
      int[] d = k.shape().dims();
      Tensor y = CONV_GENERAL.bind1(p, x, Structural.reshape(k, d[0], d[1], d[2], d[3] * d[4]));
      int[] yd = y.shape().dims();
      return Batched.of(Structural.reshape(y, yd[0], yd[1], yd[2], d[3], d[4]), 3);
    }
    x = Structural.moveAxis(x, bd[0], 0);
    k = Structural.moveAxis(k, bd[1], 0);
    int size = x.shape().dim(0);
    List<Tensor> outs = new ArrayList<>(size);
    for (int b = 0; b < size; b++) {
      Tensor xb = Indexing.squeeze(sliceFirst(x, b), 0);
      Tensor kb = Indexing.squeeze(sliceFirst(k, b), 0);
      outs.add(Indexing.expandDims(CONV_GENERAL.bind1(p, xb, kb), 0));
    }
    return Batched.of(Indexing.concatenate(outs, 0), 0);
  }

  private static Tensor sliceFirst(Tensor x, int b) {
    int[] start = new int[x.rank()];
    int[] limit = x.shape().dims();
    int[] strides = new int[x.rank()];
    Arrays.fill(strides, 1);
    start[0] = b;
    limit[0] = b + 1;
    return Indexing.slice(x, start, limit, strides);
  }
}
