package dev.arbor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.module.Fixtures.Count;
import dev.arbor.module.Fixtures.Counter;
import dev.arbor.random.Key;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Functional modules (State.init), nesting, sequential and parallel. */
class StateTest {
  /** A functional counter: variable "count", returns x + count, assigns count + 1. */
  private static final StatefulFn<Integer, Integer> COUNTER =
      (x, key) -> {
        Count c = State.variable("count", new Count(0));
        State.assign("count", new Count(c.n() + 1));
        return x + c.n();
      };

  @Test
  void initCollectsVariablesAndCallsReadStoredValues() {
    Module<Integer, Integer> m = State.init(COUNTER, "counter").apply(Key.of(1), 0);
    assertEquals("counter", m.name());
    assertEquals(Map.of("count", new Count(0)), m.variables(), "assigns are ignored during init");
    assertEquals(1, m.call(1));
    Module<Integer, Integer> next = m.update(1);
    assertEquals(Map.of("count", new Count(1)), next.variables());
    assertEquals(2, next.call(1));
    assertEquals(1, m.call(1));
    assertSame(m.getClass(), next.getClass());
  }

  @Test
  void initKeyAtInitThenKeyZero() {
    List<Key> seen = new ArrayList<>();
    Module<Integer, Integer> m =
        State.init(
                (Integer x, Key key) -> {
                  seen.add(key);
                  return State.variable("k", x);
                },
                null)
            .apply(Key.of(42), 7);
    m.call(1);
    assertEquals(List.of(Key.of(42), Key.of(0)), seen);
    assertEquals(7, m.call(1), "variable returns the stored value");
  }

  @Test
  void plainFunctionGivesModuleWithoutVariables() {
    java.util.function.Function<Integer, Integer> twice = x -> 2 * x;
    Module<Integer, Integer> m = State.init(twice, "twice").apply(Key.of(0), 1);
    assertEquals(Map.of(), m.variables());
    assertEquals(6, m.call(3));
    assertEquals(m, m.update(3));
  }

  @Test
  void unassignedVariablesKeepTheirValues() {
    Module<Integer, Integer> m =
        State.init(
                (Integer x, Key k) -> {
                  int a = State.variable("a", 10);
                  int b = State.variable("b", 20);
                  if (x > 0) {
                    State.assign("b", b + x);
                  }
                  return a + b;
                },
                "ab")
            .apply(Key.of(0), 0);
    Module<Integer, Integer> next = m.update(5);
    assertEquals(Map.of("a", 10, "b", 25), next.variables());
  }

  @Test
  void variableDeclaredTwiceFailsAtInit() {
    Initializer<Integer, Integer> init =
        State.init(
            (Integer x, Key k) -> State.variable("w", 1) + State.variable("w", 2), "twiceDeclared");
    var e = assertThrows(IllegalArgumentException.class, () -> init.apply(Key.of(0), 0));
    assertTrue(
        e.getMessage()
            .startsWith("variable 'w' is declared twice in functional module 'twiceDeclared'"),
        e.getMessage());
  }

  private static Module<Integer, Integer> outer(String innerName) {
    return State.init(
            (Integer x, Key key) -> {
              Module<Integer, Integer> inner = State.init(COUNTER, innerName).apply(key, x);
              int bias = State.variable("bias", 100);
              return inner.call(x) + bias;
            },
            "outer")
        .apply(Key.of(3), 0);
  }

  @Test
  void namedInnerIsOneVariableHoldingTheModule() {
    Module<Integer, Integer> outer = outer("inner");
    assertEquals(List.of("inner", "bias"), List.copyOf(outer.variables().keySet()));
    Module<?, ?> inner = assertInstanceOf(Module.class, outer.variables().get("inner"));
    assertEquals(Map.of("count", new Count(0)), inner.variables());
    assertEquals(101, outer.call(1));
    Module<Integer, Integer> next = outer.update(1).update(1);
    assertEquals(
        Map.of("count", new Count(2)), ((Module<?, ?>) next.variables().get("inner")).variables());
    assertEquals(103, next.call(1));
  }

  @Test
  void unnamedInnerVariablesAppearFlat() {
    Module<Integer, Integer> outer = outer(null);
    assertEquals(Map.of("count", new Count(0), "bias", 100), outer.variables());
    Module<Integer, Integer> next = outer.update(1).update(1);
    assertEquals(Map.of("count", new Count(2), "bias", 100), next.variables());
    assertEquals(103, next.call(1));
  }

  @Test
  void twoUnnamedInnersDeclaringTheSameNameFailNamingBoth() {
    Initializer<Integer, Integer> init =
        State.init(
            (Integer x, Key key) -> {
              State.init(COUNTER, null).apply(key, x);
              State.init(COUNTER, null).apply(key, x);
              return x;
            },
            "clash");
    var e = assertThrows(IllegalArgumentException.class, () -> init.apply(Key.of(0), 0));
    assertEquals(
        "variable 'count' is declared twice in functional module 'clash': by an unnamed inner"
            + " module (State.init #1) and by an unnamed inner module (State.init #2); give the"
            + " inner modules distinct names (State.init(f, \"name\")) or rename the variable",
        e.getMessage());
  }

  @Test
  void twoInnersWithTheSameNameFailNamingBoth() {
    Initializer<Integer, Integer> init =
        State.init(
            (Integer x, Key key) -> {
              State.init(COUNTER, "dense").apply(key, x);
              State.init(COUNTER, "dense").apply(key, x);
              return x;
            },
            "clash");
    var e = assertThrows(IllegalArgumentException.class, () -> init.apply(Key.of(0), 0));
    assertTrue(
        e.getMessage()
            .contains(
                "by inner module 'dense' (State.init #1) and by inner module 'dense' (State.init"
                    + " #2)"),
        e.getMessage());
  }

  @Test
  void innerWithoutVariablesContributesNothing() {
    java.util.function.Function<Integer, Integer> id = x -> x;
    Module<Integer, Integer> outer =
        State.init(
                (Integer x, Key key) -> {
                  Module<Integer, Integer> a = State.init(id, "same").apply(key, x);
                  Module<Integer, Integer> b = State.init(id, "same").apply(key, x);
                  return a.call(x) + b.call(x) + State.variable("v", 1);
                },
                "noClash")
            .apply(Key.of(0), 0);
    assertEquals(Map.of("v", 1), outer.variables());
    assertEquals(5, outer.update(2).call(2));
  }

  @Test
  void recordModuleHeldByFunctionalModuleIsUpdatedByIdentity() {
    Module<Integer, Integer> outer =
        State.init(
                (Integer x, Key key) -> {
                  Counter c = State.variable("counter", new Counter(new Count(0)));
                  return c.apply(x);
                },
                "holder")
            .apply(Key.of(0), 0);
    Module<Integer, Integer> next = outer.update(1).update(1);
    assertEquals(new Counter(new Count(2)), next.variables().get("counter"));
  }

  @Test
  void sequentialFeedsOutputsAndUpdatesEveryLayer() {
    Counter c1 = new Counter(new Count(1));
    Module<Integer, Integer> plus10 = State.init((Integer x) -> x + 10, null).apply(Key.of(0), 0);
    Module<Object, Object> seq = State.sequential(List.of(c1, plus10, new Counter(new Count(100))));
    assertEquals(1 + 1 + 10 + 100, seq.call(1));
    Module<Object, Object> next = seq.update(1);
    @SuppressWarnings("unchecked")
    List<Module<?, ?>> layers = (List<Module<?, ?>>) next.variables().get("layers");
    assertEquals(new Counter(new Count(2)), layers.get(0));
    assertSame(plus10, layers.get(1));
    assertEquals(new Counter(new Count(101)), layers.get(2));
    assertEquals(1 + 2 + 10 + 101, next.call(1));
  }

  @Test
  void parallelFansOutTheSameInput() {
    Module<Integer, List<Object>> par =
        State.parallel(List.of(new Counter(new Count(1)), new Counter(new Count(2))));
    assertEquals(List.of(6, 7), par.call(5));
    assertEquals(List.of(8, 9), par.update(5).update(5).call(5));
  }

  @Test
  void nullArgumentsAreNamed() {
    assertThrows(
        IllegalArgumentException.class, () -> State.init((StatefulFn<Integer, Integer>) null, "x"));
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> State.sequential(java.util.Arrays.asList(new Counter(new Count(0)), null)));
    assertEquals(
        "State.sequential: module [1] is null; every element must be a Module", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> State.assign(null, 1));
  }
}
