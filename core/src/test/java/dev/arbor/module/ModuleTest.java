package dev.arbor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.module.Fixtures.ApplyOuter;
import dev.arbor.module.Fixtures.Base;
import dev.arbor.module.Fixtures.Chained;
import dev.arbor.module.Fixtures.ClassCounter;
import dev.arbor.module.Fixtures.Containers;
import dev.arbor.module.Fixtures.Count;
import dev.arbor.module.Fixtures.Counter;
import dev.arbor.module.Fixtures.Derived;
import dev.arbor.module.Fixtures.HoldsDerived;
import dev.arbor.module.Fixtures.MakesOwn;
import dev.arbor.module.Fixtures.PlainOuter;
import dev.arbor.module.Fixtures.Scale;
import dev.arbor.module.Fixtures.Twice;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Record and class modules without instrumentation (core alone): the explicit apply path. */
class ModuleTest {
  private static final Counter ZERO = new Counter(new Count(0));

  @Test
  void counterCallIsPureAndUpdateReturnsNewModule() {
    assertEquals(1, ZERO.call(1));
    Counter next = State.update(ZERO, 1);
    assertEquals(2, next.call(1));
    assertEquals(1, ZERO.call(1), "the original still answers 1");
    assertEquals(new Count(0), ZERO.count());
    assertEquals(new Count(1), next.count());
  }

  @Test
  void callAndUpdateReturnsOutputAndModule() {
    Updated<Integer, Counter> u = State.callAndUpdate(ZERO, 5);
    assertEquals(5, u.output());
    assertEquals(new Counter(new Count(1)), u.module());
    Updated<Integer, Module<Integer, Integer>> raw = ZERO.callAndUpdate(5);
    assertEquals(u.module(), raw.module());
  }

  @Test
  void variablesListsStateComponentsOnly() {
    assertEquals(Map.of("count", new Count(0)), ZERO.variables());
    Scale scale = new Scale(2, "s", x -> x);
    assertEquals(Map.of(), scale.variables());
    assertSame(scale, scale.update(3), "a module with no state returns an equal module");
  }

  @Test
  void assignOfUnknownNameFailsNamingTheVariables() {
    Module<Integer, Integer> bad =
        new Module<>() {
          @Override
          public Integer call(Integer x) {
            return State.assign("z", x);
          }
        };
    assertEquals(0, bad.call(0), "outside a context assigns are ignored");
    record BadCounter(Count count) implements Module<Integer, Integer> {
      @Override
      public Integer call(Integer x) {
        return State.assign("z", x);
      }
    }
    var e =
        assertThrows(IllegalArgumentException.class, () -> new BadCounter(new Count(0)).update(1));
    assertEquals("no variable 'z' to assign in BadCounter; variables are [count]", e.getMessage());
  }

  @Test
  void lastAssignWinsAndAssignReturnsValue() {
    record Many(Count count) implements Module<Integer, Integer> {
      @Override
      public Integer call(Integer x) {
        Count seen = State.assign("count", new Count(7));
        State.assign("count", new Count(seen.n() + x));
        return seen.n();
      }
    }
    Updated<Integer, Many> u = State.callAndUpdate(new Many(new Count(0)), 3);
    assertEquals(7, u.output());
    assertEquals(new Count(10), u.module().count());
  }

  @Test
  void outerInheritsInnerStateThroughApply() {
    ApplyOuter outer = new ApplyOuter(ZERO, 3);
    assertEquals(3, outer.call(1));
    ApplyOuter next = State.update(outer, 1);
    assertEquals(new Count(1), next.counter().count(), "outer.update holds a counter at 1");
    assertEquals(3, next.scale(), "static configuration is kept");
    assertEquals(6, next.call(1));
    assertEquals(new Count(0), outer.counter().count());
  }

  @Test
  void plainNestedCallWithoutInstrumentationFailsNamingTheFix() {
    var e = assertThrows(IllegalArgumentException.class, () -> new PlainOuter(ZERO).update(1));
    assertTrue(
        e.getMessage()
            .startsWith("no variable 'count' to assign in PlainOuter; variables are [counter]"),
        e.getMessage());
    assertTrue(e.getMessage().contains("inner.apply(x)"), e.getMessage());
    assertTrue(e.getMessage().contains("-javaagent"), e.getMessage());
  }

  @Test
  void sameInnerCalledTwiceDoesNotChain() {
    Updated<Integer, Twice> u = State.callAndUpdate(new Twice(ZERO), 1);
    assertEquals(2, u.output(), "both calls see the old state");
    assertEquals(new Count(1), u.module().counter().count(), "last assignment wins, no chaining");
  }

  @Test
  void sharedLayerChainsThroughCallAndUpdateAndOneAssign() {
    Updated<Integer, Chained> u = State.callAndUpdate(new Chained(ZERO), 1);
    assertEquals(1 + 2, u.output());
    assertEquals(new Count(2), u.module().counter().count());
  }

  @Test
  void innerHeldInSeveralPlacesIsAssignedIntoAll() {
    Containers c =
        new Containers(ZERO, List.of(new Counter(new Count(5)), ZERO), Map.of("m", ZERO));
    Updated<Integer, Containers> u = State.callAndUpdate(c, 1);
    assertEquals(3, u.output());
    Containers next = u.module();
    assertEquals(new Count(1), next.a().count());
    assertEquals(new Count(5), next.list().get(0).count(), "a different counter is untouched");
    assertEquals(new Count(1), next.list().get(1).count());
    assertEquals(new Count(1), next.map().get("m").count());
  }

  @Test
  void moduleMadeInsideCallStaysPure() {
    MakesOwn m = new MakesOwn(new Count(4));
    Updated<Integer, MakesOwn> u = State.callAndUpdate(m, 1);
    assertEquals(5, u.output());
    assertSame(m, u.module());
  }

  @Test
  void classModulesAreCopiedWithFieldsKept() {
    ClassCounter c = new ClassCounter(new Count(1), "lbl", "aux-value");
    assertEquals(Map.of("count", new Count(1)), c.variables());
    ClassCounter next = State.update(c, 0);
    assertEquals(new Count(11), next.count());
    assertEquals("lbl", next.label());
    assertEquals("aux-value", next.anything());
    assertEquals(new Count(1), c.count());
    ClassCounter holdsObjectChild = new ClassCounter(new Count(1), "lbl", List.of(new Count(2)));
    assertEquals(List.of("count", "anything"), List.copyOf(holdsObjectChild.variables().keySet()));
  }

  @Test
  void superCallIsNotCountedTwice() {
    HoldsDerived outer = new HoldsDerived(new Derived(), true);
    Updated<Integer, HoldsDerived> u = State.callAndUpdate(outer, 1);
    assertEquals(2, u.output());
    assertEquals(new Count(1), u.module().inner().count);
    assertEquals(Derived.class, u.module().inner().getClass());
    Base direct = State.update(new Derived(), 1);
    assertEquals(new Count(1), direct.count);
  }

  @Test
  void exceptionInCallLeavesNoContextBehind() {
    record Throws(Count count) implements Module<Integer, Integer> {
      @Override
      public Integer call(Integer x) {
        State.assign("count", new Count(1));
        throw new ArithmeticException("boom");
      }
    }
    assertThrows(ArithmeticException.class, () -> new Throws(new Count(0)).update(1));
    assertEquals(0, State.assign("anything", 0), "no context is left active");
  }

  @Test
  void variableInsideRecordCallIsMisuse() {
    record Misuse(Count count) implements Module<Integer, Integer> {
      @Override
      public Integer call(Integer x) {
        return State.variable("w", x);
      }
    }
    assertEquals(3, new Misuse(new Count(0)).call(3));
    var e = assertThrows(IllegalStateException.class, () -> new Misuse(new Count(0)).update(3));
    assertTrue(e.getMessage().contains("declare 'w' as a component"), e.getMessage());
  }

  @Test
  void constructorRejectingStateIsReportedWithTheClass() {
    record Positive(Count count) implements Module<Integer, Integer> {
      Positive {
        if (count.n() > 0) {
          throw new IllegalArgumentException("count must stay 0");
        }
      }

      @Override
      public Integer call(Integer x) {
        State.assign("count", new Count(1));
        return x;
      }
    }
    var e =
        assertThrows(IllegalArgumentException.class, () -> new Positive(new Count(0)).update(1));
    assertTrue(e.getMessage().contains("cannot rebuild Positive"), e.getMessage());
    assertTrue(e.getMessage().contains("count must stay 0"), e.getMessage());
  }
}
