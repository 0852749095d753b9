package dev.arbor.tree;

import dev.arbor.tree.spi.NodeType;
import java.util.List;

/** A registered {@link NodeType}: one kind per registered instance. */
final class NodeTypeKind extends NodeKind {
  final NodeType<Object> nodeType;

  @SuppressWarnings("unchecked")
  NodeTypeKind(NodeType<?> nodeType) {
    this.nodeType = (NodeType<Object>) nodeType;
  }

  @Override
  NodeType<?> registered() {
    return nodeType;
  }

  private NodeType.Children children(Object node) {
    NodeType.Children c = nodeType.flatten(node);
    if (c == null) {
      throw new IllegalStateException(
          nodeType.getClass().getName() + ".flatten returned null for a " + node.getClass());
    }
    return c;
  }

  @Override
  TreeDefNode flatten(Object node, Flattener f) {
    NodeType.Children c = children(node);
    List<?> children = c.children();
    int n = children.size();
    TreeDefNode[] defs = new TreeDefNode[n];
    for (int i = 0; i < n; i++) {
      defs[i] = f.visit(children.get(i));
    }
    return TreeDefNode.of(this, c.aux(), defs);
  }

  @Override
  Object unflatten(TreeDefNode def, Unflattener u) {
    Object[] children = new Object[def.children.length];
    for (int i = 0; i < children.length; i++) {
      children[i] = u.build(def.children[i]);
    }
    return rebuild(def.aux, children);
  }

  @Override
  Split split(Object node) {
    NodeType.Children c = children(node);
    return new Split(c.aux(), c.children().toArray());
  }

  @Override
  List<KeyPath> keys(Object node, Split split) {
    List<KeyPath> keys = nodeType.keys(node);
    if (keys == null || keys.size() != split.children().length) {
      throw new IllegalStateException(
          nodeType.getClass().getName()
              + ".keys returned "
              + (keys == null ? "null" : keys.size() + " keys")
              + " for a node with "
              + split.children().length
              + " children; it must return one key path per child");
    }
    return keys;
  }

  @Override
  Object rebuild(Object aux, Object[] children) {
    Object out = nodeType.unflatten(aux, new FrozenList(children));
    if (out == null) {
      throw new IllegalStateException(nodeType.getClass().getName() + ".unflatten returned null");
    }
    return out;
  }

  @Override
  String describe(Object aux, List<String> children) {
    String name = ReflectiveKind.simpleName(nodeType.type());
    return name + (aux == null ? "" : "(" + aux + ")") + children;
  }

  @Override
  public String toString() {
    return nodeType.getClass().getName() + " for " + nodeType.type().getName();
  }
}
