package dev.arbor.bench;

import java.util.function.Supplier;

/**
 * A contention-robust companion to {@link ModuleCallBenchmark}, {@link ModuleUpdateBenchmark} and
 * {@link AgentStartupBenchmark}: the same benchmark methods, interleaved in rounds in one warm JVM,
 * fastest round per call (see {@link FlattenMinOfRounds}). Run with {@code
 * -XX:+EnableDynamicAgentLoading} (the agent self-attaches): {@code java
 * -XX:+EnableDynamicAgentLoading -cp bench/target/benchmarks.jar dev.arbor.bench.ModuleMinOfRounds
 * [calls|update|startup-module|startup-plain|startup-module-agent|startup-plain-agent]}. The
 * start-up variants load fresh batches of 1,000 generated classes; without {@code -agent} the agent
 * is never installed in that JVM, so compare two runs.
 */
public final class ModuleMinOfRounds {
  private ModuleMinOfRounds() {}

  /** Runs the variant named by {@code args[0]} (default {@code calls}). */
  public static void main(String[] args) throws Exception {
    System.setProperty("net.bytebuddy.safe", "true");
    String what = args.length == 0 ? "calls" : args[0];
    if (what.startsWith("startup-")) {
      startup(what);
      return;
    }
    if (what.equals("calls")) {
      ModuleCallBenchmark b = new ModuleCallBenchmark();
      b.setUp();
      rounds(
          400,
          20_000,
          new String[] {
            "oneDirect",
            "oneInstrumentedCall",
            "oneApply",
            "nestedDirect",
            "nestedInstrumentedCall",
            "nestedApply",
            "nestedCallInCallAndUpdate",
            "nestedApplyInCallAndUpdate"
          },
          b::oneDirect,
          b::oneInstrumentedCall,
          b::oneApply,
          b::nestedDirect,
          b::nestedInstrumentedCall,
          b::nestedApply,
          b::nestedCallInCallAndUpdate,
          b::nestedApplyInCallAndUpdate);
    } else if (what.equals("update")) {
      ModuleUpdateBenchmark b = new ModuleUpdateBenchmark();
      b.setUp();
      rounds(
          300,
          20,
          new String[] {"call", "update", "callAndUpdate"},
          b::call,
          b::update,
          b::callAndUpdate);
    } else {
      throw new IllegalArgumentException("unknown variant " + what);
    }
  }

  @SafeVarargs
  private static void rounds(int rounds, int calls, String[] names, Supplier<Object>... variants) {
    double[] min = new double[variants.length];
    java.util.Arrays.fill(min, Double.MAX_VALUE);
    int sink = 0;
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < variants.length; k++) {
        Supplier<Object> v = variants[k];
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
          sink += System.identityHashCode(v.get()) & 1;
        }
        min[k] = Math.min(min[k], (System.nanoTime() - t0) / (double) calls);
      }
    }
    for (int k = 0; k < names.length; k++) {
      System.out.printf("%-28s %12.1f ns/op (fastest round)%n", names[k], min[k]);
    }
    System.out.println("(sink " + sink + ")");
  }

  private static void startup(String what) throws Exception {
    AgentStartupBenchmark b = new AgentStartupBenchmark();
    b.kind = what.contains("module") ? "module" : "plain";
    b.agent = what.endsWith("-agent");
    long t0 = System.nanoTime();
    b.installAgent();
    double install = (System.nanoTime() - t0) / 1e6;
    double min = Double.MAX_VALUE;
    StringBuilder all = new StringBuilder();
    for (int round = 0; round < 8; round++) {
      b.generate();
      long t1 = System.nanoTime();
      b.load1000();
      double ms = (System.nanoTime() - t1) / 1e6;
      all.append(String.format(" %.0f", ms));
      min = Math.min(min, ms);
    }
    System.out.printf(
        "%s: agent install %.0f ms; load 1000 classes: fastest %.1f ms, rounds [%s ]%n",
        what, b.agent ? install : 0.0, min, all);
  }
}
