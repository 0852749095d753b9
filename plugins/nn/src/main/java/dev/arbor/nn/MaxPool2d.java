package dev.arbor.nn;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;

/**
 * Max pooling over non-overlapping {@code window x window} patches (stride = window, VALID: rows
 * and columns that do not fill a window are dropped). NHWC or one {@code [H, W, C]} image. Ties
 * share the gradient equally (the max reduction's rule).
 *
 * @param window the window and stride, at least 1
 */
public record MaxPool2d(int window) implements Module<Tensor, Tensor> {
  public MaxPool2d {
    if (window < 1) {
      throw new IllegalArgumentException("MaxPool2d needs a window >= 1, got " + window);
    }
  }

  @Override
  public Tensor call(Tensor x) {
    return Pooling.pool(x, window, true, "MaxPool2d");
  }
}
