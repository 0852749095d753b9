package dev.arbor.backend;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.core.AbstractValue;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Dense row-major data on the Java heap: the reference backend's buffer and the interchange format
 * between backends. Floating types are held as {@code double[]} (F32 values are rounded to float
 * precision on every write), integer and boolean types as {@code long[]} (I32 values are wrapped to
 * 32 bits on every write, BOOL is 0 or 1). Immutable once handed to a tensor.
 */
public final class HostArray implements Buffer {
  private static final AtomicLong LIVE = new AtomicLong();

  private final AbstractValue aval;
  private double[] f;
  private long[] i;
  private volatile boolean released;

  private HostArray(AbstractValue aval, double[] f, long[] i) {
    this.aval = aval;
    this.f = f;
    this.i = i;
    LIVE.incrementAndGet();
  }

  /** A zero-filled array of the given type and shape. */
  public static HostArray zeros(AbstractValue aval) {
    long n = aval.shape().size();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "tensor of " + n + " elements " + aval + " is too large for the reference backend");
    }
    return aval.dtype().isFloating()
        ? new HostArray(aval, new double[(int) n], null)
        : new HostArray(aval, null, new long[(int) n]);
  }

  /** Wraps (without copying) double data for a floating type, rounding F32 values. */
  public static HostArray ofDoubles(AbstractValue aval, double[] data) {
    check(aval, data.length, true);
    if (aval.dtype() == DType.F32) {
      for (int k = 0; k < data.length; k++) {
        data[k] = (float) data[k];
      }
    }
    return new HostArray(aval, data, null);
  }

  /** Wraps (without copying) long data for an integer/boolean type, normalizing values. */
  public static HostArray ofLongs(AbstractValue aval, long[] data) {
    check(aval, data.length, false);
    for (int k = 0; k < data.length; k++) {
      data[k] = normalize(aval.dtype(), data[k]);
    }
    return new HostArray(aval, null, data);
  }

  private static void check(AbstractValue aval, int length, boolean floating) {
    if (aval.dtype().isFloating() != floating) {
      throw new IllegalArgumentException(
          "dtype " + aval.dtype() + " needs " + (floating ? "long" : "double") + " data");
    }
    if (aval.shape().size() != length) {
      throw new IllegalArgumentException(
          "shape " + aval.shape() + " needs " + aval.shape().size() + " values, got " + length);
    }
  }

  static long normalize(DType t, long v) {
    return switch (t) {
      case I32 -> (int) v;
      case BOOL -> v != 0 ? 1 : 0;
      default -> v;
    };
  }

  /** Number of HostArrays allocated and not yet released (leak tests). */
  public static long live() {
    return LIVE.get();
  }

  public AbstractValue aval() {
    return aval;
  }

  public Shape shape() {
    return aval.shape();
  }

  public DType dtype() {
    return aval.dtype();
  }

  /** Number of elements. */
  public int size() {
    return f != null ? f.length : i.length;
  }

  /** Element {@code k} (row-major) as a double. */
  public double getDouble(int k) {
    return f != null ? f[k] : (double) i[k];
  }

  /** Element {@code k} as a long (floats truncate toward zero). */
  public long getLong(int k) {
    return i != null ? i[k] : (long) f[k];
  }

  /** Writes element {@code k} from a double (converting per dtype). */
  public void setDouble(int k, double v) {
    if (f != null) {
      f[k] = aval.dtype() == DType.F32 ? (float) v : v;
    } else {
      i[k] = aval.dtype() == DType.BOOL ? (v != 0 ? 1 : 0) : normalize(aval.dtype(), (long) v);
    }
  }

  /** Writes element {@code k} from a long. */
  public void setLong(int k, long v) {
    if (f != null) {
      f[k] = aval.dtype() == DType.F32 ? (float) v : (double) v;
    } else {
      i[k] = normalize(aval.dtype(), v);
    }
  }

  /** Copies element {@code src} of {@code from} (same dtype) to element {@code dst} here. */
  public void copyElement(HostArray from, int src, int dst) {
    if (f != null) {
      f[dst] = from.f[src];
    } else {
      i[dst] = from.i[src];
    }
  }

  /** The raw double data (floating dtypes), or null. Do not modify. */
  public double[] doubles() {
    ensureLive();
    return f;
  }

  /** The raw long data (integer/bool dtypes), or null. Do not modify. */
  public long[] longs() {
    ensureLive();
    return i;
  }

  private void ensureLive() {
    if (released) {
      throw new IllegalStateException(
          "this tensor's buffer was released (at the end of an Arbor.scope() block); keep"
              + " tensors needed after the block with scope.keep(t)");
    }
  }

  @Override
  public long byteSize() {
    return aval.shape().size() * aval.dtype().byteSize();
  }

  @Override
  public void release() {
    if (!released) {
      released = true;
      f = null;
      i = null;
      LIVE.decrementAndGet();
    }
  }

  @Override
  public boolean isReleased() {
    return released;
  }

  /** The values as a double array copy. */
  public double[] toDoubles() {
    ensureLive();
    if (f != null) {
      return f.clone();
    }
    double[] d = new double[i.length];
    for (int k = 0; k < d.length; k++) {
      d[k] = i[k];
    }
    return d;
  }

  /** The values as a long array copy. */
  public long[] toLongs() {
    ensureLive();
    if (i != null) {
      return i.clone();
    }
    long[] d = new long[f.length];
    for (int k = 0; k < d.length; k++) {
      d[k] = (long) f[k];
    }
    return d;
  }

  @Override
  public String toString() {
    return aval + (f != null ? Arrays.toString(f) : Arrays.toString(i));
  }
}
