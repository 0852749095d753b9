package dev.arbor.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Optional;

/**
 * A pytree written with Java serialization, as a {@link Serializable} value Spark can ship in a
 * closure, a broadcast or a task result.
 *
 * <p>Tensors serialize themselves (a heap copy, read back onto the reading JVM's default backend);
 * lists, maps, enums, {@code Serializable} records and classes serialize as usual. Records that do
 * not implement {@code Serializable} (layers and optimizer states of other libraries, say) and
 * {@code Optional} are written component by component and rebuilt through their canonical
 * constructor, so any tree of records works without changing the record. Other non-serializable
 * nodes fail with an error naming the class.
 *
 * <p>{@link #get()} deserializes once and caches the tree (thread-safe): tasks of one executor that
 * read the same broadcast share it. Trees are immutable, so sharing is safe.
 *
 * @param <T> the tree's type
 */
public final class SerializedTree<T> implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private final byte[] bytes;
  private transient volatile T tree;

  private SerializedTree(byte[] bytes, T tree) {
    this.bytes = bytes;
    this.tree = tree;
  }

  /**
   * Serializes {@code tree} now (so later changes to mutable leaves, if any, are not seen).
   *
   * @throws IllegalArgumentException if a node is neither serializable nor a record
   */
  public static <T> SerializedTree<T> of(T tree) {
    var out = new ByteArrayOutputStream();
    try (var s = new TreeOutputStream(out)) {
      s.writeObject(tree);
    } catch (NotSerializableException e) {
      throw new IllegalArgumentException(
          "cannot serialize the tree: it holds a "
              + e.getMessage()
              + ", which is neither java.io.Serializable nor a record; make it implement"
              + " Serializable (or hold the values in a record)",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new SerializedTree<>(out.toByteArray(), null);
  }

  /** The tree, deserialized on first use in this JVM and then cached. */
  @SuppressWarnings("unchecked")
  public T get() {
    T t = tree;
    if (t == null) {
      synchronized (this) {
        t = tree;
        if (t == null) {
          try (var in = new TreeInputStream(new ByteArrayInputStream(bytes))) {
            t = (T) in.readObject();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } catch (ClassNotFoundException e) {
            throw new IllegalStateException(
                "a class of the tree is missing here (ship the jar that holds it): " + e, e);
          }
          tree = t;
        }
      }
    }
    return t;
  }

  /** The size of the serialized form in bytes. */
  public int byteSize() {
    return bytes.length;
  }

  /** A non-serializable record, written as its class and component values. */
  private record RecordForm(Class<?> type, Object[] components) implements Serializable {
    @Serial private static final long serialVersionUID = 1L;

    static RecordForm of(Record r) {
      RecordComponent[] rc = r.getClass().getRecordComponents();
      Object[] values = new Object[rc.length];
      try {
        for (int k = 0; k < rc.length; k++) {
          var accessor = rc[k].getAccessor();
          accessor.setAccessible(true);
          values[k] = accessor.invoke(r);
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalArgumentException("cannot read the components of " + r.getClass(), e);
      }
      return new RecordForm(r.getClass(), values);
    }

    Object rebuild() throws IOException {
      RecordComponent[] rc = type.getRecordComponents();
      if (rc == null || rc.length != components.length) {
        throw new java.io.InvalidObjectException(type + " no longer has the serialized components");
      }
      Class<?>[] types = new Class<?>[rc.length];
      for (int k = 0; k < rc.length; k++) {
        types[k] = rc[k].getType();
      }
      try {
        Constructor<?> c = type.getDeclaredConstructor(types);
        c.setAccessible(true);
        return c.newInstance(components);
      } catch (ReflectiveOperationException | RuntimeException e) {
        var bad = new java.io.InvalidObjectException("cannot rebuild " + type.getName() + ": " + e);
        bad.initCause(e);
        throw bad;
      }
    }
  }

  /** {@code Optional} is not serializable; it is a pytree node, so trees may hold it. */
  private record OptionalForm(Object value) implements Serializable {
    @Serial private static final long serialVersionUID = 1L;
  }

  private static final class TreeOutputStream extends ObjectOutputStream {
    TreeOutputStream(OutputStream out) throws IOException {
      super(out);
      enableReplaceObject(true);
    }

    @Override
    protected Object replaceObject(Object obj) {
      if (obj instanceof Record r && !(obj instanceof Serializable)) {
        return RecordForm.of(r);
      }
      if (obj instanceof Optional<?> o) {
        return new OptionalForm(o.orElse(null));
      }
      return obj;
    }
  }

  private static final class TreeInputStream extends ObjectInputStream {
    TreeInputStream(InputStream in) throws IOException {
      super(in);
      enableResolveObject(true);
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc)
        throws IOException, ClassNotFoundException {
      // Spark loads user classes (the job's jars) through the task's context class loader.
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      if (cl != null) {
        try {
          return Class.forName(desc.getName(), false, cl);
        } catch (ClassNotFoundException e) {
          // fall back to the default lookup (primitives, the JDK)
        }
      }
      return super.resolveClass(desc);
    }

    @Override
    protected Object resolveObject(Object obj) throws IOException {
      if (obj instanceof RecordForm f) {
        return f.rebuild();
      }
      if (obj instanceof OptionalForm o) {
        return Optional.ofNullable(o.value());
      }
      return obj;
    }
  }
}
