package dev.arbor.core;

import dev.arbor.array.DType;
import dev.arbor.backend.HostArray;

/** Prints tensors the way numpy does: nested brackets, truncated with {@code ...} when large. */
final class TensorFormat {
  private static final int THRESHOLD = 1000;
  private static final int EDGE = 3;

  private TensorFormat() {}

  static String format(ConcreteTensor t) {
    if (t.rawBuffer().isReleased()) {
      return "Tensor(" + t.aval() + ", released)";
    }
    HostArray h = t.host();
    int[] dims = t.shape().dims();
    boolean truncate = h.size() > THRESHOLD;
    StringBuilder sb = new StringBuilder("Tensor(");
    append(sb, h, dims, 0, 0, truncate, 7);
    sb.append(", ").append(t.aval()).append(')');
    return sb.toString();
  }

  private static void append(
      StringBuilder sb,
      HostArray h,
      int[] dims,
      int axis,
      int offset,
      boolean truncate,
      int indent) {
    if (axis == dims.length) {
      sb.append(element(h, offset));
      return;
    }
    int n = dims[axis];
    int stride = 1;
    for (int k = axis + 1; k < dims.length; k++) {
      stride *= dims[k];
    }
    // As numpy: elements of the last axis on one line; rows one per line; blocks of higher
    // axes separated by one blank line per extra dimension.
    String sep =
        axis == dims.length - 1
            ? ", "
            : "," + "\n".repeat(dims.length - axis - 1) + " ".repeat(indent + axis + 1);
    sb.append('[');
    for (int k = 0; k < n; k++) {
      if (truncate && n > 2 * EDGE && k == EDGE) {
        sb.append("...").append(sep);
        k = n - EDGE - 1;
        continue;
      }
      append(sb, h, dims, axis + 1, offset + k * stride, truncate, indent);
      if (k < n - 1) {
        sb.append(sep);
      }
    }
    sb.append(']');
  }

  private static String element(HostArray h, int k) {
    DType t = h.dtype();
    if (t == DType.BOOL) {
      return h.getLong(k) != 0 ? "true" : "false";
    }
    if (t.isInteger()) {
      return Long.toString(h.getLong(k));
    }
    double d = h.getDouble(k);
    return t == DType.F32 ? Float.toString((float) d) : Double.toString(d);
  }
}
