package dev.arbor.bench;

import dev.arbor.Arbor;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * A contention-robust companion to the bandwidth rows of {@link MachineProbeBenchmark} and {@link
 * CpuBackendBenchmark} on cpu-simd: the copy and triad probes (one thread, and copy split over
 * {@code arbor.threads} plain threads), {@code jit(tanh(0.5x + 0.25))} over 1e7 F32 (reads and
 * writes 40 MB, like copy), {@code jit(sum(tanh(0.5x + 0.25)))} and {@code jit(sum(0.5x + 0.25))}
 * (read 40 MB) and the eager {@code sum}, in interleaved rounds in one warm JVM ({@link
 * MinOfRounds}); rates are GB/s of bytes read plus written. Run: {@code java
 * --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED
 * --sun-misc-unsafe-memory-access=allow -Darbor.threads=1 -cp bench/target/benchmarks.jar
 * dev.arbor.bench.FusedMinOfRounds [rounds]} (default 30 rounds).
 */
public final class FusedMinOfRounds {
  private FusedMinOfRounds() {}

  /** Prints the fastest round of each workload (wall and thread CPU time) and its GB/s. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int threads = Integer.getInteger("arbor.threads", Runtime.getRuntime().availableProcessors());
    long n = MachineProbeBenchmark.N;
    MachineProbeBenchmark probe = new MachineProbeBenchmark();
    probe.setup();
    CpuBackendBenchmark.Vec vec = new CpuBackendBenchmark.Vec();
    vec.backend = "cpu-simd";
    vec.setup();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<MinOfRounds.Work> works = new ArrayList<>();
    works.add(new MinOfRounds.Work("copy, 1 thread", 8.0 * n, 5, () -> copy(probe)));
    works.add(
        new MinOfRounds.Work(
            "copy, " + threads + " threads", 8.0 * n, 5, () -> copySplit(probe, pool, threads)));
    works.add(new MinOfRounds.Work("triad, 1 thread", 12.0 * n, 5, () -> triad(probe)));
    works.add(new MinOfRounds.Work("jit tanh(ax+b)", 8.0 * n, 5, () -> map(vec)));
    works.add(
        new MinOfRounds.Work("jit sum(tanh(ax+b))", 4.0 * n, 5, () -> vec.fused.apply(vec.x)));
    Function<Tensor, Tensor> affineSum =
        Arbor.jit((Tensor v) -> Ops.sum(Ops.add(v.mul(0.5), Ops.weak(0.25, v))));
    works.add(new MinOfRounds.Work("jit sum(ax+b)", 4.0 * n, 5, () -> affineSum.apply(vec.x)));
    works.add(new MinOfRounds.Work("sum", 4.0 * n, 5, () -> vec.x.sum()));
    try {
      MinOfRounds.run(works, rounds, "GB/s");
    } finally {
      pool.shutdown();
      probe.tearDown();
    }
  }

  private static Object copy(MachineProbeBenchmark probe) {
    probe.copy();
    return probe;
  }

  private static Object triad(MachineProbeBenchmark probe) {
    probe.triad();
    return probe;
  }

  /** The copy probe's 40 MB split into one contiguous part per thread. */
  private static Object copySplit(MachineProbeBenchmark probe, ExecutorService pool, int threads) {
    long bytes = 4L * MachineProbeBenchmark.N;
    long part = (bytes / threads + 63) & ~63L;
    List<Future<?>> parts = new ArrayList<>(threads);
    for (int t = 0; t < threads; t++) {
      long from = Math.min(bytes, t * part);
      long len = Math.min(bytes, from + part) - from;
      parts.add(pool.submit(() -> MemorySegment.copy(probe.a, from, probe.b, from, len)));
    }
    try {
      for (Future<?> f : parts) {
        f.get();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return probe;
  }

  @SuppressWarnings("try") // the scope only releases the output at close
  private static Object map(CpuBackendBenchmark.Vec vec) {
    try (var scope = Arbor.scope()) {
      Tensor y = vec.map.apply(vec.x).blockUntilReady();
      return y.shape();
    }
  }
}
