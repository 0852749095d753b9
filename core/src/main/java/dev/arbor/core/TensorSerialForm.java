package dev.arbor.core;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.HostArray;
import java.io.InvalidObjectException;
import java.io.Serial;
import java.io.Serializable;
import java.lang.ref.Reference;

/**
 * What a {@link ConcreteTensor} writes to a Java serialization stream: its dtype, dimensions and a
 * heap copy of its data (doubles for floating dtypes, longs for integer and boolean ones, as {@link
 * HostArray} holds them). Reading it back validates the sizes and uploads the data to the reading
 * JVM's default backend, so a tensor written on one backend (or machine) arrives on the local one.
 */
record TensorSerialForm(DType dtype, int[] dims, double[] doubles, long[] longs)
    implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  static TensorSerialForm of(ConcreteTensor t) {
    try {
      HostArray h = t.host();
      return new TensorSerialForm(
          t.dtype(),
          t.shape().dims(),
          h.dtype().isFloating() ? h.toDoubles() : null,
          h.dtype().isFloating() ? null : h.toLongs());
    } finally {
      // host() reads the buffer, not the tensor: keep the Cleaner from releasing it meanwhile.
      Reference.reachabilityFence(t);
    }
  }

  @Serial
  private Object readResolve() throws InvalidObjectException {
    if (dtype == null || dims == null || (doubles == null) == (longs == null)) {
      throw new InvalidObjectException(
          "corrupt tensor in stream: needs a dtype, dims and exactly one of doubles/longs");
    }
    try {
      AbstractValue aval = new AbstractValue(Shape.of(dims), dtype);
      HostArray data =
          dtype.isFloating() ? HostArray.ofDoubles(aval, doubles) : HostArray.ofLongs(aval, longs);
      return ConcreteTensor.of(data);
    } catch (IllegalArgumentException e) {
      InvalidObjectException bad = new InvalidObjectException("corrupt tensor in stream: " + e);
      bad.initCause(e);
      throw bad;
    }
  }
}
