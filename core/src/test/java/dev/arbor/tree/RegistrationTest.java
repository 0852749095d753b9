package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.plugin.PluginProblem;
import dev.arbor.plugin.PluginProblems;
import dev.arbor.tree.spi.NodeType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RegistrationTest {

  /** A third-party container: not a record, not annotated; a leaf until registered. */
  static class Bag {
    final List<Object> items;

    Bag(List<Object> items) {
      this.items = List.copyOf(items);
    }
  }

  static final class SpecialBag extends Bag {
    SpecialBag(List<Object> items) {
      super(items);
    }
  }

  static final class BagNodeType implements NodeType<Bag> {
    @Override
    public Class<Bag> type() {
      return Bag.class;
    }

    @Override
    public Children flatten(Bag node) {
      return new Children(node.items, node.items.size());
    }

    @Override
    public Bag unflatten(Object aux, List<?> children) {
      return new Bag(new ArrayList<>(children));
    }

    @Override
    public List<KeyPath> keys(Bag node) {
      List<KeyPath> keys = new ArrayList<>();
      for (int i = 0; i < node.items.size(); i++) {
        keys.add(KeyPath.root().field("item" + i));
      }
      return keys;
    }
  }

  static final class Pt {
    final Object x;
    final Object y;

    Pt(Object x, Object y) {
      this.x = x;
      this.y = y;
    }
  }

  /** A node type for {@link Pt} that reports itself in its aux data. */
  record PtNodeType(String name) implements NodeType<Pt> {
    @Override
    public Class<Pt> type() {
      return Pt.class;
    }

    @Override
    public Children flatten(Pt node) {
      return new Children(List.of(node.x, node.y), name);
    }

    @Override
    public Pt unflatten(Object aux, List<?> children) {
      return new Pt(children.get(0), children.get(1));
    }
  }

  record R1() {}

  record R2() {}

  record R3() {}

  record R4() {}

  record R5() {}

  /** A node type with no children whose aux data is the node itself. */
  static <T> NodeType<T> opaque(Class<T> type) {
    return new NodeType<>() {
      @Override
      public Class<T> type() {
        return type;
      }

      @Override
      public Children flatten(T node) {
        return new Children(List.of(), node);
      }

      @Override
      public T unflatten(Object aux, List<?> children) {
        return type.cast(aux);
      }
    };
  }

  @Test
  void registeredTypesAndTheirSubclassesAreNodes() {
    assertEquals(1, Trees.leaves(new Bag(List.of(1, 2))).size(), "a leaf before registration");
    Trees.register(new BagNodeType());
    assertEquals(List.of(1, 2), Trees.leaves(new Bag(List.of(1, 2))));
    assertEquals(List.of(3, 4), Trees.leaves(new SpecialBag(List.of(3, 4))), "inherited");
    Bag doubled = Trees.map(x -> (Integer) x * 2, new Bag(List.of(1, 2)));
    assertEquals(List.of(2, 4), doubled.items);
    assertEquals("Bag(2)[*, *]", Trees.structure(new Bag(List.of(1, 2))).toString());
    assertEquals(
        "[.item0, .item1]",
        Trees.leavesWithPath(new Bag(List.of(1, 2))).stream()
            .map(e -> e.getKey())
            .toList()
            .toString());
    assertTrue(Trees.nodeTypeOf(SpecialBag.class).orElseThrow() instanceof BagNodeType);
    assertTrue(
        Trees.registeredNodeTypes().stream()
            .anyMatch(
                r -> r.type() == Bag.class && r.source() == RegisteredNodeType.Source.RUNTIME));
  }

  @Test
  void theLaterRuntimeRegistrationWinsAndTheConflictIsReported() {
    PtNodeType first = new PtNodeType("first");
    PtNodeType second = new PtNodeType("second");
    Trees.register(first);
    Trees.register(first); // the same instance again: no conflict
    int before = problemsAbout(Pt.class).size();
    assertEquals("Pt(first)[*, *]", Trees.structure(new Pt(1, 2)).toString());
    Trees.register(second);
    assertEquals("Pt(second)[*, *]", Trees.structure(new Pt(1, 2)).toString());
    List<PluginProblem> problems = problemsAbout(Pt.class);
    assertEquals(before + 1, problems.size());
    String message = problems.getLast().message();
    assertTrue(message.contains("replaces"), message);
    assertTrue(message.contains("runtime registration always wins"), message);
    assertSame(second, Trees.nodeTypeOf(Pt.class).orElseThrow());
  }

  private static List<PluginProblem> problemsAbout(Class<?> c) {
    return PluginProblems.list().stream().filter(p -> p.message().contains(c.getName())).toList();
  }

  @Test
  void registrationRejectsNonsense() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Trees.register(
                    new NodeType<Object>() {
                      @Override
                      public Class<Object> type() {
                        return Object.class;
                      }

                      @Override
                      public Children flatten(Object node) {
                        return new Children(List.of(), null);
                      }

                      @Override
                      public Object unflatten(Object aux, List<?> children) {
                        return null;
                      }
                    }));
    assertTrue(e.getMessage().contains("every value a node"), e.getMessage());
    assertThrows(NullPointerException.class, () -> Trees.register(null));
  }

  /** Registration publishes a new registry while other threads keep flattening consistently. */
  @Test
  void registrationWhileFlatteningOnOtherThreads() throws Exception {
    final class Cell {
      final Object value;

      Cell(Object value) {
        this.value = value;
      }
    }
    Object tree = List.of(new Cell(1), List.of(2, 3), new Cell(List.of(4)));
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger before = new AtomicInteger();
    AtomicInteger after = new AtomicInteger();
    CountDownLatch started = new CountDownLatch(threads);
    List<Future<Integer>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      results.add(
          pool.submit(
              () -> {
                started.countDown();
                int iterations = 0;
                while (!stop.get() || after.get() < 1000) {
                  Trees.Flat flat = Trees.flatten(tree);
                  List<Object> leaves = flat.leaves();
                  // Before registration: [Cell, 2, 3, Cell]; after: [1, 2, 3, 4]; never a mix,
                  // because one flatten uses one registry snapshot.
                  boolean registered = leaves.getFirst() instanceof Integer;
                  if (registered != leaves.getLast() instanceof Integer || leaves.size() != 4) {
                    throw new AssertionError("inconsistent flatten: " + leaves);
                  }
                  (registered ? after : before).incrementAndGet();
                  int n = leaves.size();
                  Object back = Trees.unflatten(flat.treeDef(), flat.leaves());
                  assertEquals(n, Trees.leaves(back).size());
                  iterations++;
                }
                return iterations;
              }));
    }
    assertTrue(started.await(10, TimeUnit.SECONDS));
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
    // Other registrations too, while the workers run: each publishes a new registry.
    for (Class<?> c : List.of(R1.class, R2.class, R3.class, R4.class, R5.class)) {
      Trees.register(opaque(c));
    }
    Thread.sleep(20);
    stop.set(true);
    for (Future<Integer> f : results) {
      assertTrue(f.get(30, TimeUnit.SECONDS) > 0);
    }
    pool.shutdown();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    assertEquals(List.of(1, 2, 3, 4), Trees.leaves(tree));
    assertTrue(
        before.get() > 0 && after.get() > 0, before + " flattens before, " + after + " after");
  }
}
