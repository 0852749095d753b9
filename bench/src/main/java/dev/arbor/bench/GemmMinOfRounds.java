package dev.arbor.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.Supplier;

/**
 * A contention-robust companion to {@link MachineProbeBenchmark}, {@link CpuBackendBenchmark} and
 * {@link MlpStepBenchmark} on cpu-simd: runs the FMA peak probe, SGEMM n = 256..2048, the MLP
 * gradient step (jit and eager) and the step's eight matmuls ({@link
 * MlpStepBenchmark#matmulsOfStep}) in interleaved rounds in one warm JVM, and prints for each the
 * fastest round by wall-clock time and by the calling thread's CPU time. On a shared machine the
 * minimum filters out time stolen by other processes; CPU time also leaves out time the thread was
 * descheduled (so it is only meaningful with {@code -Darbor.threads=1}, where all work runs on the
 * calling thread). Run: {@code java --add-modules=jdk.incubator.vector
 * --sun-misc-unsafe-memory-access=allow -Darbor.threads=1 -cp bench/target/benchmarks.jar
 * dev.arbor.bench.GemmMinOfRounds [rounds]} (default 30 rounds).
 */
public final class GemmMinOfRounds {
  private GemmMinOfRounds() {}

  private record Work(String name, double flop, int calls, Supplier<Object> body) {}

  /** Prints the fastest round of each workload (wall and thread CPU time) and its GFLOP/s. */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    MachineProbeBenchmark probe = new MachineProbeBenchmark();
    MlpStepBenchmark mlp = new MlpStepBenchmark();
    mlp.backend = "cpu-simd";
    mlp.setUp();
    java.util.List<Work> works = new java.util.ArrayList<>();
    works.add(
        new Work(
            "fmaPeak",
            (double) MachineProbeBenchmark.FMA_ITERS * 16 * 16 * 2,
            200,
            () -> probe.fmaPeak()));
    for (int n : new int[] {256, 512, 1024, 2048}) {
      CpuBackendBenchmark.Gemm g = new CpuBackendBenchmark.Gemm();
      g.backend = "cpu-simd";
      g.n = n;
      g.setup();
      CpuBackendBenchmark cb = new CpuBackendBenchmark();
      works.add(
          new Work(
              "sgemm n=" + n,
              2.0 * n * n * n,
              Math.max(1, (int) (2e8 / (2.0 * n * n * n))),
              () -> cb.sgemm(g)));
    }
    double stepFlop = 2.0 * 205_389_824;
    works.add(new Work("matmulsOfStep", stepFlop, 10, mlp::matmulsOfStep));
    works.add(new Work("gradStepJit", stepFlop, 10, mlp::gradStepJit));
    works.add(new Work("gradStepEager", stepFlop, 10, mlp::gradStepEager));
    double[] wall = new double[works.size()];
    double[] cpu = new double[works.size()];
    java.util.Arrays.fill(wall, Double.MAX_VALUE);
    java.util.Arrays.fill(cpu, Double.MAX_VALUE);
    int sink = 0;
    for (int round = 0; round < rounds + 5; round++) {
      for (int w = 0; w < works.size(); w++) {
        Work work = works.get(w);
        long c0 = tb.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < work.calls(); i++) {
          sink += System.identityHashCode(work.body().get()) & 1;
        }
        long t1 = System.nanoTime();
        long c1 = tb.getCurrentThreadCpuTime();
        if (round >= 5) { // the first rounds are warm-up
          wall[w] = Math.min(wall[w], (t1 - t0) / (double) work.calls());
          cpu[w] = Math.min(cpu[w], (c1 - c0) / (double) work.calls());
        }
      }
    }
    System.out.printf(
        "%-16s %12s %10s %12s %10s%n", "workload", "wall ms", "GFLOP/s", "cpu ms", "GFLOP/s");
    for (int w = 0; w < works.size(); w++) {
      Work work = works.get(w);
      System.out.printf(
          "%-16s %12.4f %10.1f %12.4f %10.1f%n",
          work.name(), wall[w] / 1e6, work.flop() / wall[w], cpu[w] / 1e6, work.flop() / cpu[w]);
    }
    System.out.printf("(sink %d)%n", sink);
  }
}
