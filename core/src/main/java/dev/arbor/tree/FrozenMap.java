package dev.arbor.tree;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;

/**
 * The map unflatten builds: unmodifiable, in the flatten order of its keys, {@code null} values
 * allowed (partition holes), equality as any {@code Map}. Two arrays and no hashing for small maps;
 * the key index of larger ones is built once per {@link BuiltinKinds.MapKeys} and shared by every
 * map rebuilt from the same structure.
 */
final class FrozenMap extends AbstractMap<Object, Object> implements SequencedMap<Object, Object> {
  final BuiltinKinds.MapKeys keys;
  final Object[] values;

  /** Wraps {@code values} (owned by the result), one per key of {@code keys}. */
  FrozenMap(BuiltinKinds.MapKeys keys, Object[] values) {
    this.keys = keys;
    this.values = values;
  }

  @Override
  public int size() {
    return values.length;
  }

  @Override
  public boolean containsKey(Object key) {
    return keys.indexOf(key) >= 0;
  }

  @Override
  public Object get(Object key) {
    int i = keys.indexOf(key);
    return i < 0 ? null : values[i];
  }

  @Override
  public Set<Entry<Object, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return values.length;
      }

      @Override
      public Iterator<Entry<Object, Object>> iterator() {
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < values.length;
          }

          @Override
          public Entry<Object, Object> next() {
            if (next >= values.length) {
              throw new NoSuchElementException();
            }
            int i = next++;
            return new SimpleImmutableEntry<>(keys.keys[i], values[i]);
          }
        };
      }
    };
  }

  @Override
  public SequencedMap<Object, Object> reversed() {
    int n = values.length;
    Object[] k = new Object[n];
    Object[] v = new Object[n];
    for (int i = 0; i < n; i++) {
      k[i] = keys.keys[n - 1 - i];
      v[i] = values[n - 1 - i];
    }
    return new FrozenMap(new BuiltinKinds.MapKeys(k), v);
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (int i = 0; i < values.length; i++) {
      h += Objects.hashCode(keys.keys[i]) ^ Objects.hashCode(values[i]);
    }
    return h;
  }
}
