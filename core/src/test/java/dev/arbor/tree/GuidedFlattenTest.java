package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.tree.spi.NodeType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Flatten is guided by the previous flatten of a root of the same class, and a structure used often
 * gets generated code ({@link StructureCode}): every change of structure must still give what the
 * generic path gives (an {@code isLeaf} predicate turns both off), and the generated code must
 * accept exactly the trees of its structure.
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

  // ------------------------------------------------------------- generated code (StructureCode)

  record Block(Dense attn, Dense mlp, Map<String, Object> norms) {}

  record Scaled(@Static Double scale, Double w) {}

  record Positive(Double x) {
    Positive {
      if (x < 0) {
        throw new IllegalArgumentException("negative: " + x);
      }
    }
  }

  /** A leaf class whose superclass gets registered as a node type at run time. */
  static class Base {
    final Object value;

    Base(Object value) {
      this.value = value;
    }
  }

  static final class Sub extends Base {
    Sub(Object value) {
      super(value);
    }
  }

  private static Block block(double base) {
    return new Block(
        new Dense(base, base + 1),
        new Dense(base + 2, base + 3),
        Map.of("ln1", base + 4, "ln2", base + 5));
  }

  /** The benchmark's shape in small: a map with a list of equal blocks and some leaves. */
  private static Map<String, Object> model(int blocks) {
    List<Object> list = new ArrayList<>();
    for (int i = 0; i < blocks; i++) {
      list.add(block(10 * i));
    }
    return Map.of("blocks", list, "embed", 1.0, "head", new Dense(2.0, 3.0), "scale", 4.0);
  }

  /**
   * Flattens {@code tree} until its structure's code is generated and returns that structure; fails
   * if no code was generated (so the checks that follow really exercise it).
   */
  private static TreeDefNode warm(Object tree) {
    TreeDefNode def = null;
    for (int i = 0; i <= StructureCode.COMPILE_AFTER + 1; i++) {
      def = (TreeDefNode) Trees.flatten(tree).treeDef();
    }
    TreeDefNode d = def;
    assertNotNull(
        StructureCode.flattenCode(def, Registry.snapshot()),
        () ->
            "no code generated for "
                + tree
                + (d.code == null
                    ? ""
                    : " uses "
                        + d.code.flattenUses
                        + " no "
                        + d.code.noFlatten
                        + " "
                        + d.code.flatten));
    return def;
  }

  /**
   * {@code changed} through the code generated for {@code base}'s structure, directly and through
   * {@code Trees.flatten}: both must agree with the generic path, and the generated code must
   * accept exactly the trees whose generic structure is {@code base}'s.
   */
  private static void checkGenerated(Object base, Object changed) {
    TreeDefNode def = warm(base);
    StructureCode.FlattenCode code = StructureCode.flattenCode(def, Registry.snapshot());
    Trees.Flat generic = Trees.flatten(changed, x -> false);
    Object[] out = new Object[def.numLeaves];
    boolean accepted;
    try {
      accepted = code.flatten(changed, out);
    } catch (RuntimeException e) {
      accepted = false;
    }
    assertEquals(
        generic.treeDef().equals(def), accepted, () -> "generated code accepted " + changed);
    if (accepted) {
      assertEquals(generic.leaves(), Arrays.asList(out), () -> "leaves of " + changed);
    }
    check(changed);
  }

  @Test
  void generatedFlattenIsUsedAndMatchesTheGenericPath() {
    Map<String, Object> tree = model(5);
    TreeDefNode def = warm(tree);
    Map<String, Object> other = model(5);
    Trees.Flat flat = Trees.flatten(other);
    assertSame(def, flat.treeDef());
    assertEquals(Trees.flatten(other, x -> false).leaves(), flat.leaves());
    // Direct call: the structure's own tree is accepted, leaves in flatten order.
    Object[] out = new Object[def.numLeaves];
    assertTrue(StructureCode.flattenCode(def, Registry.snapshot()).flatten(other, out));
    assertEquals(flat.leaves(), Arrays.asList(out));
  }

  @Test
  void generatedFlattenMatchesTheGenericPathUnderEveryChangeOfStructure() {
    Map<String, Object> base = model(4);
    checkGenerated(base, model(4)); // same structure, other leaves
    checkGenerated(base, model(3)); // list size
    checkGenerated(base, model(5));
    // A different record class in a block.
    List<Object> blocks = new ArrayList<>(((List<?>) model(4).get("blocks")));
    blocks.set(2, new Pair(1.0, 2.0));
    checkGenerated(base, withBlocks(blocks));
    // A node where a leaf was, null where a leaf was, null where a node was, leaf where a node was.
    checkGenerated(base, withEntry("embed", new Dense(1.0, 2.0)));
    checkGenerated(base, withEntry("embed", null));
    checkGenerated(base, withEntry("head", null));
    checkGenerated(base, withEntry("head", 7.0));
    checkGenerated(base, withEntry("head", new Dense(null, 3.0))); // null leaf in a record
    // Leaves of another class (still leaves: same structure, accepted through the registry).
    checkGenerated(base, withEntry("embed", 1));
    checkGenerated(base, withEntry("embed", "a string leaf"));
    // Maps with different keys: renamed, one more, one fewer, and the top-level map's keys.
    blocks = new ArrayList<>(((List<?>) model(4).get("blocks")));
    blocks.set(
        1, new Block(new Dense(1.0, 2.0), new Dense(3.0, 4.0), Map.of("ln1", 5.0, "x", 6.0)));
    checkGenerated(base, withBlocks(blocks));
    blocks.set(1, new Block(new Dense(1.0, 2.0), new Dense(3.0, 4.0), Map.of("ln1", 5.0)));
    checkGenerated(base, withBlocks(blocks));
    Map<String, Object> norms = new HashMap<>(Map.of("ln1", 5.0, "ln2", 6.0, "ln3", 7.0));
    blocks.set(1, new Block(new Dense(1.0, 2.0), new Dense(3.0, 4.0), norms));
    checkGenerated(base, withBlocks(blocks));
    Map<String, Object> renamed = new HashMap<>(model(4));
    renamed.put("tail", renamed.remove("scale"));
    checkGenerated(base, renamed);
    // A null map value (present key) where a leaf was: a different structure.
    Map<String, Object> nullValue = new HashMap<>(model(4));
    nullValue.put("scale", null);
    checkGenerated(base, nullValue);
    // Optional empty / present where a leaf or node was.
    checkGenerated(base, withEntry("embed", Optional.of(1.0)));
    checkGenerated(base, withEntry("embed", Optional.empty()));
    checkGenerated(base, withEntry("head", Optional.of(new Dense(2.0, 3.0))));
    // A @Static record where a leaf was, with two different static values.
    checkGenerated(base, withEntry("embed", new Scaled(1.0, 2.0)));
    checkGenerated(base, withEntry("embed", new Scaled(3.0, 2.0)));
    // Other collection classes of the same kinds: a List.of list, an immutable map.
    checkGenerated(base, withBlocks(List.copyOf((List<?>) model(4).get("blocks"))));
    checkGenerated(base, Map.copyOf(new HashMap<>(model(4))));
  }

  @Test
  void treesThatUnflattenBuiltTakeTheGeneratedCode() {
    // Trees.map builds ordered FrozenMaps (and FrozenLists): their keys are the structure's.
    Object base = Trees.map(x -> x, model(3));
    TreeDefNode def = warm(base);
    Object next = Trees.map(x -> (Double) x + 1, base);
    Object[] out = new Object[def.numLeaves];
    assertTrue(StructureCode.flattenCode(def, Registry.snapshot()).flatten(next, out));
    checkGenerated(base, next);
    checkGenerated(base, model(3)); // the Map.of original: the same structure
    checkGenerated(base, Trees.map(x -> x, model(2)));
    List<Object> blocks = new ArrayList<>(((List<?>) model(3).get("blocks")));
    blocks.set(
        1, new Block(new Dense(1.0, 2.0), new Dense(3.0, 4.0), Map.of("ln1", 5.0, "x", 6.0)));
    checkGenerated(base, Trees.map(x -> x, withBlocks(blocks)));
    blocks.set(1, new Block(new Dense(1.0, 2.0), new Dense(3.0, 4.0), Map.of("ln1", 5.0)));
    checkGenerated(base, Trees.map(x -> x, withBlocks(blocks)));
    Map<String, Object> ordered = new LinkedHashMap<>();
    ordered.put("ln2", 1.0);
    ordered.put("ln1", 2.0); // the same keys in another order: another structure
    blocks.set(1, new Block(new Dense(1.0, 2.0), new Dense(3.0, 4.0), ordered));
    checkGenerated(base, Trees.map(x -> x, withBlocks(blocks)));
    assertNotNull(StructureCode.flattenCode(warm(base), Registry.snapshot()));
  }

  @Test
  void orderedMapsAndSequentialListsTakeTheGenericPathAndDropTheCode() {
    Map<String, Object> base = model(2);
    // An ordered map in sorted key order has the same structure, but only the generic path can
    // tell (its order is its own): the code turns it down, and is dropped once that is seen.
    Map<String, Object> ordered = new LinkedHashMap<>();
    ordered.put("ln1", 1.0);
    ordered.put("ln2", 2.0);
    List<Object> blocks = new ArrayList<>(((List<?>) model(2).get("blocks")));
    blocks.set(0, new Block(new Dense(1.0, 2.0), new Dense(3.0, 4.0), ordered));
    Map<String, Object> changed = withBlocks(blocks);
    TreeDefNode def = warm(base);
    Object[] out = new Object[def.numLeaves];
    assertFalse(StructureCode.flattenCode(def, Registry.snapshot()).flatten(changed, out));
    assertEquals(def, Trees.flatten(changed, x -> false).treeDef());
    Trees.Flat flat = Trees.flatten(changed);
    assertSame(def, flat.treeDef());
    assertEquals(Trees.flatten(changed, x -> false).leaves(), flat.leaves());
    assertNull(StructureCode.flattenCode(def, Registry.snapshot()), "dropped after a refusal");
    // Still correct afterwards, through the guided path.
    check(model(2));
    check(withBlocks(new LinkedList<>((List<?>) model(2).get("blocks"))));
    // A list that is not RandomAccess: the same structure, turned down by the code.
    TreeDefNode again = warm(model(3));
    Map<String, Object> linked = withBlocks(new LinkedList<>((List<?>) model(3).get("blocks")));
    assertFalse(
        StructureCode.flattenCode(again, Registry.snapshot())
            .flatten(linked, new Object[again.numLeaves]));
    check(linked);
  }

  @Test
  void aRegistrationAtRunTimeTurnsTheGeneratedCodeOff() {
    Map<String, Object> tree = Map.of("a", new Sub(1.0), "b", List.of(new Sub(2.0), 3.0));
    TreeDefNode def = warm(tree);
    assertEquals(3, def.numLeaves);
    Trees.register(
        new NodeType<Base>() {
          @Override
          public Class<Base> type() {
            return Base.class;
          }

          @Override
          public Children flatten(Base node) {
            return new Children(List.of(node.value), null);
          }

          @Override
          public Base unflatten(Object aux, List<?> children) {
            return new Base(children.get(0));
          }
        });
    // The subclass is now a node (it inherits the registration): the code made under the old
    // registry is not used, and the flatten sees the new structure.
    Trees.Flat flat = Trees.flatten(tree);
    assertEquals(List.of(1.0, 2.0, 3.0), flat.leaves());
    assertNull(StructureCode.flattenCode((TreeDefNode) flat.treeDef(), Registry.snapshot()));
    // Registered node types make a new def per flatten, so no code is generated for this
    // structure now; flattens stay correct.
    for (int i = 0; i <= StructureCode.COMPILE_AFTER + 1; i++) {
      check(tree);
    }
    // A structure of the same classes without the registered type is generated again under the
    // new registry.
    warm(Map.of("a", 1.0, "b", List.of(2.0, 3.0)));
  }

  @Test
  void generatedCodeIsConsistentWhileRegistrationsHappenOnOtherThreads() throws Exception {
    final class Cell {
      final Object value;

      Cell(Object value) {
        this.value = value;
      }
    }
    Object tree = Map.of("x", List.of(new Cell(1.0), new Dense(2.0, 3.0)), "y", new Cell(4.0));
    warm(tree);
    int threads = 3;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger after = new AtomicInteger();
    // Every thread is flattening before the registration (under load a pool thread can start
    // late, and one that started after `stop` with 500 registered flattens done did nothing).
    CountDownLatch running = new CountDownLatch(threads);
    List<Future<Integer>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      results.add(
          pool.submit(
              () -> {
                int iterations = 0;
                while (!stop.get() || after.get() < 500) {
                  Trees.Flat flat = Trees.flatten(tree);
                  List<Object> leaves = flat.leaves();
                  // Before: [Cell, 2.0, 3.0, Cell]; after: [1.0, 2.0, 3.0, 4.0]; never a mix.
                  boolean registered = leaves.getFirst() instanceof Double;
                  if (registered != leaves.getLast() instanceof Double || leaves.size() != 4) {
                    throw new AssertionError("inconsistent flatten: " + leaves);
                  }
                  if (registered) {
                    after.incrementAndGet();
                  }
                  Map<?, ?> back = Trees.unflatten(flat.treeDef(), leaves);
                  Object y = back.get("y");
                  if (registered
                      ? !(y instanceof Cell c && c.value.equals(4.0))
                      : y != leaves.getLast()) {
                    throw new AssertionError("inconsistent unflatten: " + back);
                  }
                  if (++iterations == 1) {
                    running.countDown();
                  }
                }
                return iterations;
              }));
    }
    assertTrue(running.await(30, TimeUnit.SECONDS), "flattening threads did not start");
    Thread.sleep(20);
    Trees.register(
        new NodeType<Cell>() {
          @Override
          public Class<Cell> type() {
            return Cell.class;
          }

          @Override
          public Children flatten(Cell node) {
            return new Children(List.of(node.value), null);
          }

          @Override
          public Cell unflatten(Object aux, List<?> children) {
            return new Cell(children.get(0));
          }
        });
    Thread.sleep(20);
    stop.set(true);
    for (Future<Integer> f : results) {
      assertTrue(f.get(30, TimeUnit.SECONDS) > 0);
    }
    pool.shutdown();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    check(tree);
  }

  @Test
  void generatedUnflattenMatchesTheGenericPath() {
    Map<String, Object> tree = model(6);
    TreeDefNode def = (TreeDefNode) Trees.flatten(tree).treeDef();
    List<Object> leaves = Trees.flatten(tree).leaves();
    for (int i = 0; i <= StructureCode.COMPILE_AFTER; i++) {
      Trees.unflatten(def, leaves);
    }
    assertNotNull(def.code.unflatten, "no unflatten code generated");
    Object generated = Trees.unflatten(def, leaves);
    Object generic = new Unflattener(leaves.toArray()).build(def);
    assertEquals(generic, generated);
    assertEquals(tree, generated);
    assertEquals(def, Trees.flatten(generated, x -> false).treeDef());
    // null leaves (partition holes) and leaves of any class rebuild alike.
    Object[] holes = new Object[def.numLeaves];
    holes[3] = 9.0;
    assertEquals(
        new Unflattener(holes.clone()).build(def), Trees.unflatten(def, Arrays.asList(holes)));
  }

  @Test
  void aConstructorRejectingItsValuesIsReportedAsByTheGenericPath() {
    Map<String, Object> tree = Map.of("p", List.of(new Positive(1.0), new Positive(2.0)));
    TreeDefNode def = (TreeDefNode) Trees.flatten(tree).treeDef();
    for (int i = 0; i <= StructureCode.COMPILE_AFTER; i++) {
      assertEquals(tree, Trees.unflatten(def, List.of(1.0, 2.0)));
    }
    assertNotNull(def.code.unflatten, "no unflatten code generated");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Trees.unflatten(def, List.of(1.0, -2.0)));
    // The generic path's report (the same def at both positions: it names the first).
    assertEquals(
        "Trees.unflatten: cannot rebuild Record Positive{x: *} at ['p'][0]: its canonical"
            + " constructor rejected the values (x=Double): java.lang.IllegalArgumentException:"
            + " negative: -2.0",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Trees.unflatten(def, List.of(1.0)));
  }

  @Test
  void structuresWithOtherKindsAreNotGeneratedButStayCorrect() {
    // Optional makes a new def per flatten; arrays and registered types are not generated.
    Object withOptional = Map.of("o", Optional.of(1.0), "d", new Dense(1.0, 2.0));
    Object withArray = List.of(new Object[] {1.0, 2.0}, new Dense(1.0, 2.0));
    for (Object tree : List.of(withOptional, withArray)) {
      for (int i = 0; i <= StructureCode.COMPILE_AFTER + 1; i++) {
        check(tree);
      }
      TreeDefNode def = (TreeDefNode) Trees.flatten(tree).treeDef();
      assertNull(StructureCode.flattenCode(def, Registry.snapshot()), () -> "generated " + tree);
      check(tree);
    }
  }

  @Test
  void largeNodesAreLoopedOrNotGenerated() {
    // 2,000 equal children: one loop.
    List<Object> many = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      many.add(i % 2 == 0 ? (Object) (double) i : new Dense((double) i, 1.0));
    }
    List<Object> runs = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      runs.add(new Dense((double) i, 1.0));
    }
    TreeDefNode def = warm(runs);
    assertEquals(4000, def.numLeaves);
    checkGenerated(runs, List.copyOf(runs));
    // 2,000 alternating children and a 2,000-key map: too many to write out, not generated.
    Map<String, Object> wide = new HashMap<>();
    for (int i = 0; i < 2000; i++) {
      wide.put("k" + i, (double) i);
    }
    for (Object tree : List.of(many, wide)) {
      for (int i = 0; i <= StructureCode.COMPILE_AFTER + 1; i++) {
        check(tree);
      }
      TreeDefNode d = (TreeDefNode) Trees.flatten(tree).treeDef();
      assertNull(StructureCode.flattenCode(d, Registry.snapshot()));
    }
  }

  record Conv(Double w, int stride, String name) {}

  @Test
  void auxDataIsComparedByTheGeneratedCode() {
    // @Static, primitive and String components are aux data; Object components are decided by
    // the value (a String is aux, a Double a child).
    List<Object> base =
        List.of(
            new Scaled(2.0, 1.0),
            new Conv(1.0, 2, "c"),
            new Pair("aux", 3.0),
            new Scaled(null, 4.0),
            new Dense(5.0, 6.0));
    TreeDefNode def = warm(base);
    assertEquals(6, def.numLeaves);
    checkGenerated(base, List.copyOf(Trees.map(x -> (Double) x + 1, base)));
    checkGenerated(base, replace(base, 0, new Scaled(3.0, 1.0))); // static value changed
    checkGenerated(base, replace(base, 0, new Scaled(null, 1.0)));
    checkGenerated(base, replace(base, 3, new Scaled(1.0, 4.0)));
    checkGenerated(base, replace(base, 1, new Conv(1.0, 3, "c"))); // primitive changed
    checkGenerated(base, replace(base, 1, new Conv(1.0, 2, "d"))); // String changed
    checkGenerated(base, replace(base, 1, new Conv(1.0, 2, null)));
    checkGenerated(base, replace(base, 1, new Conv(null, 2, "c")));
    checkGenerated(base, replace(base, 2, new Pair("other", 3.0))); // aux value changed
    checkGenerated(base, replace(base, 2, new Pair(1.0, 3.0))); // aux -> child
    checkGenerated(base, replace(base, 2, new Pair(null, 3.0))); // aux -> null child
    checkGenerated(List.of(new Pair(1.0, 2.0)), List.of(new Pair("a", 2.0))); // child -> aux
    // Unflatten passes the aux values to the constructor.
    def = (TreeDefNode) Trees.flatten(base).treeDef();
    List<Object> leaves = Trees.flatten(base).leaves();
    for (int i = 0; i <= StructureCode.COMPILE_AFTER; i++) {
      assertEquals(base, Trees.unflatten(def, leaves));
    }
    assertNotNull(def.code.unflatten, "no unflatten code generated");
    assertEquals(new Unflattener(leaves.toArray()).build(def), Trees.unflatten(def, leaves));
  }

  private static List<Object> replace(List<?> list, int i, Object value) {
    List<Object> out = new ArrayList<>(list);
    out.set(i, value);
    return List.copyOf(out);
  }

  private static Map<String, Object> withEntry(String key, Object value) {
    Map<String, Object> m = new HashMap<>(model(4));
    m.put(key, value);
    // Map.copyOf: the root class of model(), so Trees.flatten tries the generated code too.
    return value == null ? m : Map.copyOf(m);
  }

  private static Map<String, Object> withBlocks(List<?> blocks) {
    return withEntry("blocks", blocks);
  }
}
