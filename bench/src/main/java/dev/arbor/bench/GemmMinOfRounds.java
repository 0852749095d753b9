package dev.arbor.bench;

/**
 * A contention-robust companion to {@link MachineProbeBenchmark}, {@link CpuBackendBenchmark} and
 * {@link MlpStepBenchmark} on cpu-simd: runs the FMA peak probe, SGEMM n = 256..2048, the MLP
 * gradient step (jit and eager) and the step's eight matmuls ({@link
 * MlpStepBenchmark#matmulsOfStep}) in interleaved rounds in one warm JVM ({@link MinOfRounds}), and
 * prints for each the fastest round by wall-clock time and by the calling thread's CPU time. On a
 * shared machine the minimum filters out time stolen by other processes; CPU time also leaves out
 * time the thread was descheduled (so it is only meaningful with {@code -Darbor.threads=1}, where
 * all work runs on the calling thread). Run: {@code java --add-modules=jdk.incubator.vector
 * --sun-misc-unsafe-memory-access=allow -Darbor.threads=1 -cp bench/target/benchmarks.jar
 * dev.arbor.bench.GemmMinOfRounds [rounds]} (default 30 rounds).
 */
public final class GemmMinOfRounds {
  private GemmMinOfRounds() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    MachineProbeBenchmark probe = new MachineProbeBenchmark();
    MlpStepBenchmark mlp = new MlpStepBenchmark();
    mlp.backend = "cpu-simd";
    mlp.setUp();
    java.util.List<MinOfRounds.Work> works = new java.util.ArrayList<>();
    works.add(
        new MinOfRounds.Work(
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
          new MinOfRounds.Work(
              "sgemm n=" + n,
              2.0 * n * n * n,
              Math.max(1, (int) (2e8 / (2.0 * n * n * n))),
              () -> cb.sgemm(g)));
    }
    double stepFlop = 2.0 * 205_389_824;
    works.add(new MinOfRounds.Work("matmulsOfStep", stepFlop, 10, mlp::matmulsOfStep));
    works.add(new MinOfRounds.Work("gradStepJit", stepFlop, 10, mlp::gradStepJit));
    works.add(new MinOfRounds.Work("gradStepEager", stepFlop, 10, mlp::gradStepEager));
    MinOfRounds.run(works, rounds, "GFLOP/s");
  }
}
