package dev.arbor.guava;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableBiMap;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableSortedMap;
import dev.arbor.plugin.PluginProblems;
import dev.arbor.tree.KeyPath;
import dev.arbor.tree.RegisteredNodeType;
import dev.arbor.tree.Trees;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/** The Guava node types, found through ServiceLoader from this module's service file. */
class GuavaNodeTypesTest {

  @Test
  void areDiscoveredThroughServiceLoader() {
    List<String> providers =
        Trees.registeredNodeTypes().stream()
            .filter(r -> r.source() == RegisteredNodeType.Source.SERVICE_LOADER)
            .map(r -> r.type().getSimpleName() + " <- " + r.provider())
            .sorted()
            .toList();
    assertEquals(
        List.of(
            "ImmutableList <- dev.arbor.guava.ImmutableListNodeType",
            "ImmutableMap <- dev.arbor.guava.ImmutableMapNodeType",
            "ImmutableSortedMap <- dev.arbor.guava.ImmutableSortedMapNodeType"),
        providers);
    assertEquals(List.of(), PluginProblems.list());
  }

  @Test
  void immutableListsAndTheirSubclassesAreNodes() {
    ImmutableList<Object> list = ImmutableList.of(1, ImmutableList.of(2, 3));
    assertEquals(List.of(1, 2, 3), Trees.leaves(list));
    assertEquals("ImmutableList[*, ImmutableList[*, *]]", Trees.structure(list).toString());
    Object doubled = Trees.map(x -> (Integer) x * 2, list);
    assertInstanceOf(ImmutableList.class, doubled);
    assertEquals(ImmutableList.of(2, ImmutableList.of(4, 6)), doubled);
    // Its subclasses (RegularImmutableList, SingletonImmutableList, sublists) inherit it.
    assertTrue(
        Trees.nodeTypeOf(ImmutableList.of(1).getClass()).orElseThrow()
            instanceof ImmutableListNodeType);
    assertEquals(List.of(2, 3), Trees.leaves(ImmutableList.of(1, 2, 3).subList(1, 3)));
    assertNotEquals(Trees.structure(List.of(1, 2)), Trees.structure(ImmutableList.of(1, 2)));
  }

  @Test
  void immutableMapsKeepInsertionOrderAndNameChildrenByKey() {
    ImmutableMap<String, Object> map = ImmutableMap.of("z", 1, "a", 2);
    assertEquals(List.of(1, 2), Trees.leaves(map));
    assertEquals("ImmutableMap([z, a])[*, *]", Trees.structure(map).toString());
    assertNotEquals(Trees.structure(map), Trees.structure(ImmutableMap.of("a", 2, "z", 1)));
    Object back = Trees.map(x -> (Integer) x + 1, map);
    assertInstanceOf(ImmutableMap.class, back);
    assertEquals(List.of("z", "a"), List.copyOf(((Map<?, ?>) back).keySet()));
    assertEquals(
        List.of("['z']", "['a']"),
        Trees.leavesWithPath(map).stream().map(e -> e.getKey().toString()).toList());
    assertEquals(
        ImmutableMap.of("z", 1, "a", 20), Trees.replaceAt(map, KeyPath.parse("['a']"), 20));
    assertEquals(List.of(1, 2), Trees.leaves(ImmutableBiMap.of("z", 1, "a", 2)));
  }

  @Test
  void immutableSortedMapsKeepTheirComparator() {
    ImmutableSortedMap<String, Object> map =
        ImmutableSortedMap.<String, Object>orderedBy(Comparator.reverseOrder())
            .put("a", 1)
            .put("b", 2)
            .build();
    assertEquals(List.of(2, 1), Trees.leaves(map));
    Object back = Trees.map(x -> (Integer) x * 10, map);
    ImmutableSortedMap<?, ?> sorted = assertInstanceOf(ImmutableSortedMap.class, back);
    assertEquals(Comparator.reverseOrder(), sorted.comparator());
    assertEquals(Map.of("a", 10, "b", 20), sorted);
    assertNotEquals(Trees.structure(map), Trees.structure(ImmutableSortedMap.of("a", 1, "b", 2)));
  }

  @Test
  void setsAreLeaves() {
    ImmutableSet<Integer> set = ImmutableSet.of(1, 2);
    assertEquals(List.of(set), Trees.leaves(set));
  }

  @Test
  void partitionAndCombineSurviveNullHoles() {
    Object tree =
        ImmutableMap.of(
            "w", ImmutableList.of(1.0, "frozen"),
            "s", ImmutableSortedMap.of("x", 2.0, "y", "name"));
    var parts = Trees.partition(tree, x -> x instanceof Double);
    assertEquals(
        Arrays.asList(1.0, null, 2.0, null),
        Trees.flatten(parts.matching(), x -> x == null).leaves());
    Map<?, ?> matching = (Map<?, ?>) parts.matching();
    assertEquals(Arrays.asList(1.0, null), matching.get("w"));
    assertInstanceOf(SortedMap.class, matching.get("s"));
    Object combined = Trees.combine(parts.matching(), parts.rest());
    assertEquals(tree, combined);
    assertEquals(Trees.leaves(tree), Trees.leaves(combined));
  }
}
