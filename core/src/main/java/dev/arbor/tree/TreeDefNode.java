package dev.arbor.tree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** The one implementation of {@link TreeDef}: a node kind, its aux data and child structures. */
final class TreeDefNode implements TreeDef {
  private static final TreeDefNode[] NO_CHILDREN = new TreeDefNode[0];

  /** The structure of a single leaf. */
  static final TreeDefNode LEAF = new TreeDefNode(NodeKind.LEAF, null, NO_CHILDREN, 1);

  final NodeKind kind;
  final Object aux;
  final TreeDefNode[] children;
  final int numLeaves;
  private int hash;

  /**
   * The code generated for this structure (see {@link StructureCode}), made once a root def is
   * warm; {@code null} for most defs. Racy: its contents are hints or immutable.
   */
  StructureCode.Cache code;

  private TreeDefNode(NodeKind kind, Object aux, TreeDefNode[] children, int numLeaves) {
    this.kind = kind;
    this.aux = aux;
    this.children = children;
    this.numLeaves = numLeaves;
  }

  private static final int SHARED_MAX = 64;
  private static final TreeDefNode[][] ALL_LEAVES = new TreeDefNode[SHARED_MAX + 1][];

  static {
    for (int n = 0; n <= SHARED_MAX; n++) {
      ALL_LEAVES[n] = new TreeDefNode[n];
      java.util.Arrays.fill(ALL_LEAVES[n], LEAF);
    }
  }

  /**
   * A shared children array of {@code n} leaf defs (never modified), or {@code null} for large
   * {@code n}.
   */
  static TreeDefNode[] allLeaves(int n) {
    return n <= SHARED_MAX ? ALL_LEAVES[n] : null;
  }

  /**
   * The children a new node is expected to have: those of {@code last} (the previous node of its
   * kind) if it had the same aux data (by identity) and arity, else all leaves. Nodes that match
   * their template allocate nothing: repeated structure (many equal layers, or the same tree
   * flattened again) reuses the previous def.
   */
  static TreeDefNode[] template(TreeDefNode last, Object aux, int n) {
    return last != null && last.aux == aux && last.children.length == n
        ? last.children
        : allLeaves(n);
  }

  /**
   * Records child {@code i}'s def {@code d}: returns {@code null} while every child so far equals
   * {@code template} (by identity), else the array of child defs, allocated at the first
   * difference.
   */
  static TreeDefNode[] collect(
      TreeDefNode[] defs, TreeDefNode[] template, int i, int n, TreeDefNode d) {
    if (defs != null) {
      defs[i] = d;
      return defs;
    }
    if (template != null && template[i] == d) {
      return null;
    }
    TreeDefNode[] out = new TreeDefNode[n];
    if (i > 0) {
      System.arraycopy(template, 0, out, 0, i);
    }
    out[i] = d;
    return out;
  }

  /**
   * The def for a node whose children were collected against {@code template}: {@code last} or a
   * new def sharing the template when nothing differed, else a new def with {@code defs}.
   */
  static TreeDefNode finish(
      NodeKind kind,
      Object aux,
      TreeDefNode last,
      TreeDefNode[] template,
      TreeDefNode[] defs,
      int n) {
    if (defs != null) {
      return of(kind, aux, defs);
    }
    if (last != null && template == last.children && last.aux == aux) {
      return last;
    }
    return template == null
        ? new TreeDefNode(kind, aux, NO_CHILDREN, 0)
        : new TreeDefNode(kind, aux, template, n);
  }

  /**
   * The children of a guided node (see {@link Flattener#guide}) once child {@code i}'s def {@code
   * c} differed from the expected {@code expected[i]}: a copy of {@code expected} with {@code c} at
   * {@code i} (children before {@code i} matched).
   */
  static TreeDefNode[] diverge(TreeDefNode[] expected, int i, TreeDefNode c) {
    TreeDefNode[] defs = expected.clone();
    defs[i] = c;
    return defs;
  }

  /** A node def whose {@code n} children are all leaves. */
  static TreeDefNode ofLeaves(NodeKind kind, Object aux, int n) {
    TreeDefNode[] shared = allLeaves(n);
    if (shared == null) {
      shared = new TreeDefNode[n];
      java.util.Arrays.fill(shared, LEAF);
    }
    return new TreeDefNode(kind, aux, shared, n);
  }

  /** A node def; {@code children} is owned by the result (not copied). */
  static TreeDefNode of(NodeKind kind, Object aux, TreeDefNode[] children) {
    int leaves = 0;
    for (TreeDefNode c : children) {
      leaves += c.numLeaves;
    }
    return new TreeDefNode(kind, aux, children.length == 0 ? NO_CHILDREN : children, leaves);
  }

  boolean isLeaf() {
    return this == LEAF;
  }

  @Override
  public int numLeaves() {
    return numLeaves;
  }

  /** The number of direct children. */
  int numChildren() {
    return children.length;
  }

  @Override
  public <T> T unflatten(List<?> leaves) {
    return Trees.unflatten(this, leaves);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TreeDefNode d)) {
      return false;
    }
    if (kind != d.kind
        || numLeaves != d.numLeaves
        || children.length != d.children.length
        || (hash != 0 && d.hash != 0 && hash != d.hash)) {
      return false;
    }
    return Objects.equals(aux, d.aux) && Arrays.equals(children, d.children);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = System.identityHashCode(kind) * 31 + Objects.hashCode(aux);
      for (TreeDefNode c : children) {
        h = h * 31 + c.hashCode();
      }
      h = h == 0 ? 1 : h;
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    if (this == LEAF) {
      return "*";
    }
    List<String> rendered = new ArrayList<>(children.length);
    for (TreeDefNode c : children) {
      rendered.add(c.toString());
    }
    return kind.describe(aux, rendered);
  }
}
