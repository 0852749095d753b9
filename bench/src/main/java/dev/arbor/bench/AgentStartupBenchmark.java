package dev.arbor.bench;

import dev.arbor.agent.ArborAgent;
import dev.arbor.instrument.ModuleCalls;
import dev.arbor.module.Module;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.description.modifier.Visibility;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.matcher.ElementMatchers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the agent costs when classes load: defining and initialising 1,000 freshly generated classes
 * (ByteBuddy, in set-up, not timed) with and without the agent installed. {@code kind=module}:
 * classes implementing {@code Module} with a {@code call}, which the agent instruments; {@code
 * kind=plain}: classes that are not modules, which the agent only matches and skips. Each iteration
 * defines a new batch in a new class loader. Run: {@code java -jar bench/target/benchmarks.jar
 * AgentStartup}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 6)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--sun-misc-unsafe-memory-access=allow",
      "-XX:+EnableDynamicAgentLoading",
      "-Dnet.bytebuddy.safe=true"
    })
public class AgentStartupBenchmark {
  static final int CLASSES = 1000;

  @Param({"false", "true"})
  public boolean agent;

  @Param({"module", "plain"})
  public String kind;

  private int batch;
  private String[] names;
  private byte[][] bytes;

  /** A class loader that defines the generated classes; parent: the benchmark's loader. */
  static final class BatchLoader extends ClassLoader {
    BatchLoader() {
      super("arbor-bench-batch", AgentStartupBenchmark.class.getClassLoader());
    }

    Class<?> define(String name, byte[] b) {
      return defineClass(name, b, 0, b.length);
    }
  }

  @Setup(Level.Trial)
  public void installAgent() {
    if (agent) {
      ArborAgent.install();
      if (!ModuleCalls.agentActive()) {
        throw new IllegalStateException("the agent is not active");
      }
    }
  }

  @Setup(Level.Iteration)
  public void generate() {
    batch++;
    names = new String[CLASSES];
    bytes = new byte[CLASSES][];
    ByteBuddy bb = new ByteBuddy();
    TypeDescription.Generic moduleType =
        TypeDescription.Generic.Builder.parameterizedType(Module.class, Object.class, Object.class)
            .build();
    for (int i = 0; i < CLASSES; i++) {
      String name = "dev.arbor.bench.generated." + kind + batch + "_" + i;
      names[i] = name;
      var builder =
          kind.equals("module")
              ? bb.subclass(Object.class).implement(moduleType)
              : bb.subclass(Object.class);
      bytes[i] =
          builder
              .name(name)
              .defineField("w", Object.class, Visibility.PUBLIC)
              .defineField("units", int.class, Visibility.PUBLIC)
              .defineMethod("call", Object.class, Visibility.PUBLIC)
              .withParameters(Object.class)
              .intercept(FixedValue.argument(0))
              .make()
              .getBytes();
    }
    if (!kind.equals("module") && !kind.equals("plain")) {
      throw new IllegalArgumentException(kind);
    }
    ElementMatchers.any(); // keep ByteBuddy's matcher classes loaded in both variants alike
  }

  /** Defines, links and initialises the batch; returns the last class (for the blackhole). */
  @Benchmark
  public Class<?> load1000() throws ClassNotFoundException {
    BatchLoader loader = new BatchLoader();
    Class<?> last = null;
    for (int i = 0; i < CLASSES; i++) {
      loader.define(names[i], bytes[i]);
    }
    for (int i = 0; i < CLASSES; i++) {
      last = Class.forName(names[i], true, loader);
    }
    if (agent && kind.equals("module") && !ModuleCalls.isIntercepted(last)) {
      throw new AssertionError("not instrumented: " + last);
    }
    return last;
  }
}
