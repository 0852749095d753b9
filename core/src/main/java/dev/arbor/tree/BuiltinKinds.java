package dev.arbor.tree;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.RandomAccess;
import java.util.SequencedMap;

/** The built-in node kinds: null, List, Map, object arrays, Optional, and opaque identity nodes. */
final class BuiltinKinds {
  private BuiltinKinds() {}

  private static final TreeDefNode[] NONE = new TreeDefNode[0];

  /** {@code null}: a node with no children. */
  static final NodeKind NULL =
      new NodeKind() {
        @Override
        TreeDefNode flatten(Object node, Flattener f) {
          return NULL_DEF;
        }

        @Override
        Object unflatten(TreeDefNode def, Unflattener u) {
          return null;
        }

        @Override
        Split split(Object node) {
          return new Split(null, new Object[0]);
        }

        @Override
        Object rebuild(Object aux, Object[] children) {
          return null;
        }

        @Override
        String describe(Object aux, List<String> children) {
          return "null";
        }
      };

  static final TreeDefNode NULL_DEF = TreeDefNode.of(NULL, null, NONE);

  /** Any {@code List}; rebuilt as an unmodifiable list. */
  static final ListKind LIST = new ListKind();

  /** The kind of {@link #LIST}; a named final class so the flattener can call it directly. */
  static final class ListKind extends NodeKind {
    private ListKind() {
      super(TAG_LIST);
    }

    @Override
    TreeDefNode flatten(Object node, Flattener f) {
      List<?> list = (List<?>) node;
      int n = list.size();
      TreeDefNode last = lastDef;
      TreeDefNode[] template = TreeDefNode.template(last, null, n);
      TreeDefNode[] defs = null;
      if (list instanceof RandomAccess) {
        for (int i = 0; i < n; i++) {
          Object v = list.get(i);
          defs =
              TreeDefNode.collect(
                  defs,
                  template,
                  i,
                  n,
                  v != null && v.getClass() == f.leafClass ? f.leaf(v) : f.visit(v));
        }
      } else {
        int i = 0;
        for (Object child : list) {
          if (i == n) {
            throw new IllegalArgumentException(
                "a " + list.getClass().getName() + " changed size while it was being flattened");
          }
          defs =
              TreeDefNode.collect(
                  defs,
                  template,
                  i++,
                  n,
                  child != null && child.getClass() == f.leafClass
                      ? f.leaf(child)
                      : f.visit(child));
        }
      }
      TreeDefNode def = TreeDefNode.finish(this, null, last, template, defs, n);
      if (def != last) {
        lastDef = def;
      }
      return def;
    }

    /** Flattens {@code node} guided by {@code d}, a list def (see Flattener#guide). */
    TreeDefNode guide(Object node, TreeDefNode d, Flattener f) {
      List<?> list = (List<?>) node;
      TreeDefNode[] expected = d.children;
      int n = expected.length;
      if (!(list instanceof RandomAccess) || list.size() != n) {
        return flatten(node, f);
      }
      TreeDefNode[] defs = null;
      for (int i = 0; i < n; i++) {
        Object v = list.get(i);
        TreeDefNode e = expected[i];
        TreeDefNode c =
            e == TreeDefNode.LEAF && v != null && v.getClass() == f.leafClass
                ? f.leaf(v)
                : f.guide(v, e);
        if (defs != null) {
          defs[i] = c;
        } else if (c != e) {
          defs = TreeDefNode.diverge(expected, i, c);
        }
      }
      if (list.size() != n) {
        throw new IllegalArgumentException(
            "a " + list.getClass().getName() + " changed size while it was being flattened");
      }
      return defs == null ? d : TreeDefNode.of(this, null, defs);
    }

    @Override
    Object unflatten(TreeDefNode def, Unflattener u) {
      TreeDefNode[] defs = def.children;
      Object[] out = new Object[defs.length];
      for (int i = 0; i < out.length; i++) {
        TreeDefNode d = defs[i];
        out[i] = d == TreeDefNode.LEAF ? u.leaf() : u.build(d);
      }
      return new FrozenList(out);
    }

    @Override
    Split split(Object node) {
      return new Split(null, ((List<?>) node).toArray());
    }

    @Override
    Object rebuild(Object aux, Object[] children) {
      return new FrozenList(children.clone());
    }

    @Override
    String describe(Object aux, List<String> children) {
      return "List" + children;
    }
  }

  /**
   * Any {@code Map}. Ordered maps ({@link SequencedMap}: {@code LinkedHashMap}, {@code TreeMap}, …)
   * keep their encounter order; all others ({@code HashMap}, {@code Map.of}, …) are sorted by key,
   * so the structure never depends on hashing. Rebuilt as an unmodifiable insertion-ordered map.
   */
  static final MapKind MAP = new MapKind();

  /** The kind of {@link #MAP}; a named final class so the flattener can call it directly. */
  static final class MapKind extends NodeKind {
    private MapKind() {
      super(TAG_MAP);
    }

    @Override
    TreeDefNode flatten(Object node, Flattener f) {
      Map<?, ?> map = (Map<?, ?>) node;
      MapKeys mapKeys = f.lastSortedMapKeys;
      int size = map.size();
      // The values go into the flattener's scratch array for this depth: no allocation when
      // the keys are predicted.
      Object[] values = f.enter(size);
      boolean ordered = map instanceof SequencedMap<?, ?>;
      boolean predicted = !ordered && valuesByPrediction(map, mapKeys, values);
      if (!ordered && !predicted) {
        // Two predictions: a tree's maps usually alternate between few key sets (here: the
        // top-level map and many equal inner ones).
        MapKeys older = f.olderSortedMapKeys;
        if (valuesByPrediction(map, older, values)) {
          f.olderSortedMapKeys = mapKeys;
          f.lastSortedMapKeys = older;
          mapKeys = older;
          predicted = true;
        }
      }
      if (!predicted) {
        Object[] keys = new Object[size];
        entries(map, keys, values);
        mapKeys = f.lastMapKeys;
        if (mapKeys == null || !Arrays.equals(mapKeys.keys, keys)) {
          mapKeys = MapKeys.intern(keys);
          f.lastMapKeys = mapKeys;
        }
        if (!ordered) {
          f.olderSortedMapKeys = f.lastSortedMapKeys;
          f.lastSortedMapKeys = mapKeys;
        }
      }
      int n = size;
      TreeDefNode last = mapKeys.lastDef;
      TreeDefNode[] template = TreeDefNode.template(last, mapKeys, n);
      TreeDefNode[] defs = null;
      for (int i = 0; i < n; i++) {
        Object v = values[i];
        defs =
            TreeDefNode.collect(
                defs,
                template,
                i,
                n,
                v != null && v.getClass() == f.leafClass ? f.leaf(v) : f.visit(v));
      }
      f.exit();
      TreeDefNode def = TreeDefNode.finish(this, mapKeys, last, template, defs, n);
      if (def != last) {
        mapKeys.lastDef = def;
      }
      return def;
    }

    /**
     * Flattens {@code node} guided by {@code d}, a map def (see Flattener#guide): an unordered map
     * whose key set is exactly {@code d}'s keys, when those are strictly sorted, has its values in
     * that order (the sort's unique result); other maps take the generic path.
     */
    TreeDefNode guide(Object node, TreeDefNode d, Flattener f) {
      Map<?, ?> map = (Map<?, ?>) node;
      MapKeys keys = (MapKeys) d.aux;
      TreeDefNode[] expected = d.children;
      int n = expected.length;
      Object[] values = frozenValues(map, keys);
      boolean scratch = values == null;
      if (scratch) {
        if (map instanceof SequencedMap<?, ?> || !keys.strictlySorted()) {
          return flatten(node, f);
        }
        values = f.enter(n);
        if (!valuesByPrediction(map, keys, values)) {
          f.exit();
          return flatten(node, f);
        }
      }
      TreeDefNode[] defs = null;
      for (int i = 0; i < n; i++) {
        Object v = values[i];
        TreeDefNode e = expected[i];
        TreeDefNode c =
            e == TreeDefNode.LEAF && v != null && v.getClass() == f.leafClass
                ? f.leaf(v)
                : f.guide(v, e);
        if (defs != null) {
          defs[i] = c;
        } else if (c != e) {
          defs = TreeDefNode.diverge(expected, i, c);
        }
      }
      if (scratch) {
        f.exit();
      }
      return defs == null ? d : TreeDefNode.of(this, keys, defs);
    }

    @Override
    Object unflatten(TreeDefNode def, Unflattener u) {
      MapKeys keys = (MapKeys) def.aux;
      Object[] values = new Object[keys.keys.length];
      for (int i = 0; i < values.length; i++) {
        TreeDefNode d = def.children[i];
        values[i] = d == TreeDefNode.LEAF ? u.leaf() : u.build(d);
      }
      return new FrozenMap(keys, values);
    }

    @Override
    Split split(Object node) {
      Map<?, ?> map = (Map<?, ?>) node;
      Object[] keys = new Object[map.size()];
      Object[] values = new Object[keys.length];
      entries(map, keys, values);
      return new Split(new MapKeys(keys), values);
    }

    @Override
    KeyPath.Entry key(Object aux, int i) {
      return new KeyPath.MapKey(((MapKeys) aux).keys[i]);
    }

    @Override
    Object rebuild(Object aux, Object[] children) {
      return new FrozenMap((MapKeys) aux, children.clone());
    }

    @Override
    String describe(Object aux, List<String> children) {
      Object[] keys = ((MapKeys) aux).keys;
      StringBuilder b = new StringBuilder("Map{");
      for (int i = 0; i < keys.length; i++) {
        b.append(i == 0 ? "" : ", ");
        b.append(keys[i] instanceof String k ? "'" + k + "'" : String.valueOf(keys[i]));
        b.append(": ").append(children.get(i));
      }
      return b.append('}').toString();
    }
  }

  /**
   * The values of {@code map} if it is a {@link FrozenMap} (a map unflatten built: ordered by its
   * keys) with exactly the keys {@code keys}, in that order, else {@code null}: what iterating it
   * would give, without iterating.
   */
  static Object[] frozenValues(Object map, MapKeys keys) {
    if (map instanceof FrozenMap frozen) {
      MapKeys k = frozen.keys;
      if (k == keys || Arrays.equals(k.keys, keys.keys)) {
        return frozen.values;
      }
    }
    return null;
  }

  /**
   * Sibling maps usually have the same keys. If {@code map} (unordered) has exactly the keys of
   * {@code predicted} (sorted keys of an earlier unordered map), writes its values in that order
   * into {@code values} without iterating or sorting and returns true; else false.
   */
  private static boolean valuesByPrediction(Map<?, ?> map, MapKeys predicted, Object[] values) {
    if (predicted == null || predicted.keys.length != map.size()) {
      return false;
    }
    Object[] keys = predicted.keys;
    try {
      for (int i = 0; i < keys.length; i++) {
        Object v = map.get(keys[i]);
        if (v == null && !map.containsKey(keys[i])) {
          return false;
        }
        values[i] = v;
      }
    } catch (RuntimeException e) {
      return false; // e.g. a map that rejects a key type: take the general path
    }
    return true;
  }

  /** Fills keys and values in the deterministic order described on {@link #MAP}. */
  private static void entries(Map<?, ?> map, Object[] keys, Object[] values) {
    if (map instanceof SequencedMap<?, ?> || map instanceof FrozenMap || keys.length < 2) {
      int i = 0;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (i == keys.length) {
          throw concurrentChange(map);
        }
        keys[i] = e.getKey();
        values[i] = e.getValue();
        i++;
      }
      if (i != keys.length) {
        throw concurrentChange(map);
      }
      return;
    }
    int i = 0;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (i == keys.length) {
        throw concurrentChange(map);
      }
      keys[i] = e.getKey();
      values[i] = e.getValue();
      i++;
    }
    if (i != keys.length) {
      throw concurrentChange(map);
    }
    try {
      if (keys.length <= 16) {
        // Insertion sort, keys and values together: small maps are the common case.
        for (int j = 1; j < keys.length; j++) {
          Object k = keys[j];
          Object v = values[j];
          int m = j - 1;
          while (m >= 0 && compareKeys(keys[m], k) > 0) {
            keys[m + 1] = keys[m];
            values[m + 1] = values[m];
            m--;
          }
          keys[m + 1] = k;
          values[m + 1] = v;
        }
      } else {
        Object[] sorted = keys.clone();
        Arrays.sort(sorted, BuiltinKinds::compareKeys);
        for (int j = 0; j < sorted.length; j++) {
          keys[j] = sorted[j];
          values[j] = map.get(sorted[j]);
        }
      }
    } catch (ClassCastException | NullPointerException e) {
      throw unsortable(map, e);
    }
  }

  @SuppressWarnings("unchecked")
  private static int compareKeys(Object ka, Object kb) {
    if (ka instanceof String sa && kb instanceof String sb) {
      return sa.compareTo(sb);
    }
    if (!(ka instanceof Comparable<?>)) {
      throw new ClassCastException("not Comparable: " + ka);
    }
    return ((Comparable<Object>) ka).compareTo(kb);
  }

  private static IllegalArgumentException concurrentChange(Map<?, ?> map) {
    return new IllegalArgumentException(
        "a " + map.getClass().getName() + " changed size while it was being flattened");
  }

  private static IllegalArgumentException unsortable(Map<?, ?> map, Throwable cause) {
    List<String> types = new ArrayList<>();
    for (Object k : map.keySet()) {
      String t = k == null ? "null" : k.getClass().getName();
      if (!types.contains(t)) {
        types.add(t);
      }
    }
    return new IllegalArgumentException(
        "cannot flatten a "
            + map.getClass().getName()
            + " with keys of type "
            + types
            + ": an unordered map is flattened in sorted key order, so its keys must be mutually"
            + " Comparable (e.g. all String). Use an ordered map (LinkedHashMap, TreeMap) to give"
            + " the order yourself.",
        cause);
  }

  /** A map node's keys, in flatten order: its aux data. */
  static final class MapKeys {
    private static final int LINEAR_SEARCH_MAX = 8;

    final Object[] keys;
    private int hash;

    /** The last def made with these keys: the template for the next (racy cache, see NodeKind). */
    TreeDefNode lastDef;

    private volatile java.util.HashMap<Object, Integer> index;

    /** The position of {@code key}, or -1. */
    int indexOf(Object key) {
      if (keys.length <= LINEAR_SEARCH_MAX) {
        for (int i = 0; i < keys.length; i++) {
          if (Objects.equals(keys[i], key)) {
            return i;
          }
        }
        return -1;
      }
      java.util.HashMap<Object, Integer> idx = index;
      if (idx == null) {
        idx = java.util.HashMap.newHashMap(keys.length);
        for (int i = 0; i < keys.length; i++) {
          idx.put(keys[i], i);
        }
        index = idx;
      }
      Integer i = idx.get(key);
      return i == null ? -1 : i;
    }

    MapKeys(Object[] keys) {
      this.keys = keys;
    }

    /** 0: not yet known, 1: strictly increasing (see {@link #strictlySorted}), 2: not. */
    private byte order;

    /**
     * Whether the keys are strictly increasing by the map sort order, so that any unordered map
     * with exactly these keys sorts to this order (racy cache of a deterministic answer).
     */
    boolean strictlySorted() {
      byte o = order;
      if (o == 0) {
        o = 1;
        try {
          for (int i = 1; i < keys.length; i++) {
            if (compareKeys(keys[i - 1], keys[i]) >= 0) {
              o = 2;
              break;
            }
          }
        } catch (RuntimeException e) {
          o = 2;
        }
        order = o;
      }
      return o == 1;
    }

    /**
     * Recently seen key sets, direct-mapped by hash: a map whose keys were seen before (the same
     * tree flattened again) gets the same {@code MapKeys}, and with it the previous def as its
     * template. A racy cache ({@code keys} is final, so a published entry is complete); bounded.
     */
    private static final MapKeys[] RECENT = new MapKeys[256];

    /** An equal, previously seen {@code MapKeys}, or a new one (remembered) for {@code keys}. */
    static MapKeys intern(Object[] keys) {
      int h;
      try {
        h = Arrays.hashCode(keys);
      } catch (RuntimeException e) {
        return new MapKeys(keys); // a key whose hashCode throws: don't cache
      }
      int slot = (h ^ (h >>> 16)) & (RECENT.length - 1);
      MapKeys m = RECENT[slot];
      if (m != null && m.hashCode() == h && Arrays.equals(m.keys, keys)) {
        return m;
      }
      m = new MapKeys(keys);
      m.hash = h;
      RECENT[slot] = m;
      return m;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof MapKeys m && Arrays.equals(keys, m.keys);
    }

    @Override
    public int hashCode() {
      int h = hash;
      if (h == 0) {
        h = Arrays.hashCode(keys);
        hash = h;
      }
      return h;
    }

    @Override
    public String toString() {
      return Arrays.toString(keys);
    }
  }

  /** Arrays of objects; the component type is the aux data, so it survives unflatten. */
  static final NodeKind ARRAY =
      new NodeKind() {
        @Override
        TreeDefNode flatten(Object node, Flattener f) {
          Object[] array = (Object[]) node;
          TreeDefNode[] defs = new TreeDefNode[array.length];
          for (int i = 0; i < defs.length; i++) {
            defs[i] = f.visit(array[i]);
          }
          return TreeDefNode.of(this, array.getClass().getComponentType(), defs);
        }

        @Override
        Object unflatten(TreeDefNode def, Unflattener u) {
          Object[] out = (Object[]) Array.newInstance((Class<?>) def.aux, def.children.length);
          for (int i = 0; i < out.length; i++) {
            Object child = u.build(def.children[i]);
            store(out, i, child);
          }
          return out;
        }

        @Override
        Split split(Object node) {
          Object[] array = (Object[]) node;
          return new Split(array.getClass().getComponentType(), array.clone());
        }

        @Override
        Object rebuild(Object aux, Object[] children) {
          Object[] out = (Object[]) Array.newInstance((Class<?>) aux, children.length);
          for (int i = 0; i < out.length; i++) {
            store(out, i, children[i]);
          }
          return out;
        }

        private static void store(Object[] out, int i, Object child) {
          try {
            out[i] = child;
          } catch (ArrayStoreException e) {
            throw new IllegalArgumentException(
                "cannot put a "
                    + child.getClass().getName()
                    + " at ["
                    + i
                    + "] of a "
                    + out.getClass().getComponentType().getSimpleName()
                    + "[]: arrays keep their component type through unflatten. Use a List for"
                    + " trees whose leaves change type.",
                e);
          }
        }

        @Override
        String describe(Object aux, List<String> children) {
          return ((Class<?>) aux).getSimpleName() + "[]" + children;
        }
      };

  /** {@code Optional}: empty has no children, present has one. */
  static final NodeKind OPTIONAL =
      new NodeKind() {
        @Override
        TreeDefNode flatten(Object node, Flattener f) {
          Optional<?> o = (Optional<?>) node;
          return o.isPresent()
              ? TreeDefNode.of(this, Boolean.TRUE, new TreeDefNode[] {f.visit(o.get())})
              : TreeDefNode.of(this, Boolean.FALSE, NONE);
        }

        @Override
        Object unflatten(TreeDefNode def, Unflattener u) {
          return def.children.length == 0
              ? Optional.empty()
              : Optional.ofNullable(u.build(def.children[0]));
        }

        @Override
        Split split(Object node) {
          Optional<?> o = (Optional<?>) node;
          return o.isPresent()
              ? new Split(Boolean.TRUE, new Object[] {o.get()})
              : new Split(Boolean.FALSE, new Object[0]);
        }

        @Override
        KeyPath.Entry key(Object aux, int i) {
          return new KeyPath.Field("value");
        }

        @Override
        Object rebuild(Object aux, Object[] children) {
          return children.length == 0 ? Optional.empty() : Optional.ofNullable(children[0]);
        }

        @Override
        String describe(Object aux, List<String> children) {
          return children.isEmpty() ? "Optional.empty" : "Optional[" + children.get(0) + "]";
        }
      };

  /**
   * Opaque nodes that cannot be rebuilt from parts (lambda modules, enum modules): no children; the
   * instance itself is the aux data, compared by identity.
   */
  static final NodeKind IDENTITY =
      new NodeKind() {
        @Override
        TreeDefNode flatten(Object node, Flattener f) {
          return TreeDefNode.of(this, new Identity(node), NONE);
        }

        @Override
        Object unflatten(TreeDefNode def, Unflattener u) {
          return ((Identity) def.aux).value;
        }

        @Override
        Split split(Object node) {
          return new Split(new Identity(node), new Object[0]);
        }

        @Override
        Object rebuild(Object aux, Object[] children) {
          return ((Identity) aux).value;
        }

        @Override
        String describe(Object aux, List<String> children) {
          Object v = ((Identity) aux).value;
          return "Module "
              + v.getClass().getName()
              + "@"
              + Integer.toHexString(System.identityHashCode(v));
        }
      };

  /** Aux data compared by identity. */
  record Identity(Object value) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Identity i && i.value == value;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(value);
    }
  }
}
