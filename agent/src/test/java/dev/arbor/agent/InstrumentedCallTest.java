package dev.arbor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.instrument.ModuleCalls;
import dev.arbor.module.Module;
import dev.arbor.module.State;
import dev.arbor.module.Updated;
import dev.arbor.random.Key;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Plain nested {@code call}s with the agent self-attached on first module use (arbor-agent is on
 * this module's test class path; surefire runs with -XX:+EnableDynamicAgentLoading).
 */
class InstrumentedCallTest {
  record Count(int n) {}

  record Counter(Count count) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      State.assign("count", new Count(count.n() + 1));
      return x + count.n();
    }
  }

  /** Loaded and run before the agent attaches: it must be retransformed. */
  record EarlyOuter(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return counter.call(x);
    }
  }

  record Outer(Counter counter, List<Counter> more) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return counter.call(x) + more.get(0).call(x);
    }
  }

  record Twice(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return counter.call(x) + counter.call(x);
    }
  }

  static class Base implements Module<Integer, Integer> {
    Count count = new Count(0);

    @Override
    public Integer call(Integer x) {
      State.assign("count", new Count(count.n() + 1));
      return x + count.n();
    }
  }

  static final class Derived extends Base {
    @Override
    public Integer call(Integer x) {
      return super.call(x) * 2;
    }
  }

  record HoldsBase(Base inner) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return inner.call(x);
    }
  }

  /** Two levels: block holds a counter; the top holds the block. */
  record Block(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return counter.call(x) * 10;
    }
  }

  record Top(Block block) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return block.call(x);
    }
  }

  private static final int EARLY = new EarlyOuter(new Counter(new Count(0))).call(1);

  @Test
  void agentSelfAttachedAndRetransformedAnEarlyClass() {
    assertEquals(1, EARLY);
    EarlyOuter next = State.update(new EarlyOuter(new Counter(new Count(0))), 1);
    assertTrue(ArborAgent.isInstalled());
    assertTrue(ModuleCalls.agentActive());
    assertEquals(new Count(1), next.counter().count());
  }

  @Test
  void plainCallUpdatesTheOuterAtComponentAndListElement() {
    Counter c = new Counter(new Count(0));
    Updated<Integer, Outer> u = State.callAndUpdate(new Outer(c, List.of(c)), 1);
    assertEquals(2, u.output());
    assertEquals(new Count(1), u.module().counter().count());
    assertEquals(new Count(1), u.module().more().get(0).count());
    assertEquals(1, c.call(1), "outside a context call is pure");
  }

  @Test
  void bridgeAndSuperCallAreCountedOnce() {
    Updated<Integer, HoldsBase> u = State.callAndUpdate(new HoldsBase(new Derived()), 1);
    assertEquals(2, u.output());
    assertEquals(new Count(1), u.module().inner().count);
    assertEquals(Derived.class, u.module().inner().getClass());
  }

  @Test
  void sameInnerTwiceDoesNotChain() {
    Updated<Integer, Twice> u = State.callAndUpdate(new Twice(new Counter(new Count(0))), 1);
    assertEquals(2, u.output());
    assertEquals(new Count(1), u.module().counter().count());
  }

  @Test
  void nestedTwoLevelsPropagates() {
    Top next = State.update(State.update(new Top(new Block(new Counter(new Count(0)))), 1), 1);
    assertEquals(new Count(2), next.block().counter().count());
  }

  @Test
  void functionalModuleCallingAHeldRecordPlainly() {
    Module<Integer, Integer> f =
        State.init(
                (Integer x, Key k) -> State.variable("c", new Counter(new Count(0))).call(x),
                "holder")
            .apply(Key.of(0), 0);
    assertEquals(new Counter(new Count(2)), f.update(1).update(1).variables().get("c"));
  }

  @Test
  void plainAndApplyGiveIdenticalResults() {
    record ApplyOuter(Counter counter, List<Counter> more) implements Module<Integer, Integer> {
      @Override
      public Integer call(Integer x) {
        return counter.apply(x) + more.get(0).apply(x);
      }
    }
    Counter c = new Counter(new Count(3));
    Outer plain = new Outer(c, List.of(c));
    ApplyOuter explicit = new ApplyOuter(c, List.of(c));
    for (int i = 0; i < 3; i++) {
      Updated<Integer, Outer> p = State.callAndUpdate(plain, i);
      Updated<Integer, ApplyOuter> a = State.callAndUpdate(explicit, i);
      assertEquals(p.output(), a.output());
      assertEquals(p.module().counter(), a.module().counter());
      assertEquals(p.module().more(), a.module().more());
      plain = p.module();
      explicit = a.module();
    }
  }
}
