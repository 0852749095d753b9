package dev.arbor.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs workloads in interleaved rounds in one warm JVM and prints, for each, the fastest round by
 * wall-clock time and by the calling thread's CPU time, with a rate. On a shared machine the
 * minimum filters out time stolen by other processes; CPU time also leaves out time the thread was
 * descheduled, so it is only meaningful with {@code -Darbor.threads=1}. Used by {@link
 * GemmMinOfRounds} and {@link FusedMinOfRounds}. The first {@code -Dbench.warmUpRounds} rounds
 * (default 5) are not counted; a generated fusion loop called only a few times per round needs a
 * few hundred calls before C2's final code runs (the one-thread {@code tanh} map: 2.0 ms per call
 * at call 100, 1.85 at call 600), so fused-map figures use 60.
 */
final class MinOfRounds {
  private static final int WARM_UP_ROUNDS = Integer.getInteger("bench.warmUpRounds", 5);

  private MinOfRounds() {}

  /**
   * One workload: {@code ops} units of work per call of {@code body} (FLOPs or bytes; the rate is
   * printed per nanosecond, so GFLOP/s or GB/s), timed over {@code calls} calls per round.
   */
  record Work(String name, double ops, int calls, Supplier<Object> body) {}

  /** Runs {@code rounds} measured rounds after the warm-up and prints the table. */
  static void run(List<Work> works, int rounds, String unit) {
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    double[] wall = new double[works.size()];
    double[] cpu = new double[works.size()];
    Arrays.fill(wall, Double.MAX_VALUE);
    Arrays.fill(cpu, Double.MAX_VALUE);
    int sink = 0;
    for (int round = 0; round < rounds + WARM_UP_ROUNDS; round++) {
      for (int w = 0; w < works.size(); w++) {
        Work work = works.get(w);
        long c0 = tb.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < work.calls(); i++) {
          sink += System.identityHashCode(work.body().get()) & 1;
        }
        long t1 = System.nanoTime();
        long c1 = tb.getCurrentThreadCpuTime();
        if (round >= WARM_UP_ROUNDS) {
          wall[w] = Math.min(wall[w], (t1 - t0) / (double) work.calls());
          cpu[w] = Math.min(cpu[w], (c1 - c0) / (double) work.calls());
        }
      }
    }
    System.out.printf("%-22s %12s %10s %12s %10s%n", "workload", "wall ms", unit, "cpu ms", unit);
    for (int w = 0; w < works.size(); w++) {
      Work work = works.get(w);
      System.out.printf(
          "%-22s %12.4f %10.1f %12.4f %10.1f%n",
          work.name(), wall[w] / 1e6, work.ops() / wall[w], cpu[w] / 1e6, work.ops() / cpu[w]);
    }
    System.out.printf("(sink %d)%n", sink);
  }
}
