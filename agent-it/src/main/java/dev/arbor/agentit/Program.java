package dev.arbor.agentit;

import dev.arbor.module.Module;
import dev.arbor.module.State;
import dev.arbor.module.Updated;
import dev.arbor.random.Key;
import java.util.List;
import java.util.Map;

/**
 * The program the integration tests run four ways (agent, self-attach, build-time plugin, explicit
 * apply). Argument {@code plain}: nested modules are called with {@code call}; {@code apply}: with
 * {@code apply}. Every way must print the same lines.
 */
public final class Program {
  private static boolean explicit;

  private Program() {}

  /** A call of a nested module, plain or explicit. */
  static <I, O> O invoke(Module<I, O> m, I x) {
    return explicit ? m.apply(x) : m.call(x);
  }

  record Count(int n) {}

  record Counter(Count count) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      State.assign("count", new Count(count.n() + 1));
      return x + count.n();
    }
  }

  record Outer(Counter counter, List<Counter> list, Map<String, Counter> map)
      implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return invoke(counter, x) + invoke(list.get(0), x) + invoke(map.get("k"), x);
    }
  }

  record Twice(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return invoke(counter, x) + invoke(counter, x);
    }
  }

  record Block(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return invoke(counter, x) * 10;
    }
  }

  record Top(Block block, Counter own) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return invoke(block, x) + invoke(own, x);
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
      return invoke(inner, x);
    }
  }

  /** Runs the scenarios and prints one line each. */
  public static void main(String[] args) {
    explicit = args.length > 0 && args[0].equals("apply");
    Counter zero = new Counter(new Count(0));
    print("counter", zero.call(1), State.update(zero, 1).call(1), zero.call(1));

    Outer outer = new Outer(zero, List.of(zero), Map.of("k", zero));
    for (int i = 0; i < 3; i++) {
      Updated<Integer, Outer> u = State.callAndUpdate(outer, i);
      outer = u.module();
      print("outer", u.output(), outer.counter().count(), outer.list(), outer.map());
    }

    Updated<Integer, Twice> twice = State.callAndUpdate(new Twice(zero), 1);
    print("twice", twice.output(), twice.module().counter().count());

    Top top = new Top(new Block(zero), zero);
    top = State.update(State.update(top, 1), 2);
    print("nested", top.block().counter().count(), top.own().count(), top.call(0));

    Updated<Integer, HoldsBase> derived = State.callAndUpdate(new HoldsBase(new Derived()), 1);
    print("super", derived.output(), derived.module().inner().count);

    Module<Integer, Integer> functional =
        State.init(
                (Integer x, Key k) -> {
                  Counter c = State.variable("c", zero);
                  int bias = State.variable("bias", 100);
                  return invoke(c, x) + bias;
                },
                "functional")
            .apply(Key.of(0), 0);
    Updated<Integer, Module<Integer, Integer>> fu = functional.callAndUpdate(5);
    print("functional", fu.output(), fu.module().variables());

    Module<Object, Object> seq = State.sequential(List.of(zero, zero));
    print("sequential", seq.update(1).update(1).call(1));
  }

  private static void print(String label, Object... values) {
    StringBuilder sb = new StringBuilder(label);
    for (Object v : values) {
      sb.append(' ').append(v);
    }
    System.out.println(sb);
  }
}
