package dev.arbor.tree;

/** One unflatten pass: rebuilds nodes depth-first, taking leaves in order. */
final class Unflattener {
  private final Object[] leaves;
  private int next;

  Unflattener(Object[] leaves) {
    this.leaves = leaves;
  }

  /**
   * The next leaf: the fast path that node kinds write out in their loops as {@code d ==
   * TreeDefNode.LEAF ? u.leaf() : u.build(d)} (see {@link Flattener#leaf} for why it is written
   * out).
   */
  Object leaf() {
    return leaves[next++];
  }

  /**
   * Scratch arrays per nesting depth for a record's component values while its children are rebuilt
   * (the canonical constructor copies them into fields), so rebuilding allocates none.
   */
  private Object[][] scratch = new Object[8][];

  private int depth;

  /** A scratch array of at least {@code n} elements, valid until the matching {@link #exit}. */
  Object[] enter(int n) {
    int d = depth++;
    if (d == scratch.length) {
      scratch = java.util.Arrays.copyOf(scratch, d * 2);
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

  /** Rebuilds the subtree {@code def}. */
  Object build(TreeDefNode def) {
    if (def == TreeDefNode.LEAF) {
      return leaves[next++];
    }
    return buildNode(def);
  }

  private Object buildNode(TreeDefNode def) {
    NodeKind kind = def.kind;
    try {
      // Direct calls for the common kinds (see NodeKind.tag).
      return switch (kind.tag) {
        case NodeKind.TAG_REFLECTIVE -> ((ReflectiveKind) kind).unflatten(def, this);
        case NodeKind.TAG_LIST -> ((BuiltinKinds.ListKind) kind).unflatten(def, this);
        case NodeKind.TAG_MAP -> ((BuiltinKinds.MapKind) kind).unflatten(def, this);
        default -> kind.unflatten(def, this);
      };
    } catch (RebuildFailure f) {
      throw f;
    } catch (RuntimeException e) {
      // Node kinds wrap whatever a constructor or NodeType throws; VM errors pass through.
      throw new RebuildFailure(def, e);
    }
  }

  /** A node failed to rebuild; carries the failing def so the caller can compute its key path. */
  static final class RebuildFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final transient TreeDefNode def;

    RebuildFailure(TreeDefNode def, Throwable cause) {
      super(cause.getMessage(), cause, false, false);
      this.def = def;
    }
  }
}
