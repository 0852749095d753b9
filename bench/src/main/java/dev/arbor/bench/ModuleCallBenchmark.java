package dev.arbor.bench;

import dev.arbor.agent.ArborAgent;
import dev.arbor.instrument.ModuleCalls;
import dev.arbor.module.Module;
import dev.arbor.module.State;
import dev.arbor.module.Updated;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost an instrumented {@code Module.call} adds, outside transformations: three nested calls of
 * modules whose {@code call} carries the agent's advice, against the same bodies in classes that
 * are not modules (a direct call, never instrumented) and against the explicit {@code apply}; and
 * the same nesting inside {@code callAndUpdate} (where the nested calls do update the outer). The
 * bodies are a few integer operations on small (cached) {@code Integer}s, so the overhead is what
 * is measured. The agent is installed by self-attach in {@link #setUp} (the flag in {@code @Fork}
 * keeps the JDK quiet) and checked there. Run: {@code java -jar bench/target/benchmarks.jar
 * ModuleCall}.
 */
@org.openjdk.jmh.annotations.State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--sun-misc-unsafe-memory-access=allow",
      "-XX:+EnableDynamicAgentLoading",
      "-Dnet.bytebuddy.safe=true"
    })
public class ModuleCallBenchmark {

  /** The innermost module: a few integer operations. */
  public record Inner(int k) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return (x + k) & 63;
    }
  }

  /** Calls {@link Inner} with a plain (instrumented) {@code call}. */
  public record Mid(Inner inner) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return inner.call(x + 1) & 63;
    }
  }

  /** Calls {@link Mid} with a plain (instrumented) {@code call}. */
  public record Outer(Mid mid) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return mid.call(x + 2) & 63;
    }
  }

  /** As {@link Mid}, with the explicit {@code apply}. */
  public record MidApply(Inner inner) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return inner.apply(x + 1) & 63;
    }
  }

  /** As {@link Outer}, with the explicit {@code apply}. */
  public record OuterApply(MidApply mid) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return mid.apply(x + 2) & 63;
    }
  }

  /** The same bodies in classes that are not modules: direct calls, no advice. */
  public record PlainInner(int k) {
    public Integer call(Integer x) {
      return (x + k) & 63;
    }
  }

  /** See {@link PlainInner}. */
  public record PlainMid(PlainInner inner) {
    public Integer call(Integer x) {
      return inner.call(x + 1) & 63;
    }
  }

  /** See {@link PlainInner}. */
  public record PlainOuter(PlainMid mid) {
    public Integer call(Integer x) {
      return mid.call(x + 2) & 63;
    }
  }

  /** A module with state, to check in set-up that nested calls really are intercepted. */
  public record Counter(Integer n) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      State.assign("n", n + 1);
      return x;
    }
  }

  /** Holds a {@link Counter} and calls it plainly. */
  public record HoldsCounter(Counter counter) implements Module<Integer, Integer> {
    @Override
    public Integer call(Integer x) {
      return counter.call(x);
    }
  }

  Integer x = 5;
  Outer outer;
  OuterApply outerApply;
  PlainOuter plainOuter;
  Inner inner;
  PlainInner plainInner;

  @Setup
  public void setUp() {
    ArborAgent.install();
    if (!ModuleCalls.agentActive() || !ModuleCalls.isIntercepted(Inner.class)) {
      throw new IllegalStateException("the agent is not active in the benchmark JVM");
    }
    HoldsCounter updated = State.update(new HoldsCounter(new Counter(0)), 1);
    if (updated.counter().n() != 1) {
      throw new IllegalStateException("nested call was not intercepted: " + updated);
    }
    inner = new Inner(3);
    plainInner = new PlainInner(3);
    outer = new Outer(new Mid(inner));
    outerApply = new OuterApply(new MidApply(inner));
    plainOuter = new PlainOuter(new PlainMid(plainInner));
    int a = outer.call(x);
    if (a != outerApply.call(x) || a != plainOuter.call(x)) {
      throw new AssertionError("the variants must compute the same value");
    }
  }

  // ---------------------------------------------------------------- one call

  @Benchmark
  public Integer oneDirect() {
    return plainInner.call(x);
  }

  @Benchmark
  public Integer oneInstrumentedCall() {
    return inner.call(x);
  }

  @Benchmark
  public Integer oneApply() {
    return inner.apply(x);
  }

  // ---------------------------------------------------------------- three nested calls

  @Benchmark
  public Integer nestedDirect() {
    return plainOuter.call(x);
  }

  @Benchmark
  public Integer nestedInstrumentedCall() {
    return outer.call(x);
  }

  @Benchmark
  public Integer nestedApply() {
    return outerApply.call(x);
  }

  // ---------------------------------------------------------------- inside a state context

  @Benchmark
  public Updated<Integer, Outer> nestedCallInCallAndUpdate() {
    return State.callAndUpdate(outer, x);
  }

  @Benchmark
  public Updated<Integer, OuterApply> nestedApplyInCallAndUpdate() {
    return State.callAndUpdate(outerApply, x);
  }
}
