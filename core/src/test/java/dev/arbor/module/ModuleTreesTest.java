package dev.arbor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.arbor.array.Tensor;
import dev.arbor.random.Key;
import dev.arbor.tree.KeyPath;
import dev.arbor.tree.Trees;
import dev.arbor.tree.spi.NodeType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Modules are pytrees: their leaves are their variables' leaves, and map rebuilds them. */
class ModuleTreesTest {
  record Counter(Tensor count) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      State.assign("count", count.add(1.0));
      return x.add(count);
    }
  }

  @Test
  void recordModuleMapsToSameType() {
    Counter c = new Counter(Tensor.scalar(1));
    Counter doubled = Trees.map(t -> ((Tensor) t).mul(2.0), c);
    assertEquals(2.0, doubled.count().item());
    assertEquals(1, Trees.leaves(c).size());
  }

  @Test
  void functionalModuleIsANodeWhoseLeavesAreItsVariables() {
    Module<Tensor, Tensor> m =
        State.init(
                (Tensor x, Key k) -> {
                  Tensor w = State.variable("w", Tensor.scalar(3));
                  Module<Tensor, Tensor> inner =
                      State.init((Tensor y) -> y.mul(2.0), "inner").apply(k, x);
                  return inner.call(x).mul(w);
                },
                "f")
            .apply(Key.of(0), Tensor.scalar(1));
    assertEquals(1, Trees.leaves(m).size(), "the nested-init templates are static");
    Module<Tensor, Tensor> mapped = Trees.map(t -> ((Tensor) t).add(1.0), m);
    assertEquals(4.0, ((Tensor) mapped.variables().get("w")).item());
    assertEquals(16.0, mapped.call(Tensor.scalar(2)).item());
    assertEquals(List.of("w"), List.copyOf(mapped.variables().keySet()));
  }

  record WithStatic(Tensor w, @dev.arbor.tree.Static Tensor frozen)
      implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      return x.mul(w).add(frozen);
    }
  }

  @Test
  void staticComponentsAreNotVariables() {
    WithStatic m = new WithStatic(Tensor.scalar(2), Tensor.scalar(1));
    assertEquals(List.of("w"), List.copyOf(m.variables().keySet()));
    assertEquals(1, Trees.leaves(m).size());
  }

  /** No no-arg constructor, final fields: only a registered node type can rebuild it. */
  static final class Affine implements Module<Tensor, Tensor> {
    final Tensor scale;
    final Tensor shift;

    Affine(Tensor scale, Tensor shift) {
      this.scale = scale;
      this.shift = shift;
    }

    @Override
    public Tensor call(Tensor x) {
      State.assign("shift", shift.add(1.0));
      return x.mul(scale).add(shift);
    }
  }

  static final class AffineNodeType implements NodeType<Affine> {
    @Override
    public Class<Affine> type() {
      return Affine.class;
    }

    @Override
    public Children flatten(Affine a) {
      return new Children(List.of(a.scale, a.shift), null);
    }

    @Override
    public Affine unflatten(Object aux, List<?> children) {
      return new Affine((Tensor) children.get(0), (Tensor) children.get(1));
    }

    @Override
    public List<KeyPath> keys(Affine a) {
      return List.of(KeyPath.root().field("scale"), KeyPath.root().field("shift"));
    }
  }

  /** An opaque holder (a leaf by the built-in rule) made a node by registration. */
  static final class Box {
    final Object content;

    Box(Object content) {
      this.content = content;
    }
  }

  static final class BoxNodeType implements NodeType<Box> {
    @Override
    public Class<Box> type() {
      return Box.class;
    }

    @Override
    public Children flatten(Box b) {
      return new Children(java.util.Collections.singletonList(b.content), null);
    }

    @Override
    public Box unflatten(Object aux, List<?> children) {
      return new Box(children.get(0));
    }
  }

  record HoldsBox(Box box) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      @SuppressWarnings("unchecked")
      Module<Tensor, Tensor> inner = (Module<Tensor, Tensor>) box.content;
      return inner.apply(x);
    }
  }

  @Test
  void registeredNodeTypesDecideVariablesAndRebuilding() {
    Trees.register(new AffineNodeType());
    Trees.register(new BoxNodeType());
    Affine a = new Affine(Tensor.scalar(2), Tensor.scalar(0));
    assertEquals(List.of("scale", "shift"), List.copyOf(a.variables().keySet()));
    Affine next = State.update(a, Tensor.scalar(1));
    assertEquals(1.0, next.shift.item(), "rebuilt through the registered node type");
    assertEquals(2.0, next.scale.item());

    // an inner module inside a registered container is found and replaced by identity
    HoldsBox outer = new HoldsBox(new Box(new Counter(Tensor.scalar(0))));
    HoldsBox updated = State.update(outer, Tensor.scalar(1));
    assertEquals(1.0, ((Counter) updated.box().content).count().item());
    assertEquals(List.of("box"), List.copyOf(outer.variables().keySet()));
  }
}
