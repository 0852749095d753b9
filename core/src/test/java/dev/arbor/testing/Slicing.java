package dev.arbor.testing;

import dev.arbor.array.Tensor;

/** Host-side slicing for test oracles (independent of the primitives under test). */
public final class Slicing {
  private Slicing() {}

  /** {@code x} with {@code axis} fixed at {@code i} (the axis removed), computed on the host. */
  public static Tensor index(Tensor x, int axis, int i) {
    int[] d = x.shape().dims();
    double[] v = x.toDoubleArray();
    int outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= d[k];
    }
    int inner = 1;
    for (int k = axis + 1; k < d.length; k++) {
      inner *= d[k];
    }
    double[] r = new double[outer * inner];
    for (int o = 0; o < outer; o++) {
      System.arraycopy(v, (o * d[axis] + i) * inner, r, o * inner, inner);
    }
    int[] nd = new int[d.length - 1];
    for (int k = 0, j = 0; k < d.length; k++) {
      if (k != axis) {
        nd[j++] = d[k];
      }
    }
    Tensor t = Tensor.fromArray(r, nd);
    return x.dtype() == t.dtype() ? t : t.astype(x.dtype());
  }
}
