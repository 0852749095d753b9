package dev.arbor.bench;

import dev.arbor.Arbor;
import dev.arbor.Jitted;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Interpreter overheads on the reference backend: eager dispatch of one scalar {@code add}, the
 * trace-and-transform cost of {@code grad} on a 100-op function of a small vector, and the dispatch
 * of a {@code jit} cache hit. Run: {@code java -jar bench/target/benchmarks.jar
 * TransformBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class TransformBenchmark {
  Tensor a;
  Tensor b;
  Tensor x;
  Function<Tensor, Tensor> grad100;
  Function<Tensor, Tensor> eager100;
  Jitted<Tensor, Tensor> jitSmall;
  Jitted<Tensor, Tensor> jitIdentity;

  /** 100 primitives: 25 rounds of mul, sin, add, tanh. */
  static Tensor hundredOps(Tensor v) {
    Tensor y = v;
    for (int k = 0; k < 25; k++) {
      y = Ops.tanh(Ops.sin(y.mul(y)).add(v));
    }
    return y.sum();
  }

  @Setup
  public void setUp() {
    a = Tensor.scalar(1.5);
    b = Tensor.scalar(2.5);
    x = Tensor.of(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f);
    grad100 = Arbor.grad(TransformBenchmark::hundredOps);
    eager100 = TransformBenchmark::hundredOps;
    jitSmall = Arbor.jit((Tensor v) -> Ops.tanh(v.mul(v)).add(v));
    jitIdentity = Arbor.jit((Tensor v) -> v);
    jitSmall.apply(x);
    jitIdentity.apply(x);
  }

  @Benchmark
  public Tensor eagerScalarAdd() {
    return a.add(b);
  }

  @Benchmark
  public Tensor eager100Ops() {
    return eager100.apply(x);
  }

  @Benchmark
  public Tensor grad100Ops() {
    return grad100.apply(x);
  }

  @Benchmark
  public Tensor jitHitSmall() {
    return jitSmall.apply(x);
  }

  @Benchmark
  public Tensor jitHitIdentity() {
    return jitIdentity.apply(x);
  }
}
