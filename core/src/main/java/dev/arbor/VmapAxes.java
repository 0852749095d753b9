package dev.arbor;

import dev.arbor.array.Tensor;
import dev.arbor.tree.KeyPath;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Matches a vmap axis specification (an {@code Integer}, {@code null}, or a prefix tree of them
 * made of lists and maps) against the leaves of an argument or result.
 */
final class VmapAxes {
  private VmapAxes() {}

  record Entry(KeyPath path, Integer axis) {}

  /** Expands {@code spec} against {@code value} into one entry per spec leaf. */
  static List<Entry> entries(Object spec, Object value, String what) {
    List<Entry> out = new ArrayList<>();
    walk(spec, value, KeyPath.root(), out, what);
    return out;
  }

  private static void walk(Object spec, Object value, KeyPath path, List<Entry> out, String what) {
    if (spec == null || spec instanceof Integer) {
      out.add(new Entry(path, (Integer) spec));
      return;
    }
    if (spec instanceof List<?> l) {
      if (value instanceof Record r) {
        RecordComponent[] comps = r.getClass().getRecordComponents();
        if (comps.length != l.size()) {
          throw notPrefix(
              what,
              path,
              "a list of " + l.size() + " axes",
              r.getClass().getSimpleName() + " with " + comps.length + " components");
        }
        for (int i = 0; i < comps.length; i++) {
          walk(l.get(i), component(r, comps[i]), path.field(comps[i].getName()), out, what);
        }
      } else if (value instanceof List<?> vl) {
        if (vl.size() != l.size()) {
          throw notPrefix(what, path, "a list of " + l.size() + " axes", "a list of " + vl.size());
        }
        for (int i = 0; i < l.size(); i++) {
          walk(l.get(i), vl.get(i), path.index(i), out, what);
        }
      } else if (value instanceof Object[] va) {
        if (va.length != l.size()) {
          throw notPrefix(
              what, path, "a list of " + l.size() + " axes", "an array of " + va.length);
        }
        for (int i = 0; i < l.size(); i++) {
          walk(l.get(i), va[i], path.index(i), out, what);
        }
      } else {
        throw notPrefix(what, path, "a list of axes", describe(value));
      }
      return;
    }
    if (spec instanceof Map<?, ?> m) {
      if (value instanceof Record r) {
        for (RecordComponent c : r.getClass().getRecordComponents()) {
          if (!m.containsKey(c.getName())) {
            throw notPrefix(
                what,
                path,
                "a map without key '" + c.getName() + "'",
                r.getClass().getSimpleName());
          }
          walk(m.get(c.getName()), component(r, c), path.field(c.getName()), out, what);
        }
      } else if (value instanceof Map<?, ?> vm) {
        if (!vm.keySet().equals(m.keySet())) {
          throw notPrefix(
              what, path, "a map with keys " + m.keySet(), "a map with keys " + vm.keySet());
        }
        for (var e : m.entrySet()) {
          walk(e.getValue(), vm.get(e.getKey()), path.key(e.getKey()), out, what);
        }
      } else {
        throw notPrefix(what, path, "a map of axes", describe(value));
      }
      return;
    }
    throw new IllegalArgumentException(
        what
            + " entries must be Integer (an axis), null (not mapped), or lists/maps of them; got "
            + spec.getClass().getName()
            + " at "
            + render(path));
  }

  private static Object component(Record r, RecordComponent c) {
    try {
      c.getAccessor().setAccessible(true);
      return c.getAccessor().invoke(r);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalArgumentException(
          "cannot read component '" + c.getName() + "' of " + r.getClass().getName() + ": " + e, e);
    }
  }

  private static String describe(Object v) {
    return v == null
        ? "null"
        : v instanceof Tensor t
            ? "a tensor " + t.dtype().shortName() + t.shape()
            : "a " + v.getClass().getSimpleName();
  }

  private static IllegalArgumentException notPrefix(
      String what, KeyPath path, String spec, String value) {
    return new IllegalArgumentException(
        what
            + " is not a prefix of the "
            + (what.startsWith("in") ? "arguments" : "results")
            + ": at "
            + render(path)
            + " it has "
            + spec
            + " but the value is "
            + value);
  }

  static String render(KeyPath p) {
    return p.isRoot() ? "the root" : p.toString();
  }

  /** The axis for a leaf at {@code path}: the entry whose path is a prefix of it. */
  static Integer axisFor(List<Entry> entries, KeyPath path, String what) {
    for (Entry e : entries) {
      if (isPrefix(e.path(), path)) {
        return e.axis();
      }
    }
    throw new IllegalArgumentException(what + " has no entry for the leaf at " + render(path));
  }

  private static boolean isPrefix(KeyPath prefix, KeyPath path) {
    List<KeyPath.Entry> a = prefix.entries();
    List<KeyPath.Entry> b = path.entries();
    if (a.size() > b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!same(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean same(KeyPath.Entry a, KeyPath.Entry b) {
    if (a.equals(b)) {
      return true;
    }
    // A map of axes may address record fields or class fields by name.
    String na =
        a instanceof KeyPath.Field f
            ? f.name()
            : a instanceof KeyPath.MapKey k ? String.valueOf(k.key()) : null;
    String nb =
        b instanceof KeyPath.Field f
            ? f.name()
            : b instanceof KeyPath.MapKey k ? String.valueOf(k.key()) : null;
    return na != null && na.equals(nb);
  }
}
