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

  private final Predicate<Object> isLeaf;

  // A small class cache in front of the registry's ClassValue: trees are mostly a few classes
  // (a leaf class, a few records, a list and a map class), visited in alternation.
  private static final int CACHED_CLASSES = 4;
  private final Class<?>[] classes = new Class<?>[CACHED_CLASSES];
  private final NodeKind[] kinds = new NodeKind[CACHED_CLASSES];
  private int nextSlot;

  /** The class of the last leaf found through the registry: the fast path of {@link #visit}. */
  private Class<?> leafClass;

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
   * Flattens {@code x} and returns its structure; its leaves are appended to {@link #leaves}.
   *
   * <p>Small on purpose, so that the JIT inlines it into every node kind's loop: most children are
   * leaves of the class seen last, which then cost a compare and a store, not a (recursive) call.
   */
  TreeDefNode visit(Object x) {
    if (x != null && x.getClass() == leafClass && isLeaf == null) {
      add(x);
      return TreeDefNode.LEAF;
    }
    return visitAny(x);
  }

  private TreeDefNode visitAny(Object x) {
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
        leafClass = x.getClass();
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
