package dev.arbor.nn;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;

/**
 * Average pooling over non-overlapping {@code window x window} patches (stride = window, VALID).
 * NHWC or one {@code [H, W, C]} image.
 *
 * @param window the window and stride, at least 1
 */
public record AvgPool2d(int window) implements Module<Tensor, Tensor> {
  public AvgPool2d {
    if (window < 1) {
      throw new IllegalArgumentException("AvgPool2d needs a window >= 1, got " + window);
    }
  }

  @Override
  public Tensor call(Tensor x) {
    return Pooling.pool(x, window, false, "AvgPool2d");
  }
}
