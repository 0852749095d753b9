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
   * A children array of {@code n} leaf defs; shared (never modified) for small {@code n}, so nodes
   * whose children are all leaves, the most common kind, allocate no array.
   */
  static TreeDefNode[] allLeaves(int n) {
    if (n <= SHARED_MAX) {
      return ALL_LEAVES[n];
    }
    TreeDefNode[] out = new TreeDefNode[n];
    java.util.Arrays.fill(out, LEAF);
    return out;
  }

  /**
   * Records child {@code i}'s def {@code d} into {@code defs}, allocating {@code defs} only at the
   * first child that is not a leaf; returns the (possibly new) array, or {@code null} while all
   * children so far are leaves.
   */
  static TreeDefNode[] collect(TreeDefNode[] defs, int i, int n, TreeDefNode d) {
    if (defs != null) {
      defs[i] = d;
      return defs;
    }
    if (d == LEAF) {
      return null;
    }
    TreeDefNode[] out = new TreeDefNode[n];
    java.util.Arrays.fill(out, 0, i, LEAF);
    out[i] = d;
    return out;
  }

  /** A node def whose {@code n} children are all leaves. */
  static TreeDefNode ofLeaves(NodeKind kind, Object aux, int n) {
    return new TreeDefNode(kind, aux, allLeaves(n), n);
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
