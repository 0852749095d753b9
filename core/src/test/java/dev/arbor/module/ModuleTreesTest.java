package dev.arbor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.arbor.array.Tensor;
import dev.arbor.random.Key;
import dev.arbor.tree.Trees;
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
}
