package dev.arbor.tree.spi;

import dev.arbor.tree.KeyPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How values of one type (and, unless they register their own, its subtypes) flatten into a pytree
 * node: an ordered list of children, which are themselves trees, plus auxiliary data that is part
 * of the tree's structure.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@code unflatten(flatten(x).aux(), flatten(x).children())} must rebuild a value equivalent
 *       to {@code x}, and the number of children must depend only on the aux data (it is fixed by
 *       the {@code TreeDef}).
 *   <li>The aux data must implement {@code equals}/{@code hashCode} by value (it is part of {@link
 *       dev.arbor.tree.TreeDef}, which keys the jit cache); it may be {@code null}.
 *   <li>Children may be {@code null}: {@link dev.arbor.tree.Trees#partition} puts {@code null}
 *       holes into trees. A type that cannot hold {@code null} should rebuild such a node as a
 *       plain unmodifiable Java collection (see {@code arbor-guava}) or fail with a clear message.
 *   <li>Implementations must be stateless and thread-safe: they are called concurrently. A
 *       service-loaded implementation needs a public no-arg constructor.
 * </ul>
 *
 * <p>Example:
 *
 * {@snippet :
 * public final class PairNodeType implements NodeType<Pair> {
 *   public Class<Pair> type() { return Pair.class; }
 *   public Children flatten(Pair p) { return new Children(List.of(p.left(), p.right()), null); }
 *   public Pair unflatten(Object aux, List<?> children) {
 *     return new Pair(children.get(0), children.get(1));
 *   }
 * }
 * }
 *
 * @param <T> the node type
 */
public interface NodeType<T> {

  /** The class this node type handles; subclasses inherit it unless they register their own. */
  Class<T> type();

  /**
   * Splits {@code node} (never {@code null}) into its children and aux data. Must not modify the
   * node.
   */
  Children flatten(T node);

  /**
   * Rebuilds a node from the aux data {@link #flatten} returned and a new list of children (of the
   * same length; unmodifiable; elements may be {@code null}).
   */
  T unflatten(Object aux, List<?> children);

  /**
   * Names of the children of {@code node}, one key path (usually a single entry) per child, in the
   * order of {@link #flatten}. They appear in {@code Trees.leavesWithPath} and in error messages.
   * The default names them by position: {@code [0]}, {@code [1]}, ...
   */
  default List<KeyPath> keys(T node) {
    int n = flatten(node).children().size();
    List<KeyPath> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      keys.add(KeyPath.root().index(i));
    }
    return keys;
  }

  /**
   * The result of {@link NodeType#flatten}: the children in order, and the aux data.
   *
   * @param children the children, in order; never {@code null} (elements may be)
   * @param aux aux data with value equality; may be {@code null}
   */
  record Children(List<?> children, Object aux) {
    /** Checks that {@code children} is not {@code null}. */
    public Children {
      Objects.requireNonNull(children, "children (use List.of() for a node with none)");
    }
  }
}
