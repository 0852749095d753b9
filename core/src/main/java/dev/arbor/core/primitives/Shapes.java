package dev.arbor.core.primitives;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.core.AbstractValue;
import java.util.List;

/** Shared checks and index arithmetic for primitive rules and reference kernels. */
public final class Shapes {
  private Shapes() {}

  /** Fails unless {@code in} has exactly {@code n} operands. */
  public static void arity(String op, List<AbstractValue> in, int n) {
    if (in.size() != n) {
      throw new IllegalArgumentException(
          "'" + op + "' takes " + n + " operand(s), got " + in.size() + ": " + in);
    }
  }

  /** Fails unless all operands have the same shape and dtype; returns the first. */
  public static AbstractValue sameShapeAndType(String op, List<AbstractValue> in) {
    AbstractValue first = in.get(0);
    for (AbstractValue a : in) {
      if (!a.equals(first)) {
        throw new IllegalArgumentException(
            "'"
                + op
                + "' needs operands of equal shape and dtype, got "
                + in
                + "; Ops."
                + op
                + " broadcasts and promotes for you, or use broadcastTo/astype");
      }
    }
    return first;
  }

  /** Fails unless the dtype is floating. */
  public static void requireFloat(String op, AbstractValue a) {
    if (!a.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "'" + op + "' needs a float tensor, got " + a + "; convert with astype(DType.F32)");
    }
  }

  /** Fails unless the dtype is integer or bool. */
  public static void requireIntegral(String op, AbstractValue a) {
    if (a.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "'" + op + "' needs an integer or boolean tensor, got " + a);
    }
  }

  /** Normalizes and validates axes (distinct, in range) against {@code shape}. */
  public static int[] axes(String op, Shape shape, int[] axes) {
    int[] r = new int[axes.length];
    boolean[] seen = new boolean[shape.rank()];
    for (int k = 0; k < axes.length; k++) {
      int a = axes[k] < 0 ? axes[k] + shape.rank() : axes[k];
      if (a < 0 || a >= shape.rank()) {
        throw new IllegalArgumentException(
            "'" + op + "': axis " + axes[k] + " is out of range for shape " + shape);
      }
      if (seen[a]) {
        throw new IllegalArgumentException(
            "'" + op + "': axis " + axes[k] + " repeated in " + java.util.Arrays.toString(axes));
      }
      seen[a] = true;
      r[k] = a;
    }
    return r;
  }

  /** The multi-index of row-major position {@code flat} in {@code dims}, into {@code idx}. */
  public static void unravel(long flat, int[] dims, int[] idx) {
    for (int k = dims.length - 1; k >= 0; k--) {
      int d = dims[k];
      idx[k] = d == 0 ? 0 : (int) (flat % d);
      flat = d == 0 ? 0 : flat / d;
    }
  }

  /** Row-major position of {@code idx} in {@code dims}. */
  public static int ravel(int[] idx, int[] dims) {
    int p = 0;
    for (int k = 0; k < dims.length; k++) {
      p = p * dims[k] + idx[k];
    }
    return p;
  }

  /** Abstract value with a new shape. */
  public static AbstractValue withShape(AbstractValue a, int... dims) {
    return new AbstractValue(Shape.of(dims), a.dtype());
  }

  /** Abstract value with a new dtype. */
  public static AbstractValue withType(AbstractValue a, DType t) {
    return new AbstractValue(a.shape(), t);
  }
}
