package dev.arbor.tree;

import dev.arbor.tree.spi.NodeType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Pytrees: nested structures of nodes (lists, maps, records, ...) whose non-node values are leaves.
 * Flatten a tree into its leaves and its structure ({@link TreeDef}), transform the leaves, and
 * rebuild a tree of the same structure.
 *
 * {@snippet :
 * record Dense(Tensor w, Tensor b) {}
 * var params = Map.of("hidden", new Dense(w1, b1), "out", new Dense(w2, b2));
 * Trees.Flat flat = Trees.flatten(params);         // 4 leaves
 * flat.treeDef();  // Map{'hidden': Record Dense{w: *, b: *}, 'out': Record Dense{w: *, b: *}}
 * var scaled = Trees.map(x -> ((Tensor) x).mul(0.5), params);
 * var sums = Trees.map((p, g) -> ((Tensor) p).sub(((Tensor) g).mul(lr)), params, grads);
 * }
 *
 * <h2>What is a node</h2>
 *
 * For a value of class {@code C}, the first rule that applies decides:
 *
 * <ol>
 *   <li>a {@link NodeType} registered for exactly {@code C};
 *   <li>a {@link NodeType} registered for the nearest supertype of {@code C} (breadth-first:
 *       superclass, then interfaces in declaration order, level by level) — subclasses inherit
 *       registrations;
 *   <li>{@code C} or one of its supertypes is annotated {@link Leaf}: a leaf;
 *   <li>a record; a class annotated {@link PytreeNode} (inherited); a class implementing {@code
 *       dev.arbor.module.Module} (lambdas and enums implementing it are opaque nodes with no
 *       children, compared by identity): children are components/fields, see {@link PytreeNode};
 *   <li>{@code List} (any implementation), {@code Map}, arrays of objects, {@code Optional};
 *   <li>anything else is a leaf. {@code null} is a node with no children.
 * </ol>
 *
 * <p>Map order is deterministic: maps with an encounter order ({@code SequencedMap}: {@code
 * LinkedHashMap}, {@code TreeMap}, ...) keep it; all other maps ({@code HashMap}, {@code Map.of})
 * are flattened in sorted key order. Unflatten builds unmodifiable lists and insertion-ordered
 * unmodifiable maps; the concrete collection class is not part of the structure.
 *
 * <h2>Registration</h2>
 *
 * Node types arrive by {@code ServiceLoader} (discovered lazily, on first use), by scanning jars
 * whose manifest says {@code Arbor-Plugin: true} for {@code @PytreeNode} classes, and by {@link
 * #register}. When two registrations name the same class, a runtime registration wins (the latest
 * one), and among service-loaded ones the provider whose class name sorts first wins; either way
 * the conflict is logged and recorded in {@link dev.arbor.plugin.PluginProblems}.
 *
 * <p>All methods are thread-safe. Trees are never modified; results are new trees. Unless stated
 * otherwise, a {@code null} tree is the empty tree (no leaves).
 */
public final class Trees {
  private Trees() {}

  private static final int MAX_STRUCTURE_CHARS = 600;

  /**
   * The result of {@link #flatten}: the leaves in order and the structure.
   *
   * @param leaves the leaves, depth-first, left to right; unmodifiable
   * @param treeDef the structure
   */
  public record Flat(List<Object> leaves, TreeDef treeDef) {}

  /**
   * The result of {@link #partition}: two trees of the original structure, with {@code null} where
   * the other one has its leaves.
   *
   * @param matching the leaves the predicate accepted (others are {@code null})
   * @param rest the other leaves (accepted ones are {@code null})
   * @param <T> the tree type
   */
  public record Partition<T>(T matching, T rest) {}

  // ---------------------------------------------------------------- flatten / unflatten

  /** Flattens {@code tree} into its leaves and structure. */
  public static Flat flatten(Object tree) {
    return flatten(tree, null);
  }

  /**
   * Flattens {@code tree}, treating every subtree for which {@code isLeaf} returns true as a leaf
   * (it is asked about every node, {@code null} included, before its children).
   *
   * @param isLeaf extra leaf predicate, or {@code null} for none
   */
  public static Flat flatten(Object tree, Predicate<Object> isLeaf) {
    Registry.Snapshot registry = Registry.snapshot();
    Flat generated = null;
    if (isLeaf == null && tree != null) {
      generated = Flattener.flattenGenerated(tree, registry);
      if (generated != null && generated != Flattener.TURNED_DOWN) {
        return generated;
      }
    }
    Flattener f = new Flattener(registry, isLeaf);
    f.generatedTurnedDown = generated == Flattener.TURNED_DOWN;
    TreeDefNode def = f.flatten(tree);
    return new Flat(f.leaves(), def);
  }

  /**
   * Builds a tree of structure {@code treeDef} from {@code leaves}.
   *
   * @throws IllegalArgumentException if the number of leaves is wrong, or a node rejects its new
   *     children (the message names the key path)
   */
  public static <T> T unflatten(TreeDef treeDef, List<?> leaves) {
    Objects.requireNonNull(treeDef, "treeDef");
    Objects.requireNonNull(leaves, "leaves");
    TreeDefNode def = (TreeDefNode) treeDef;
    if (leaves.size() != def.numLeaves) {
      throw new IllegalArgumentException(
          "Trees.unflatten: expected "
              + def.numLeaves
              + " leaves, got "
              + leaves.size()
              + ", for the structure "
              + clip(def.toString())
              + ". Pass exactly one leaf per '*', in flatten order.");
    }
    Object[] array = leaves instanceof FrozenList frozen ? frozen.array() : leaves.toArray();
    return build(def, array, "Trees.unflatten");
  }

  @SuppressWarnings("unchecked")
  private static <T> T build(TreeDefNode def, Object[] leaves, String op) {
    StructureCode.UnflattenCode code = StructureCode.unflattenCode(def);
    if (code != null && leaves.length == def.numLeaves) {
      try {
        return (T) code.unflatten(leaves);
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable e) {
        // A constructor rejected its values: the generic path below reports it with its path.
      }
    }
    try {
      return (T) new Unflattener(leaves).build(def);
    } catch (Unflattener.RebuildFailure failure) {
      KeyPath path = pathOf(def, failure.def, KeyPath.root());
      Throwable cause = failure.getCause();
      throw new IllegalArgumentException(
          op
              + ": cannot rebuild "
              + clip(failure.def.toString())
              + " at "
              + (path == null ? "an unknown position" : path.describe())
              + ": "
              + (cause.getMessage() == null ? cause.toString() : cause.getMessage()),
          cause);
    }
  }

  /** The key path of the def node {@code target} (by identity) inside {@code def}. */
  private static KeyPath pathOf(TreeDefNode def, TreeDefNode target, KeyPath here) {
    if (def == target) {
      return here;
    }
    for (int i = 0; i < def.children.length; i++) {
      KeyPath p = pathOf(def.children[i], target, here.append(def.kind.key(def.aux, i)));
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /** The leaves of {@code tree}, in flatten order; unmodifiable. */
  public static List<Object> leaves(Object tree) {
    return flatten(tree).leaves();
  }

  /** The structure of {@code tree}. */
  public static TreeDef structure(Object tree) {
    return flatten(tree).treeDef();
  }

  // ---------------------------------------------------------------- map

  /**
   * Applies {@code f} to every leaf and rebuilds a tree of the same structure.
   *
   * @param f applied once per leaf, in flatten order; may return {@code null}
   */
  public static <T> T map(Function<Object, Object> f, T tree) {
    Objects.requireNonNull(f, "f");
    Flat flat = flatten(tree);
    List<Object> leaves = flat.leaves();
    Object[] out = new Object[leaves.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = f.apply(leaves.get(i));
    }
    return build((TreeDefNode) flat.treeDef(), out, "Trees.map");
  }

  /**
   * Applies {@code f} to the corresponding leaves of two trees of the same structure.
   *
   * @throws IllegalArgumentException if the structures differ; the message names the first
   *     differing key path and both structures
   */
  public static <T> T map(BiFunction<Object, Object, Object> f, T tree, Object other) {
    Objects.requireNonNull(f, "f");
    Flat a = flatten(tree);
    Flat b = flatten(other);
    requireSameStructure("Trees.map", a.treeDef(), b.treeDef(), 1);
    Object[] out = new Object[a.leaves().size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = f.apply(a.leaves().get(i), b.leaves().get(i));
    }
    return build((TreeDefNode) a.treeDef(), out, "Trees.map");
  }

  /**
   * Applies {@code f} to the corresponding leaves of {@code tree} and {@code others}, all of the
   * same structure; {@code f} gets the leaves in argument order.
   *
   * @throws IllegalArgumentException if a structure differs from {@code tree}'s
   */
  public static <T> T mapMany(Function<List<Object>, Object> f, T tree, Object... others) {
    Objects.requireNonNull(f, "f");
    Flat first = flatten(tree);
    List<List<Object>> leaves = new ArrayList<>(others.length + 1);
    leaves.add(first.leaves());
    for (int k = 0; k < others.length; k++) {
      Flat flat = flatten(others[k]);
      requireSameStructure("Trees.mapMany", first.treeDef(), flat.treeDef(), k + 1);
      leaves.add(flat.leaves());
    }
    Object[] out = new Object[first.leaves().size()];
    for (int i = 0; i < out.length; i++) {
      Object[] args = new Object[leaves.size()];
      for (int k = 0; k < args.length; k++) {
        args[k] = leaves.get(k).get(i);
      }
      out[i] = f.apply(Collections.unmodifiableList(java.util.Arrays.asList(args)));
    }
    return build((TreeDefNode) first.treeDef(), out, "Trees.mapMany");
  }

  private static void requireSameStructure(String op, TreeDef first, TreeDef other, int index) {
    if (first.equals(other)) {
      return;
    }
    TreeDefNode a = (TreeDefNode) first;
    TreeDefNode b = (TreeDefNode) other;
    Difference d = firstDifference(a, b, KeyPath.root());
    throw new IllegalArgumentException(
        op
            + ": tree "
            + index
            + " does not have the structure of tree 0. They first differ at "
            + (d == null ? "the root" : d.path.describe())
            + (d == null ? "" : ": tree 0 has " + clip(d.a.toString()))
            + (d == null ? "" : ", tree " + index + " has " + clip(d.b.toString()))
            + ".\n  tree 0: "
            + clip(a.toString())
            + "\n  tree "
            + index
            + ": "
            + clip(b.toString()));
  }

  private record Difference(KeyPath path, TreeDefNode a, TreeDefNode b) {}

  private static Difference firstDifference(TreeDefNode a, TreeDefNode b, KeyPath path) {
    if (a.equals(b)) {
      return null;
    }
    if (a.kind != b.kind
        || !Objects.equals(a.aux, b.aux)
        || a.children.length != b.children.length) {
      return new Difference(path, a, b);
    }
    for (int i = 0; i < a.children.length; i++) {
      Difference d =
          firstDifference(a.children[i], b.children[i], path.append(a.kind.key(a.aux, i)));
      if (d != null) {
        return d;
      }
    }
    return new Difference(path, a, b);
  }

  private static String clip(String s) {
    return s.length() <= MAX_STRUCTURE_CHARS
        ? s
        : s.substring(0, MAX_STRUCTURE_CHARS) + "... (" + s.length() + " chars)";
  }

  // ---------------------------------------------------------------- paths

  /**
   * The leaves of {@code tree} with their key paths, in flatten order; an unmodifiable list of
   * immutable entries.
   */
  public static List<Map.Entry<KeyPath, Object>> leavesWithPath(Object tree) {
    List<Map.Entry<KeyPath, Object>> out = new ArrayList<>();
    walk(tree, KeyPath.root(), Registry.snapshot(), out);
    return Collections.unmodifiableList(out);
  }

  private static void walk(
      Object x, KeyPath path, Registry.Snapshot registry, List<Map.Entry<KeyPath, Object>> out) {
    if (x == null) {
      return;
    }
    NodeKind kind = registry.kindOf(x.getClass());
    if (kind == NodeKind.LEAF) {
      out.add(Map.entry(path, x));
      return;
    }
    NodeKind.Split split = kind.split(x);
    List<KeyPath> keys = kind.keys(x, split);
    Object[] children = split.children();
    for (int i = 0; i < children.length; i++) {
      walk(children[i], path.append(keys.get(i)), registry, out);
    }
  }

  /** Applies {@code f} to every leaf and its key path; rebuilds a tree of the same structure. */
  public static <T> T mapWithPath(BiFunction<KeyPath, Object, Object> f, T tree) {
    Objects.requireNonNull(f, "f");
    Flat flat = flatten(tree);
    List<Map.Entry<KeyPath, Object>> withPath = leavesWithPath(tree);
    if (withPath.size() != flat.leaves().size()) {
      throw new IllegalStateException(
          "the tree changed while it was being traversed ("
              + clip(flat.treeDef().toString())
              + ")");
    }
    Object[] out = new Object[withPath.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = f.apply(withPath.get(i).getKey(), withPath.get(i).getValue());
    }
    return build((TreeDefNode) flat.treeDef(), out, "Trees.mapWithPath");
  }

  // ---------------------------------------------------------------- filters and surgery

  /**
   * Splits {@code tree} into two trees of the same structure: one keeps the leaves for which {@code
   * predicate} is true, the other the rest; each has {@code null} where the other keeps a leaf.
   * {@link #combine} puts them back together. As in Equinox, use it to separate what a
   * transformation should see (e.g. tensors) from what it should not.
   *
   * <p>Nodes are rebuilt with {@code null} children: a record whose constructor rejects {@code
   * null} cannot be partitioned (the error names it), and an {@code Optional} hole becomes empty.
   */
  public static <T> Partition<T> partition(T tree, Predicate<Object> predicate) {
    Objects.requireNonNull(predicate, "predicate");
    Flat flat = flatten(tree);
    List<Object> leaves = flat.leaves();
    Object[] yes = new Object[leaves.size()];
    Object[] no = new Object[leaves.size()];
    for (int i = 0; i < yes.length; i++) {
      Object leaf = leaves.get(i);
      if (predicate.test(leaf)) {
        yes[i] = leaf;
      } else {
        no[i] = leaf;
      }
    }
    TreeDefNode def = (TreeDefNode) flat.treeDef();
    return new Partition<>(build(def, yes, "Trees.partition"), build(def, no, "Trees.partition"));
  }

  /**
   * Merges two trees of the same structure in which, at every leaf position, at least one is {@code
   * null}: the result takes the non-null one (the first if both are non-null). The inverse of
   * {@link #partition}.
   *
   * @throws IllegalArgumentException if the trees have different nodes somewhere; the message names
   *     the key path
   */
  @SuppressWarnings("unchecked")
  public static <T> T combine(T a, Object b) {
    return (T) combine(a, b, KeyPath.root(), Registry.snapshot());
  }

  private static Object combine(Object a, Object b, KeyPath path, Registry.Snapshot registry) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    NodeKind ka = registry.kindOf(a.getClass());
    NodeKind kb = registry.kindOf(b.getClass());
    if (ka == NodeKind.LEAF && kb == NodeKind.LEAF) {
      return a;
    }
    NodeKind.Split sa = ka == NodeKind.LEAF ? null : ka.split(a);
    NodeKind.Split sb = kb == NodeKind.LEAF ? null : kb.split(b);
    if (ka == kb && ka == BuiltinKinds.OPTIONAL) {
      if (sa.children().length == 0) {
        return b;
      }
      if (sb.children().length == 0) {
        return a;
      }
    }
    if (ka != kb
        || !Objects.equals(sa.aux(), sb.aux())
        || sa.children().length != sb.children().length) {
      throw new IllegalArgumentException(
          "Trees.combine: the trees differ at "
              + path.describe()
              + ": the first has "
              + clip(structure(a).toString())
              + ", the second has "
              + clip(structure(b).toString())
              + ". combine expects trees of one structure with null holes, as partition makes.");
    }
    List<KeyPath> keys = ka.keys(a, sa);
    Object[] children = new Object[sa.children().length];
    for (int i = 0; i < children.length; i++) {
      children[i] = combine(sa.children()[i], sb.children()[i], path.append(keys.get(i)), registry);
    }
    return rebuildAt(ka, sa.aux(), children, path, "Trees.combine");
  }

  /**
   * Returns a copy of {@code tree} with the subtree at {@code path} replaced by {@code value}
   * (which may be a leaf or a whole subtree). The nodes along the path are rebuilt; everything else
   * is shared.
   *
   * @throws IllegalArgumentException if no subtree is at {@code path}; the message lists the keys
   *     that exist there
   */
  @SuppressWarnings("unchecked")
  public static <T> T replaceAt(T tree, KeyPath path, Object value) {
    Objects.requireNonNull(path, "path");
    return (T) replace(tree, path, 0, value, Registry.snapshot());
  }

  private static Object replace(
      Object x, KeyPath path, int depth, Object value, Registry.Snapshot registry) {
    if (depth == path.size()) {
      return value;
    }
    KeyPath here = KeyPath.of(path.entries().subList(0, depth));
    NodeKind kind = x == null ? BuiltinKinds.NULL : registry.kindOf(x.getClass());
    if (kind == NodeKind.LEAF || kind == BuiltinKinds.NULL) {
      throw new IllegalArgumentException(
          "Trees.replaceAt: no subtree at "
              + path
              + ": "
              + here.describe()
              + " is "
              + (x == null ? "null" : "a leaf (" + x.getClass().getName() + ")")
              + " and has no children");
    }
    NodeKind.Split split = kind.split(x);
    List<KeyPath> keys = kind.keys(x, split);
    for (int i = 0; i < keys.size(); i++) {
      KeyPath key = keys.get(i);
      if (startsWith(path, depth, key)) {
        Object[] children = split.children().clone();
        children[i] = replace(children[i], path, depth + key.size(), value, registry);
        return rebuildAt(kind, split.aux(), children, here, "Trees.replaceAt");
      }
    }
    List<String> names = new ArrayList<>();
    for (KeyPath k : keys) {
      names.add(k.toString());
    }
    throw new IllegalArgumentException(
        "Trees.replaceAt: no subtree at "
            + path
            + ": "
            + here.describe()
            + " has no child "
            + path.entry(depth)
            + "; its children are "
            + names);
  }

  /** Whether {@code path} continues, at {@code depth}, with all entries of {@code key}. */
  private static boolean startsWith(KeyPath path, int depth, KeyPath key) {
    if (key.isRoot() || depth + key.size() > path.size()) {
      return false;
    }
    for (int j = 0; j < key.size(); j++) {
      KeyPath.Entry want = path.entry(depth + j);
      KeyPath.Entry have = key.entry(j);
      // [3] parses as an index but may name an Integer map key: compare rendered forms too.
      if (!want.equals(have) && !want.toString().equals(have.toString())) {
        return false;
      }
    }
    return true;
  }

  private static Object rebuildAt(
      NodeKind kind, Object aux, Object[] children, KeyPath path, String op) {
    try {
      return kind.rebuild(aux, children);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          op + ": cannot rebuild the node at " + path.describe() + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- registry

  static {
    dev.arbor.internal.PluginHooks.setNodeTypes(Registry::commitPlugin);
  }

  /**
   * Registers a node type at run time, for {@code nodeType.type()} and (unless they have their own)
   * its subclasses. Takes effect for flattens that start after it returns; safe while other threads
   * flatten. Registering the same instance again does nothing; registering another {@code NodeType}
   * for the same class replaces the earlier one (runtime or service-loaded) and reports the
   * conflict through {@link dev.arbor.plugin.PluginProblems}.
   *
   * <p>Flattened structures ({@link TreeDef}s) made before a re-registration keep the old node type
   * and are not equal to ones made after.
   *
   * @throws IllegalArgumentException if {@code type()} is {@code null}, a primitive or {@code
   *     Object}
   */
  public static void register(NodeType<?> nodeType) {
    Registry.register(nodeType);
  }

  /**
   * How values of class {@code c} flatten: the registered {@link NodeType}, a view of the built-in
   * rule (records, lists, maps, ...) as a {@code NodeType}, or empty if they are leaves.
   */
  public static Optional<NodeType<?>> nodeTypeOf(Class<?> c) {
    Objects.requireNonNull(c, "c");
    NodeKind kind = Registry.snapshot().kindOf(c);
    if (kind == NodeKind.LEAF) {
      return Optional.empty();
    }
    NodeType<?> registered = kind.registered();
    return Optional.of(registered != null ? registered : new KindNodeType<>(c, kind));
  }

  /**
   * The registered node types (runtime and service-loaded, one per class, the winners of any
   * conflict) followed by the {@code @PytreeNode} classes found in {@code Arbor-Plugin} jars. Runs
   * discovery if it has not run yet.
   */
  public static List<RegisteredNodeType> registeredNodeTypes() {
    return Registry.snapshot().info;
  }
}
