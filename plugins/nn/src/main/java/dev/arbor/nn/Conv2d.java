package dev.arbor.nn;

import dev.arbor.array.Tensor;
import dev.arbor.core.primitives.Convolution;
import dev.arbor.module.Module;
import dev.arbor.random.Key;

/**
 * A 2-d convolution over NHWC images with an HWIO kernel ({@code conv_general}), plus a bias.
 * Accepts {@code [N, H, W, C]} or one image {@code [H, W, C]} (for {@code vmap} over examples).
 *
 * <pre>{@code
 * Conv2d conv = Conv2d.init(Key.of(0), 1, 32, 3, 1, Padding.SAME);
 * Tensor y = conv.call(images);           // [N, 28, 28, 1] -> [N, 28, 28, 32]
 * }</pre>
 *
 * @param kernel {@code [KH, KW, in, out]}
 * @param bias {@code [out]}, or {@code null}
 * @param stride the same stride on both spatial axes, at least 1
 * @param padding {@link Padding#VALID} or {@link Padding#SAME}
 */
public record Conv2d(Tensor kernel, Tensor bias, int stride, Padding padding)
    implements Module<Tensor, Tensor> {
  public Conv2d {
    // Tensor shapes are checked in call(): transformations rebuild layers with batched leaves.
    if (stride < 1 || padding == null) {
      throw new IllegalArgumentException(
          "Conv2d needs stride >= 1 and a padding, got " + stride + ", " + padding);
    }
  }

  /**
   * A {@code size x size} convolution from {@code in} to {@code out} channels, weights and bias as
   * PyTorch draws them ({@link WeightInit#UNIFORM_FAN_IN}, fan-in {@code size*size*in}).
   */
  public static Conv2d init(Key key, int in, int out, int size, int stride, Padding padding) {
    Key[] k = key.split(2);
    int fanIn = size * size * in;
    int fanOut = size * size * out;
    Tensor w = WeightInit.UNIFORM_FAN_IN.init(k[0], fanIn, fanOut, size, size, in, out);
    Tensor b = WeightInit.UNIFORM_FAN_IN.init(k[1], fanIn, fanOut, out);
    return new Conv2d(w, b, stride, padding);
  }

  @Override
  public Tensor call(Tensor x) {
    boolean single = x.rank() == 3;
    if (single) {
      x = x.reshape(prepend1(x.shape().dims()));
    }
    if (x.rank() != 4) {
      throw new IllegalArgumentException(
          "Conv2d takes NHWC images [N, H, W, C] or one image [H, W, C], got " + x.shape());
    }
    int kh = kernel.shape().dim(0);
    int kw = kernel.shape().dim(1);
    int[] pad =
        padding == Padding.SAME
            ? Convolution.samePadding(x.shape().dim(1), x.shape().dim(2), kh, kw, stride, stride)
            : new int[4];
    Tensor y = Convolution.conv(x, kernel, new int[] {stride, stride}, pad);
    if (bias != null) {
      y = y.add(bias);
    }
    if (single) {
      int[] d = y.shape().dims();
      y = y.reshape(d[1], d[2], d[3]);
    }
    return y;
  }

  static int[] prepend1(int[] d) {
    int[] r = new int[d.length + 1];
    r[0] = 1;
    System.arraycopy(d, 0, r, 1, d.length);
    return r;
  }
}
