package dev.arbor.core.primitives;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;

/** Helpers for JVP and transpose rules, where {@code null} stands for a symbolic zero. */
public final class AdMath {
  private AdMath() {}

  /** Sum of two tangents, either of which may be a symbolic zero. */
  public static Tensor addTangents(Tensor a, Tensor b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return Elementwise.add(a, b);
  }

  /** Concrete zeros of {@code x}'s shape and dtype. */
  public static Tensor zerosLike(Tensor x) {
    return Tensor.full(0, x.dtype(), x.shape().dims());
  }

  /** Concrete ones of {@code x}'s shape and dtype. */
  public static Tensor onesLike(Tensor x) {
    return Tensor.full(1, x.dtype(), x.shape().dims());
  }

  /** A scalar broadcast to {@code x}'s shape, in {@code x}'s dtype (concrete). */
  public static Tensor fullLike(Tensor x, double v) {
    return Tensor.full(v, x.dtype(), x.shape().dims());
  }

  /**
   * The derivative weight of a max/min operand: 1 where it strictly wins, 1/2 where it ties, 0
   * elsewhere.
   */
  public static Tensor chooserWeight(Tensor strictlyChosen, Tensor tie, DType dtype) {
    Tensor w = Elementwise.convert(strictlyChosen, dtype);
    Tensor half = Elementwise.mul(Elementwise.convert(tie, dtype), fullLike(w, 0.5));
    return Elementwise.add(w, half);
  }
}
