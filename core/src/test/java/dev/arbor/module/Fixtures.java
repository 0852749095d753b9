package dev.arbor.module;

import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/** Test-only modules over a tiny value type (tensor-based versions come with dev.arbor.array). */
final class Fixtures {
  private Fixtures() {}

  /** A stand-in state value: a record with no children. */
  record Count(int n) {}

  /** STATE.md's counter: returns x + count, assigns count + 1. */
  record Counter(Count count) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      State.assign("count", new Count(count.n() + 1));
      return x + count.n();
    }
  }

  /** Holds a counter and calls it explicitly with apply (works without instrumentation). */
  record ApplyOuter(Counter counter, int scale) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return counter.apply(x) * scale;
    }
  }

  /** Holds a counter and calls it plainly (needs instrumentation to update). */
  record PlainOuter(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return counter.call(x);
    }
  }

  /** Calls the same held counter twice: the calls do not chain. */
  record Twice(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return counter.apply(x) + counter.apply(x);
    }
  }

  /** Chains a shared layer explicitly: callAndUpdate twice, assign once. */
  record Chained(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      Updated<Integer, Counter> first = State.callAndUpdate(counter, x);
      Updated<Integer, Counter> second = State.callAndUpdate(first.module(), x);
      State.assign("counter", second.module());
      return first.output() + second.output();
    }
  }

  /** The same counter held in a component, a list and a map. */
  record Containers(Counter a, List<Counter> list, Map<String, Counter> map)
      implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return a.apply(x) + list.get(1).apply(x) + map.get("m").apply(x);
    }
  }

  /** Makes a counter inside call: its update is dropped. */
  record MakesOwn(Count seed) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return new Counter(seed).apply(x);
    }
  }

  /** Configuration only: no variables. */
  record Scale(int factor, String label, IntUnaryOperator post)
      implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return post.applyAsInt(x * factor);
    }
  }

  /** A class module: a no-arg constructor and fields. */
  static final class ClassCounter implements Module<Integer, Integer> {
    private Count count;
    private final String label;
    private Object anything;

    private ClassCounter() {
      this(new Count(0), "c", "aux");
    }

    ClassCounter(Count count, String label, Object anything) {
      this.count = count;
      this.label = label;
      this.anything = anything;
    }

    Count count() {
      return count;
    }

    String label() {
      return label;
    }

    Object anything() {
      return anything;
    }

    @Override
    public Integer call(Integer x) {
      State.assign("count", new Count(count.n() + 10));
      return x + count.n();
    }
  }

  /** A subclass calling super.call(): counted once. */
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

  /** Holds a Derived and calls it plainly or with apply. */
  record HoldsDerived(Base inner, boolean useApply) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return useApply ? inner.apply(x) : inner.call(x);
    }
  }
}
