package dev.arbor.nn;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;

/**
 * Non-overlapping pooling by reshape: the spatial axes are cropped to a multiple of the window,
 * split into {@code [H/w, w, W/w, w]}, and reduced over the two window axes. That covers stride =
 * window with VALID padding (the common 2x2 case) and uses only reshape, slice and reductions,
 * which all have JVP, transpose and batching rules. Overlapping windows (stride &lt; window) would
 * need a reduce-window primitive, which Arbor does not have yet.
 */
final class Pooling {
  private Pooling() {}

  static Tensor pool(Tensor x, int window, boolean max, String layer) {
    boolean single = x.rank() == 3;
    if (single) {
      x = x.reshape(Conv2d.prepend1(x.shape().dims()));
    }
    if (x.rank() != 4) {
      throw new IllegalArgumentException(
          layer + " takes NHWC images [N, H, W, C] or one image [H, W, C], got " + x.shape());
    }
    int[] d = x.shape().dims();
    int oh = d[1] / window;
    int ow = d[2] / window;
    if (oh == 0 || ow == 0) {
      throw new IllegalArgumentException(
          layer + "(" + window + "): the window is larger than the image " + x.shape());
    }
    x = Ops.slice(Ops.slice(x, 1, 0, (long) oh * window), 2, 0, (long) ow * window);
    Tensor windows = x.reshape(d[0], oh, window, ow, window, d[3]);
    Tensor y = max ? windows.max(2, 4) : windows.mean(2, 4);
    return single ? y.reshape(oh, ow, d[3]) : y;
  }
}
