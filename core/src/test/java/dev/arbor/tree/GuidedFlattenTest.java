package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Flatten is guided by the previous flatten of a root of the same class: every change of structure
 * must still give what the generic path gives (an {@code isLeaf} predicate turns guidance off).
 */
class GuidedFlattenTest {
  record Pair(Object a, Object b) {}

  record Dense(Double w, Double b) {}

  private static void check(Object tree) {
    Trees.Flat guided = Trees.flatten(tree);
    Trees.Flat generic = Trees.flatten(tree, x -> false);
    assertEquals(generic.treeDef(), guided.treeDef(), () -> "structure of " + tree);
    assertEquals(generic.leaves(), guided.leaves(), () -> "leaves of " + tree);
  }

  @Test
  void sameStructureReusesTheDef() {
    Map<String, Object> tree = Map.of("x", new Dense(1.0, 2.0), "y", List.of(3.0, 4.0));
    TreeDef first = Trees.flatten(tree).treeDef();
    Map<String, Object> other = Map.of("x", new Dense(5.0, 6.0), "y", List.of(7.0, 8.0));
    Trees.Flat again = Trees.flatten(other);
    assertSame(first, again.treeDef());
    assertEquals(List.of(5.0, 6.0, 7.0, 8.0), again.leaves());
  }

  @Test
  void everyChangeOfStructureMatchesTheGenericPath() {
    check(Map.of("x", new Dense(1.0, 2.0), "y", List.of(3.0, 4.0)));
    check(Map.of("x", new Dense(1.0, 2.0), "y", List.of(3.0, 4.0, 5.0))); // list size
    check(Map.of("x", new Pair(1.0, 2.0), "y", List.of(3.0))); // record class
    check(Map.of("x", new Pair(new Dense(1.0, 2.0), 2.0), "y", List.of(3.0))); // leaf -> node
    check(Map.of("x", new Pair(1.0, null), "y", List.of(3.0))); // leaf -> null
    check(Map.of("x", new Pair(1.0, "aux"), "y", List.of(3.0))); // child -> aux
    check(Map.of("x", new Pair(1, 2L), "z", List.of(3.0))); // leaf classes, keys
    check(Map.of("x", 1.0, "z", 2.0, "a", 3.0)); // more keys
    Map<String, Object> linked = new LinkedHashMap<>();
    linked.put("z", 1.0);
    linked.put("a", 2.0);
    check(Map.of("m", linked)); // ordered map: its own order
    Map<String, Object> hashed = new HashMap<>(linked);
    check(Map.of("m", hashed)); // same keys, unordered: sorted
    check(Map.of("m", linked));
    List<Object> list = new ArrayList<>(List.of(1.0, List.of(2.0)));
    check(Map.of("m", list));
    list.set(1, Map.of("k", 2.0));
    check(Map.of("m", list));
  }
}
