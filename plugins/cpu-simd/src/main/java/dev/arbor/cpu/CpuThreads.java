package dev.arbor.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * The backend's one thread pool, sized by {@code -Darbor.threads} or {@code ARBOR_THREADS}
 * (default: available processors). Kernels split work into ranges and run them here; a range body
 * never submits to another pool, and work started from inside this pool's workers joins the same
 * pool (fork/join), so pools never nest.
 */
final class CpuThreads {
  static final int THREADS = configuredThreads();
  private static final ForkJoinPool POOL =
      THREADS > 1
          ? new ForkJoinPool(
              THREADS,
              p -> {
                ForkJoinWorkerThread t =
                    ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                t.setName("arbor-cpu-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
              },
              null,
              false)
          : null;

  private CpuThreads() {}

  /** A body run on {@code [from, to)}. */
  @FunctionalInterface
  interface Range {
    void run(long from, long to);
  }

  static int configuredThreads() {
    String s = System.getProperty("arbor.threads");
    if (s == null || s.isBlank()) {
      s = System.getenv("ARBOR_THREADS");
    }
    int n = Runtime.getRuntime().availableProcessors();
    if (s != null && !s.isBlank()) {
      try {
        n = Integer.parseInt(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "arbor.threads / ARBOR_THREADS must be a positive integer, got '" + s + "'", e);
      }
      if (n < 1) {
        throw new IllegalArgumentException(
            "arbor.threads / ARBOR_THREADS must be a positive integer, got " + n);
      }
    }
    return n;
  }

  /**
   * Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} (chunk boundaries are
   * multiples of {@code align}), in parallel when it is worth it. Exceptions propagate.
   */
  static void parallelFor(long n, long grain, long align, Range body) {
    long chunks = Math.min((long) THREADS * 4, n / Math.max(grain, 1));
    if (POOL == null || chunks <= 1) {
      if (n > 0) {
        body.run(0, n);
      }
      return;
    }
    long step = (n + chunks - 1) / chunks;
    step = (step + align - 1) / align * align;
    List<ForkJoinTask<?>> tasks = new ArrayList<>();
    for (long from = 0; from < n; from += step) {
      long f = from;
      long t = Math.min(n, from + step);
      tasks.add(ForkJoinTask.adapt(() -> body.run(f, t)));
    }
    if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL) {
      ForkJoinTask.invokeAll(tasks);
    } else {
      POOL.invoke(
          new java.util.concurrent.RecursiveAction() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void compute() {
              invokeAll(tasks);
            }
          });
    }
  }
}
