package dev.arbor.tree;

import java.util.List;

/**
 * How one kind of node flattens and rebuilds: built-in (list, map, array, optional), reflective
 * (record, {@code @PytreeNode} class, {@code Module}), or a registered {@code NodeType}.
 *
 * <p>Kinds are canonical: one instance per node class (or per registered {@code NodeType}), so
 * {@link TreeDefNode} compares them by identity. Implementations are immutable and thread-safe.
 */
abstract class NodeKind {

  // Tags for the flattener's and unflattener's dispatch: a switch on a final int field lets the
  // JIT call the common kinds directly (and inline them) instead of through a megamorphic call.
  static final int TAG_OTHER = 0;
  static final int TAG_LEAF = 1;
  static final int TAG_REFLECTIVE = 2;
  static final int TAG_LIST = 3;
  static final int TAG_MAP = 4;

  /** Which final class this kind is, for dispatch; {@link #TAG_OTHER} for the rest. */
  final int tag;

  NodeKind() {
    this(TAG_OTHER);
  }

  NodeKind(int tag) {
    this.tag = tag;
  }

  /**
   * The last def this kind produced with no aux data, the template for the next one (see {@link
   * TreeDefNode#template}). A racy cache: defs are immutable, any value is correct.
   */
  TreeDefNode lastDef;

  /** The kind of every leaf. */
  static final NodeKind LEAF =
      new NodeKind(TAG_LEAF) {
        @Override
        TreeDefNode flatten(Object node, Flattener f) {
          throw new AssertionError("leaves are handled by the flattener");
        }

        @Override
        Object unflatten(TreeDefNode def, Unflattener u) {
          throw new AssertionError("leaves are handled by the unflattener");
        }

        @Override
        Split split(Object node) {
          throw new AssertionError("a leaf has no children");
        }

        @Override
        Object rebuild(Object aux, Object[] children) {
          throw new AssertionError("a leaf has no children");
        }

        @Override
        String describe(Object aux, List<String> children) {
          return "*";
        }
      };

  /** Flattens {@code node}: visits each child through {@code f} and returns the node's def. */
  abstract TreeDefNode flatten(Object node, Flattener f);

  /** Rebuilds a node of this kind from {@code def}, taking its children from {@code u}. */
  abstract Object unflatten(TreeDefNode def, Unflattener u);

  /** One level of {@code node}: its aux data and its children (slow path: paths, surgery). */
  abstract Split split(Object node);

  /** Names of the children of {@code node} as {@link #split} returns them. */
  List<KeyPath> keys(Object node, Split split) {
    KeyPath[] keys = new KeyPath[split.children().length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = KeyPath.of(key(split.aux(), i));
    }
    return List.of(keys);
  }

  /** The name of child {@code i} of a node with this aux data (used for TreeDef-only paths). */
  KeyPath.Entry key(Object aux, int i) {
    return new KeyPath.Index(i);
  }

  /** Rebuilds a node from aux data and children (slow path). */
  abstract Object rebuild(Object aux, Object[] children);

  /** Renders a node with this aux data whose children rendered as {@code children}. */
  abstract String describe(Object aux, List<String> children);

  /** A registered node type's {@code NodeType}, or {@code null} for built-in kinds. */
  dev.arbor.tree.spi.NodeType<?> registered() {
    return null;
  }

  /**
   * One level of a node.
   *
   * @param aux the aux data (value equality), may be null
   * @param children the children in order
   */
  record Split(Object aux, Object[] children) {}
}
