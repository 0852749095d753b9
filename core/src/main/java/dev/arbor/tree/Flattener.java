package dev.arbor.tree;

import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/** One flatten pass: visits nodes depth-first, collecting leaves and building the structure. */
final class Flattener {
  /**
   * The leaf count of the latest flatten on any thread, to size the next buffer (a racy hint: any
   * value is correct, a close one avoids regrowing).
   */
  private static int sizeHint = 16;

  final Registry.Snapshot registry;
  private Object[] leaves;
  private int count;

  /** The previous map node's keys: sibling maps usually share them (and so their aux data). */
  BuiltinKinds.MapKeys lastMapKeys;

  /** The previous unordered map's (sorted) keys: a prediction for the next unordered map. */
  BuiltinKinds.MapKeys lastSortedMapKeys;

  /** The unordered map keys before {@link #lastSortedMapKeys}: the second prediction. */
  BuiltinKinds.MapKeys olderSortedMapKeys;

  /**
   * The predictions a flatten ended with, to start the next one with (racy hints like {@link
   * #sizeHint}: any sorted keys of an earlier unordered map are a correct prediction or a miss).
   */
  private static BuiltinKinds.MapKeys lastSortedSeed;

  private static BuiltinKinds.MapKeys olderSortedSeed;

  private final Predicate<Object> isLeaf;

  // A small class cache in front of the registry's ClassValue: trees are mostly a few classes
  // (a leaf class, a few records, a list and a map class), visited in alternation.
  private static final int CACHED_CLASSES = 4;
  private final Class<?>[] classes = new Class<?>[CACHED_CLASSES];
  private final NodeKind[] kinds = new NodeKind[CACHED_CLASSES];
  private int nextSlot;

  /**
   * The class of the last leaf found through the registry, for the fast path (see {@link #leaf});
   * stays {@code null} when there is an {@code isLeaf} predicate, which must see every value.
   */
  Class<?> leafClass;

  /**
   * Scratch arrays, one per nesting depth, for a node's children while they are visited (record
   * components, map values): siblings reuse them, so flattening allocates none per node.
   */
  private Object[][] scratch = new Object[8][];

  private int depth;

  Flattener(Registry.Snapshot registry, Predicate<Object> isLeaf) {
    this.registry = registry;
    this.leaves = new Object[Math.max(16, sizeHint)];
    this.isLeaf = isLeaf;
    this.lastSortedMapKeys = lastSortedSeed;
    this.olderSortedMapKeys = olderSortedSeed;
  }

  private void add(Object leaf) {
    if (count == leaves.length) {
      leaves = Arrays.copyOf(leaves, count * 2);
    }
    leaves[count++] = leaf;
  }

  /** The leaves collected so far, as an unmodifiable list (no copy). */
  List<Object> leaves() {
    sizeHint = count;
    if (lastSortedMapKeys != lastSortedSeed) {
      lastSortedSeed = lastSortedMapKeys;
      olderSortedSeed = olderSortedMapKeys;
    }
    return new FrozenList(leaves, count);
  }

  /**
   * A scratch array of at least {@code n} elements for the node being flattened at the current
   * depth, valid until the matching {@link #exit}; the children's visits use deeper arrays.
   */
  Object[] enter(int n) {
    int d = depth++;
    if (d == scratch.length) {
      scratch = Arrays.copyOf(scratch, d * 2);
    }
    Object[] s = scratch[d];
    if (s == null || s.length < n) {
      s = new Object[Math.max(n, 8)];
      scratch[d] = s;
    }
    return s;
  }

  /** Releases the scratch array of the current depth (see {@link #enter}). */
  void exit() {
    depth--;
  }

  private NodeKind kindOf(Class<?> c) {
    Class<?>[] cs = classes;
    for (int i = 0; i < CACHED_CLASSES; i++) {
      if (cs[i] == c) {
        return kinds[i];
      }
    }
    NodeKind kind = registry.kindOf(c);
    int slot = nextSlot;
    nextSlot = (slot + 1) & (CACHED_CLASSES - 1);
    cs[slot] = c;
    kinds[slot] = kind;
    return kind;
  }

  /**
   * Appends the leaf {@code x} whose class is {@link #leafClass}: the fast path that node kinds
   * write out in their loops as {@code v != null && v.getClass() == f.leafClass ? f.leaf(v) :
   * f.visit(v)}. Written out rather than wrapped in a method because such a method gets compiled on
   * its own with {@link #visit} inlined, and the JIT then refuses to inline it ("already compiled
   * into a big method"): most children are leaves, which then cost a compare and a store instead of
   * a recursive call.
   */
  TreeDefNode leaf(Object x) {
    add(x);
    return TreeDefNode.LEAF;
  }

  /**
   * The structure the latest flatten (on any thread) produced, with what it depends on: a racy hint
   * (immutable, so any published value is complete), reused by the next flatten of a root of the
   * same class under the same registry snapshot (see {@link #flatten}).
   */
  private record Plan(
      Registry.Snapshot registry, Class<?> rootClass, TreeDefNode def, Class<?> leafClass) {}

  private static Plan plan;

  /**
   * Flattens {@code x} with the code generated for the previous flatten's structure (see {@link
   * StructureCode}), when there is one for this root class and registry snapshot and {@code x} has
   * exactly that structure; else returns {@code null} if there is no such code, or {@link
   * #TURNED_DOWN} if it turned {@code x} down (the caller then takes the guided path with {@link
   * #generatedTurnedDown} set, which drops the code if the structure was the same after all). No
   * predicate: only for {@code flatten(tree)}.
   */
  static Trees.Flat flattenGenerated(Object x, Registry.Snapshot registry) {
    Plan p = plan;
    if (p == null || p.registry != registry || p.rootClass != x.getClass()) {
      return null;
    }
    TreeDefNode def = p.def;
    StructureCode.FlattenCode code = StructureCode.flattenCode(def, registry);
    if (code == null) {
      return null;
    }
    Object[] out = new Object[def.numLeaves];
    boolean matched;
    try {
      matched = code.flatten(x, out);
    } catch (RuntimeException e) {
      matched = false; // e.g. a list that shrank: the generic path gives the answer
    }
    return matched ? new Trees.Flat(new FrozenList(out), def) : TURNED_DOWN;
  }

  /** What {@link #flattenGenerated} returns when the generated code turned the tree down. */
  static final Trees.Flat TURNED_DOWN = new Trees.Flat(List.of(), TreeDefNode.LEAF);

  /** Whether this flatten follows generated code that turned the tree down (see above). */
  boolean generatedTurnedDown;

  /**
   * Flattens the whole tree {@code x}. Without an {@code isLeaf} predicate, a root of the class
   * flattened last (under the same registry snapshot) is flattened guided by that flatten's
   * structure (see {@link #guide}): the result is equal to what {@link #visit} would return, and is
   * the previous def itself when the structure did not change.
   */
  TreeDefNode flatten(Object x) {
    if (isLeaf != null || x == null) {
      return visit(x);
    }
    Plan p = plan;
    Class<?> rootClass = x.getClass();
    TreeDefNode def;
    if (p != null && p.registry == registry && p.rootClass == rootClass) {
      // A class that resolved to a leaf under this snapshot still does (no predicate here).
      leafClass = p.leafClass;
      def = guide(x, p.def);
      if (def == p.def && leafClass == p.leafClass) {
        if (generatedTurnedDown) {
          // The generated code turned down a tree of exactly its structure (an ordered map, a
          // list that is not RandomAccess): it would again, so it goes.
          StructureCode.flattenRefused(def);
        } else {
          StructureCode.flattenMatched(def, registry, x);
        }
        return def;
      }
    } else {
      def = visit(x);
    }
    plan = new Plan(registry, rootClass, def, leafClass);
    return def;
  }

  /**
   * Flattens {@code x} expecting the structure {@code d} (a def made under this flattener's
   * registry snapshot): each node's kind and keys are checked against {@code d} as the walk goes,
   * and a subtree that does not match is flattened by {@link #visit}. Returns {@code d} itself when
   * everything matched, else a def equal to what {@link #visit} returns. The common kinds guide
   * their children; the others (and records with aux fields) take the generic path.
   */
  TreeDefNode guide(Object x, TreeDefNode d) {
    if (x == null || d == TreeDefNode.LEAF) {
      return visit(x);
    }
    NodeKind kind = d.kind;
    if (kindOf(x.getClass()) != kind) {
      return visit(x);
    }
    return switch (kind.tag) {
      case NodeKind.TAG_REFLECTIVE -> ((ReflectiveKind) kind).guide(x, d, this);
      case NodeKind.TAG_LIST -> ((BuiltinKinds.ListKind) kind).guide(x, d, this);
      case NodeKind.TAG_MAP -> ((BuiltinKinds.MapKind) kind).guide(x, d, this);
      default -> kind.flatten(x, this);
    };
  }

  /** Flattens {@code x} and returns its structure; its leaves are appended to {@link #leaves}. */
  TreeDefNode visit(Object x) {
    if (isLeaf != null && isLeaf.test(x)) {
      add(x);
      return TreeDefNode.LEAF;
    }
    if (x == null) {
      return BuiltinKinds.NULL_DEF;
    }
    NodeKind kind = kindOf(x.getClass());
    // Direct calls for the common kinds (see NodeKind.tag).
    return switch (kind.tag) {
      case NodeKind.TAG_LEAF -> {
        if (isLeaf == null) {
          leafClass = x.getClass(); // the fast path skips the predicate: only without one
        }
        add(x);
        yield TreeDefNode.LEAF;
      }
      case NodeKind.TAG_REFLECTIVE -> ((ReflectiveKind) kind).flatten(x, this);
      case NodeKind.TAG_LIST -> ((BuiltinKinds.ListKind) kind).flatten(x, this);
      case NodeKind.TAG_MAP -> ((BuiltinKinds.MapKind) kind).flatten(x, this);
      default -> kind.flatten(x, this);
    };
  }
}
