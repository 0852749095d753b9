package dev.arbor.bench;

/**
 * A contention-robust companion to {@link FlattenBenchmark}: runs each variant in 400 interleaved
 * rounds of 200 calls in one warm JVM and prints the fastest round per call. On a shared machine
 * the minimum filters out time stolen by other processes, which JMH's mean cannot. Run: {@code java
 * -cp bench/target/benchmarks.jar dev.arbor.bench.FlattenMinOfRounds}.
 */
public final class FlattenMinOfRounds {
  private FlattenMinOfRounds() {}

  /** Prints the minimum time per call of each variant and the Arbor/hand-written ratios. */
  public static void main(String[] args) {
    FlattenBenchmark b = new FlattenBenchmark();
    b.setUp();
    String[] names = {
      "arborFlatten",
      "handFlatten",
      "arborUnflatten",
      "handUnflatten",
      "arborFlattenUnflatten",
      "handFlattenUnflatten"
    };
    double[] min = new double[names.length];
    java.util.Arrays.fill(min, Double.MAX_VALUE);
    int sink = 0;
    for (int round = 0; round < 400; round++) {
      for (int k = 0; k < names.length; k++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 200; i++) {
          Object r =
              switch (k) {
                case 0 -> b.arborFlatten();
                case 1 -> b.handFlatten();
                case 2 -> b.arborUnflatten();
                case 3 -> b.handUnflatten();
                case 4 -> b.arborFlattenUnflatten();
                default -> b.handFlattenUnflatten();
              };
          sink += System.identityHashCode(r) & 1;
        }
        min[k] = Math.min(min[k], (System.nanoTime() - t0) / 200.0 / 1000.0);
      }
    }
    for (int k = 0; k < names.length; k++) {
      System.out.printf("%-22s %8.2f us/op (fastest round)%n", names[k], min[k]);
    }
    System.out.printf(
        "ratio arbor/hand: flatten %.2f, unflatten %.2f, flatten+unflatten %.2f (sink %d)%n",
        min[0] / min[1], min[2] / min[3], min[4] / min[5], sink);
  }
}
