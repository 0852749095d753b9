package dev.arbor.tree;

/** One unflatten pass: rebuilds nodes depth-first, taking leaves in order. */
final class Unflattener {
  private final Object[] leaves;
  private int next;

  Unflattener(Object[] leaves) {
    this.leaves = leaves;
  }

  /** Rebuilds the subtree {@code def}. */
  Object build(TreeDefNode def) {
    // Small so that the JIT inlines it into the node kinds' loops: a leaf is an array read.
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
