package dev.arbor.core;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * The static parameters of one primitive application (axes, shapes, dtypes, sub-graphs), an
 * immutable map with deep value equality so that equations can be compared and cached. Arrays are
 * copied in and compared by content.
 */
public final class Params {
  /** No parameters. */
  public static final Params EMPTY = new Params(Map.of());

  private final Map<String, Object> values;

  private Params(Map<String, Object> values) {
    this.values = values;
  }

  /** Builds from alternating name/value pairs: {@code Params.of("axes", new int[] {0})}. */
  public static Params of(Object... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("Params.of needs name/value pairs");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      m.put((String) namesAndValues[i], copy(namesAndValues[i + 1]));
    }
    return new Params(Collections.unmodifiableMap(m));
  }

  /** A copy with one more (or replaced) parameter. */
  public Params with(String name, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(values);
    m.put(name, copy(value));
    return new Params(Collections.unmodifiableMap(m));
  }

  private static Object copy(Object v) {
    if (v instanceof int[] a) {
      return a.clone();
    }
    if (v instanceof long[] a) {
      return a.clone();
    }
    return v;
  }

  /** The raw value, or null. */
  public Object get(String name) {
    return values.get(name);
  }

  /** The parameter names and values (unmodifiable). */
  public Map<String, Object> asMap() {
    return values;
  }

  private Object require(String name) {
    Object v = values.get(name);
    if (v == null) {
      throw new AssertionError("missing parameter '" + name + "' in " + this);
    }
    return v;
  }

  /** An int[] parameter (a copy). */
  public int[] ints(String name) {
    return ((int[]) require(name)).clone();
  }

  /** An int parameter. */
  public int intValue(String name) {
    return (Integer) require(name);
  }

  /** A double parameter. */
  public double doubleValue(String name) {
    return ((Number) require(name)).doubleValue();
  }

  /** A typed parameter. */
  public <T> T get(String name, Class<T> type) {
    return type.cast(require(name));
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Params p) || !p.values.keySet().equals(values.keySet())) {
      return false;
    }
    for (var e : values.entrySet()) {
      if (!Objects.deepEquals(e.getValue(), p.values.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (var e : values.entrySet()) {
      h += e.getKey().hashCode() ^ Arrays.deepHashCode(new Object[] {e.getValue()});
    }
    return h;
  }

  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(" ");
    values.forEach((k, v) -> j.add(k + "=" + render(v)));
    return j.toString();
  }

  private static String render(Object v) {
    if (v instanceof int[] a) {
      return Arrays.toString(a).replace(" ", "");
    }
    if (v instanceof long[] a) {
      return Arrays.toString(a).replace(" ", "");
    }
    return String.valueOf(v);
  }
}
