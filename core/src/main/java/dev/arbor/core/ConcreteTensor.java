package dev.arbor.core;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;

/**
 * A tensor with data: a buffer on one backend. Immutable. Its buffer is released when the tensor is
 * garbage-collected, or eagerly at the end of the {@code Arbor.scope()} it was created in.
 *
 * <p>Serializable (Java serialization, as Apache Spark uses it): the stream holds a heap copy of
 * the data with its dtype and shape ({@link TensorSerialForm}), never the buffer, and reads back
 * onto the reading JVM's default backend. A released tensor fails to serialize with the scope's
 * error.
 */
public final class ConcreteTensor implements Tensor, Serializable {
  @Serial private static final long serialVersionUID = 1L;
  private static final Cleaner CLEANER = Cleaner.create();

  // transient: the serial form is TensorSerialForm (writeReplace), these are never written.
  private final transient Backend backend;
  private final transient Buffer buffer;
  private final transient AbstractValue aval;
  private final transient boolean committed;

  private ConcreteTensor(Backend backend, Buffer buffer, AbstractValue aval, boolean committed) {
    this.backend = backend;
    this.buffer = buffer;
    this.aval = aval;
    this.committed = committed;
  }

  /**
   * Wraps a fresh buffer as a committed tensor (see {@link #isCommitted()}); registers it for
   * release when this tensor becomes unreachable.
   */
  public static ConcreteTensor wrap(Backend backend, Buffer buffer, AbstractValue aval) {
    return wrap(backend, buffer, aval, true);
  }

  /** Wraps a fresh buffer, committed to its backend or not. */
  public static ConcreteTensor wrap(
      Backend backend, Buffer buffer, AbstractValue aval, boolean committed) {
    ConcreteTensor t = new ConcreteTensor(backend, buffer, aval, committed);
    CLEANER.register(t, buffer::release);
    Scope.track(t);
    return t;
  }

  /**
   * An uncommitted tensor on the default backend holding {@code data} (what the {@code Tensor}
   * factories create).
   */
  public static ConcreteTensor of(HostArray data) {
    Backend b = Backends.defaultBackend();
    return wrap(b, b.upload(data), data.aval(), false);
  }

  /**
   * Whether this tensor is committed to its backend, as in JAX: tensors placed with {@link
   * #to(String)}, and results of operations with a committed input, are committed; tensors made by
   * the {@code Tensor} factories (and results of operations on only those) are not. An operation
   * moves uncommitted inputs to the backend of its committed ones; committed inputs on two backends
   * are an error that names {@code to(...)}.
   */
  public boolean isCommitted() {
    return committed;
  }

  public Backend backend() {
    return backend;
  }

  public Buffer buffer() {
    if (buffer.isReleased()) {
      throw new IllegalStateException(
          "this tensor ("
              + aval
              + ") was released at the end of an Arbor.scope() block; keep tensors needed"
              + " after the block with scope.keep(t)");
    }
    return buffer;
  }

  public AbstractValue aval() {
    return aval;
  }

  Buffer rawBuffer() {
    return buffer;
  }

  @Override
  public Shape shape() {
    return aval.shape();
  }

  @Override
  public DType dtype() {
    return aval.dtype();
  }

  /** The data, copied to the host if this backend's memory is elsewhere. */
  public HostArray host() {
    return backend.download(buffer());
  }

  // The copies below read the buffer, not this tensor: each fences this tensor so that its Cleaner
  // cannot release the buffer while it is being read (the JIT may otherwise consider the tensor
  // unreachable once its buffer has been loaded).

  @Override
  public float[] toFloatArray() {
    double[] d = toDoubleArray();
    float[] r = new float[d.length];
    for (int k = 0; k < d.length; k++) {
      r[k] = (float) d[k];
    }
    return r;
  }

  @Override
  public double[] toDoubleArray() {
    try {
      return host().toDoubles();
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  @Override
  public long[] toLongArray() {
    try {
      return host().toLongs();
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  @Override
  public Tensor to(String backendName) {
    Backend target = Backends.get(backendName);
    if (target == backend && committed) {
      return this;
    }
    try {
      return wrap(target, target.upload(host()), aval, true);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  @Override
  public Tensor blockUntilReady() {
    buffer.awaitReady();
    return this;
  }

  @Override
  public String toString() {
    return TensorFormat.format(this);
  }

  @Serial
  private Object writeReplace() {
    return TensorSerialForm.of(this);
  }

  @Serial
  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("a ConcreteTensor is read through its TensorSerialForm");
  }
}
