package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Round-trip properties over random nested trees (lists, maps of three kinds, records with static
 * components, arrays, Optional, null), one generated tree per seed; a failure names its seed.
 */
class TreesRoundTripTest {
  record Pair(Object left, Object right) {}

  record Tagged(@Static String tag, Object value, int n) {}

  /**
   * A record whose components are always children ({@link Pair}'s, declared {@code Object}, could
   * be aux data at run time, which keeps it on the generic path).
   */
  record Twin(List<Object> left, Map<String, Object> right) {}

  static Stream<Long> seeds() {
    return IntStream.range(0, 300).mapToObj(i -> 0x5EEDL * 31 + i);
  }

  /** Generates a random tree of bounded depth; leaves are distinct boxed integers. */
  static final class Gen {
    private final Random random;
    private final boolean generatable;
    private int nextLeaf;

    Gen(long seed) {
      this(seed, false);
    }

    /**
     * With {@code generatable}: only the kinds {@link StructureCode} generates code for (leaves,
     * lists, unordered maps, records without static components, null).
     */
    Gen(long seed, boolean generatable) {
      random = new Random(seed);
      this.generatable = generatable;
    }

    Object tree(int depth) {
      int choice = depth <= 0 ? 0 : random.nextInt(10);
      if (generatable && (choice == 5 || choice == 6 || choice == 7)) {
        choice = choice - 3; // a list, a map or a pair instead
      }
      return switch (choice) {
        case 0, 1 -> nextLeaf++;
        case 2 -> {
          List<Object> l = new ArrayList<>();
          for (int i = random.nextInt(4); i > 0; i--) {
            l.add(tree(depth - 1));
          }
          yield l;
        }
        case 3 -> {
          Map<String, Object> m =
              switch (generatable ? 0 : random.nextInt(3)) {
                case 0 -> new HashMap<>();
                case 1 -> new LinkedHashMap<>();
                default -> new TreeMap<>();
              };
          for (int i = random.nextInt(4); i > 0; i--) {
            m.put("k" + random.nextInt(10), tree(depth - 1));
          }
          yield m;
        }
        case 4 ->
            generatable
                ? new Twin(
                    new ArrayList<>(Collections.singletonList(tree(depth - 1))),
                    new HashMap<>(Collections.singletonMap("v", tree(depth - 1))))
                : new Pair(tree(depth - 1), tree(depth - 1));
        case 5 -> new Tagged("t" + random.nextInt(3), tree(depth - 1), random.nextInt(3));
        case 6 -> {
          Object[] a = new Object[random.nextInt(3)];
          for (int i = 0; i < a.length; i++) {
            a[i] = tree(depth - 1);
          }
          yield a;
        }
        case 7 -> random.nextBoolean() ? Optional.ofNullable(tree(depth - 1)) : Optional.empty();
        case 8 -> null;
        default ->
            generatable
                ? Map.of("only", Objects.requireNonNullElse(tree(depth - 1), -1))
                : Collections.singletonMap("only", tree(depth - 1));
      };
    }
  }

  /** Deep equality that looks into arrays (which {@code Object.equals} does not). */
  static void assertSameTree(Object expected, Object actual, String where) {
    if (expected instanceof Object[] e) {
      Object[] a = assertInstanceOf(Object[].class, actual, where);
      assertEquals(e.length, a.length, where);
      for (int i = 0; i < e.length; i++) {
        assertSameTree(e[i], a[i], where + "[" + i + "]");
      }
    } else if (expected instanceof List<?> e) {
      List<?> a = assertInstanceOf(List.class, actual, where);
      assertEquals(e.size(), a.size(), where);
      for (int i = 0; i < e.size(); i++) {
        assertSameTree(e.get(i), a.get(i), where + "[" + i + "]");
      }
    } else if (expected instanceof Map<?, ?> e) {
      Map<?, ?> a = assertInstanceOf(Map.class, actual, where);
      assertEquals(e.keySet(), a.keySet(), where);
      for (var k : e.keySet()) {
        assertSameTree(e.get(k), a.get(k), where + "['" + k + "']");
      }
    } else if (expected instanceof Pair(Object l, Object r)) {
      Pair a = assertInstanceOf(Pair.class, actual, where);
      assertSameTree(l, a.left(), where + ".left");
      assertSameTree(r, a.right(), where + ".right");
    } else if (expected instanceof Twin(Object l, Object r)) {
      Twin a = assertInstanceOf(Twin.class, actual, where);
      assertSameTree(l, a.left(), where + ".left");
      assertSameTree(r, a.right(), where + ".right");
    } else if (expected instanceof Tagged(String tag, Object v, int n)) {
      Tagged a = assertInstanceOf(Tagged.class, actual, where);
      assertEquals(tag, a.tag(), where);
      assertEquals(n, a.n(), where);
      assertSameTree(v, a.value(), where + ".value");
    } else if (expected instanceof Optional<?> e) {
      Optional<?> a = assertInstanceOf(Optional.class, actual, where);
      assertEquals(e.isPresent(), a.isPresent(), where);
      if (e.isPresent()) {
        assertSameTree(e.get(), a.get(), where + ".value");
      }
    } else {
      assertEquals(expected, actual, where);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void flattenThenUnflattenRebuildsTheTree(long seed) {
    Object tree = new Gen(seed).tree(5);
    Trees.Flat flat = Trees.flatten(tree);
    assertEquals(flat.treeDef().numLeaves(), flat.leaves().size());
    Object back = Trees.unflatten(flat.treeDef(), flat.leaves());
    assertSameTree(tree, back, "seed " + seed + " at ");
    // Same structure and leaves again, and an equal (hash-equal) TreeDef.
    Trees.Flat again = Trees.flatten(back);
    assertEquals(flat.leaves(), again.leaves());
    assertEquals(flat.treeDef(), again.treeDef());
    assertEquals(flat.treeDef().hashCode(), again.treeDef().hashCode());
    assertEquals(flat.treeDef().toString(), again.treeDef().toString());
  }

  /**
   * Flattened and unflattened often enough for its structure's code to be generated (where it can
   * be), a tree still gives the generic path's results; so do the next seed's tree (a different
   * structure, through the previous tree's code when the root classes agree) and the rebuilt tree.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void repeatedFlattensAgreeWithTheGenericPath(long seed) {
    repeatedFlattensAgree(seed, false);
    repeatedFlattensAgree(seed, true);
  }

  private static void repeatedFlattensAgree(long seed, boolean generatable) {
    Object tree = new Gen(seed, generatable).tree(5);
    Object other = new Gen(seed + 1, generatable).tree(5);
    Trees.Flat generic = Trees.flatten(tree, x -> false);
    Object rebuilt = tree;
    for (int i = 0; i <= 2 * StructureCode.COMPILE_AFTER + 2; i++) {
      // The tree itself, then the tree unflatten built (other collection classes).
      Trees.Flat flat = Trees.flatten(i <= StructureCode.COMPILE_AFTER ? tree : rebuilt);
      assertEquals(generic.treeDef(), flat.treeDef(), "seed " + seed);
      assertEquals(generic.leaves(), flat.leaves(), "seed " + seed);
      rebuilt = Trees.unflatten(flat.treeDef(), flat.leaves());
      assertSameTree(tree, rebuilt, "seed " + seed + " at ");
    }
    Trees.Flat otherGeneric = Trees.flatten(other, x -> false);
    Trees.Flat otherFlat = Trees.flatten(other);
    assertEquals(otherGeneric.treeDef(), otherFlat.treeDef(), "seed " + seed);
    assertEquals(otherGeneric.leaves(), otherFlat.leaves(), "seed " + seed);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void pathsMapPartitionAndCombineAgree(long seed) {
    Object tree = new Gen(seed).tree(5);
    List<Object> leaves = Trees.leaves(tree);
    var withPath = Trees.leavesWithPath(tree);
    assertEquals(leaves, withPath.stream().map(Map.Entry::getValue).toList());
    // Every path leads to its leaf: replacing there changes exactly that leaf.
    for (int i = 0; i < withPath.size(); i++) {
      Object replaced = Trees.replaceAt(tree, withPath.get(i).getKey(), -1);
      List<Object> expected = new ArrayList<>(leaves);
      expected.set(i, -1);
      assertEquals(expected, Trees.leaves(replaced), "seed " + seed + " " + withPath.get(i));
    }
    Object shifted = Trees.map(x -> (Integer) x + 1000, tree);
    assertEquals(Trees.structure(tree), Trees.structure(shifted));
    assertEquals(leaves.stream().map(x -> (Integer) x + 1000).toList(), Trees.leaves(shifted));
    Object summed = Trees.map((a, b) -> (Integer) a + (Integer) b, tree, shifted);
    assertEquals(leaves.stream().map(x -> 2 * (Integer) x + 1000).toList(), Trees.leaves(summed));

    var parts = Trees.partition(tree, x -> (Integer) x % 2 == 0);
    List<Object> even = leaves.stream().filter(x -> (Integer) x % 2 == 0).toList();
    assertEquals(even, Trees.leaves(parts.matching()).stream().filter(Objects::nonNull).toList());
    assertSameTree(tree, Trees.combine(parts.matching(), parts.rest()), "seed " + seed + " ");
    Object[] expectedLeaves = leaves.toArray();
    assertArrayEquals(
        expectedLeaves, Trees.leaves(Trees.combine(parts.rest(), parts.matching())).toArray());
  }
}
