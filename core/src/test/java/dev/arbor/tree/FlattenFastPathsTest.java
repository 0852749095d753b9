package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The flattener's shortcuts (leaf-class fast path, map-key predictions carried across flattens,
 * interned key sets, shared defs) never change a result.
 */
class FlattenFastPathsTest {

  record Pair(Object a, Object b) {}

  /** Declared (not {@code Object}) component types: no aux data, so its defs can be shared. */
  record Dense(Integer w, Integer b) {}

  @Test
  void alternatingKeySetsOfTheSameSizeKeepTheirOwnOrder() {
    List<Object> maps = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      maps.add(Map.of("b", 2 * i, "a", 2 * i + 1));
      maps.add(Map.of("d", -i, "c", i));
      maps.add(Map.of("a", 0, "c", 1)); // shares a key with each of the others
    }
    for (int round = 0; round < 3; round++) {
      Trees.Flat flat = Trees.flatten(maps);
      List<Object> expected = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        expected.addAll(List.of(2 * i + 1, 2 * i, i, -i, 0, 1));
      }
      assertEquals(expected, flat.leaves());
      assertEquals(maps, Trees.unflatten(flat.treeDef(), flat.leaves()));
    }
  }

  @Test
  void predictionsFromEarlierFlattensAreCheckedNotTrusted() {
    Trees.flatten(List.of(Map.of("x", 1, "y", 2), Map.of("p", 3, "q", 4)));
    // Same sizes as the predicted key sets, different keys; and a map whose get() uses identity.
    Map<String, Object> byIdentity = new IdentityHashMap<>();
    byIdentity.put(new String("x"), 10);
    byIdentity.put(new String("y"), 20);
    Map<String, Object> hashed = new HashMap<>(Map.of("q", 40, "z", 30));
    Trees.Flat flat = Trees.flatten(List.of(byIdentity, hashed));
    assertEquals(List.of(10, 20, 40, 30), flat.leaves());
  }

  @Test
  void theSameTreeFlattenedAgainSharesItsDef() {
    Object tree = Map.of("layers", List.of(new Dense(1, 2), new Dense(3, 4)), "scale", 5);
    TreeDef first = Trees.flatten(tree).treeDef();
    TreeDef second = Trees.flatten(tree).treeDef();
    assertSame(first, second);
  }

  @Test
  void anIsLeafPredicateSeesEveryValueAfterWarmUp() {
    List<Object> tree = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      tree.add(new Pair(i, List.of(i, i)));
    }
    Trees.flatten(tree); // warm: Integer is the fast-path leaf class of that flatten
    AtomicInteger asked = new AtomicInteger();
    Trees.Flat flat =
        Trees.flatten(
            tree,
            x -> {
              asked.incrementAndGet();
              return x instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Integer;
            });
    // the outer list, 200 pairs, 200 a components, 200 inner lists (leaves: not descended)
    assertEquals(1 + 200 + 200 + 200, asked.get());
    assertEquals(400, flat.leaves().size());
  }
}
