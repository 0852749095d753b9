package dev.arbor.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

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
   * multiples of {@code align}), in parallel when it is worth it: the chunks are {@link
   * #forEachPart} parts, so the calling thread takes chunks too. Exceptions propagate.
   */
  static void parallelFor(long n, long grain, long align, Range body) {
    long chunks = Math.min((long) THREADS * 4, n / Math.max(grain, 1));
    if (POOL == null || chunks <= 1) {
      if (n > 0) {
        body.run(0, n);
      }
      return;
    }
    long step0 = (n + chunks - 1) / chunks;
    long step = (step0 + align - 1) / align * align;
    int parts = (int) ((n + step - 1) / step);
    forEachPart(parts, p -> body.run(p * step, Math.min(n, (p + 1) * step)));
  }

  /** One {@link #forEachPart} call: parts handed out from a counter to whoever runs them. */
  private static final class Job {
    final int parts;
    final IntConsumer body;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    volatile Thread waiter;
    private Throwable failure;

    Job(int parts, IntConsumer body) {
      this.parts = parts;
      this.body = body;
    }

    /**
     * Runs parts until none is left. A failure stops the hand-out and is kept for the caller.
     * {@code running} is raised before a part is claimed, so once the counter is exhausted, a zero
     * {@code running} means every claimed part has finished.
     */
    void work() {
      running.incrementAndGet();
      try {
        for (int p = next.getAndIncrement(); p < parts; p = next.getAndIncrement()) {
          body.accept(p);
        }
      } catch (RuntimeException | Error e) {
        next.set(parts);
        fail(e);
      } finally {
        if (running.decrementAndGet() == 0) {
          Thread w = waiter;
          if (w != null) {
            LockSupport.unpark(w);
          }
        }
      }
    }

    synchronized void fail(Throwable e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }

    synchronized Throwable failure() {
      return failure;
    }
  }

  /**
   * Runs {@code body.accept(part)} once for each part in {@code [0, parts)} on up to {@link
   * #THREADS} threads: the calling thread and pool workers take parts in order from a shared
   * counter until none is left, so the caller works instead of waiting for a woken worker, and a
   * thread that starts late or is descheduled does fewer parts. From outside the pool the call
   * returns as soon as every claimed part is done: it does not wait for a helper that has not
   * started (in this VM a parked worker can take 25–60 µs to start, longer than half of a small
   * kernel; such a helper later finds no part left). Inside the pool it is a plain fork/join. The
   * first exception is rethrown (later ones suppressed into it) and stops the hand-out of further
   * parts.
   */
  static void forEachPart(int parts, IntConsumer body) {
    if (POOL == null || parts <= 1) {
      for (int p = 0; p < parts; p++) {
        body.accept(p);
      }
      return;
    }
    int helpers = Math.min(parts, THREADS) - 1;
    Job job = new Job(parts, body);
    if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL) {
      List<ForkJoinTask<?>> tasks = new ArrayList<>(helpers);
      for (int h = 0; h < helpers; h++) {
        tasks.add(ForkJoinTask.adapt(job::work).fork());
      }
      job.work();
      for (int i = tasks.size() - 1; i >= 0; i--) {
        tasks.get(i).quietlyJoin();
      }
    } else {
      job.waiter = Thread.currentThread();
      for (int h = 0; h < helpers; h++) {
        POOL.execute(job::work);
      }
      job.work();
      // Parts still running elsewhere: spin briefly, then park until the last one unparks us.
      for (int spins = 0; job.running.get() > 0; spins++) {
        if (spins < 1 << 10) {
          Thread.onSpinWait();
        } else {
          LockSupport.parkNanos(job, 1_000_000L);
        }
      }
      job.waiter = null; // a helper that starts later finds no part and wakes nobody
    }
    Throwable failure = job.failure();
    if (failure instanceof Error e) {
      throw e;
    }
    if (failure != null) {
      throw (RuntimeException) failure;
    }
  }
}
