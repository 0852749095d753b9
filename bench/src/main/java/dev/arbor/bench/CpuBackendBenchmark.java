package dev.arbor.bench;

import dev.arbor.Arbor;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backends;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Arbor workloads on a backend ({@code backend} param): SGEMM of n x n (eager {@code matmul}; FLOPs
 * = 2 n^3), {@code jit(x -> tanh(a*x + b))} over 1e7 floats (one fused cluster on cpu-simd that
 * reads 40 MB and writes 40 MB, like the copy probe), {@code jit(x -> sum(tanh(a*x + b)))} (the
 * same cluster ending in a sum: reads 40 MB only) and an eager {@code sum} over 1e7 floats. Times
 * are per call, output tensors included; the map's output goes back to the pool at the end of an
 * {@code Arbor.scope()}, as in a training loop.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--add-modules=jdk.incubator.vector",
      "--enable-native-access=ALL-UNNAMED",
      "-Xmx4g"
    })
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CpuBackendBenchmark {
  static Tensor random(Random r, int... dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.fromArray(v, dims);
  }

  /** GEMM operands. */
  @State(Scope.Benchmark)
  public static class Gemm {
    @Param({"cpu-simd"})
    public String backend;

    @Param({"256", "512", "1024", "2048"})
    public int n;

    Tensor a;
    Tensor b;

    @Setup(Level.Trial)
    public void setup() {
      Backends.setDefault(backend);
      Random r = new Random(1);
      a = random(r, n, n);
      b = random(r, n, n);
    }
  }

  /** 1e7-float vector operands. */
  @State(Scope.Benchmark)
  public static class Vec {
    @Param({"cpu-simd"})
    public String backend;

    Tensor x;
    Function<Tensor, Tensor> fused;
    Function<Tensor, Tensor> map;

    @Setup(Level.Trial)
    public void setup() {
      Backends.setDefault(backend);
      x = random(new Random(2), 10_000_000);
      fused = Arbor.jit((Tensor v) -> Ops.sum(Ops.tanh(Ops.add(v.mul(0.5), Ops.weak(0.25, v)))));
      fused.apply(x);
      map = Arbor.jit((Tensor v) -> Ops.tanh(Ops.add(v.mul(0.5), Ops.weak(0.25, v))));
      map.apply(x);
    }
  }

  @Benchmark
  public Tensor sgemm(Gemm s) {
    return Ops.matmul(s.a, s.b);
  }

  /** The output is computed (cpu-simd runs synchronously), consumed, then closed by the scope. */
  @SuppressWarnings("try") // the scope only releases the output at close
  @Benchmark
  public void fusedTanhAffine(Vec s, Blackhole bh) {
    try (var scope = Arbor.scope()) {
      bh.consume(s.map.apply(s.x).blockUntilReady());
    }
  }

  @Benchmark
  public Tensor fusedTanhAffineSum(Vec s) {
    return s.fused.apply(s.x);
  }

  @Benchmark
  public Tensor sum(Vec s) {
    return Ops.sum(s.x);
  }
}
