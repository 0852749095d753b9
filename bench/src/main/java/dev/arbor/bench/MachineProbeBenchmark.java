package dev.arbor.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Machine probes, single-threaded: the FMA peak (register-only, 16 independent vector accumulators,
 * so the loop is throughput- not latency-bound) and memory bandwidth (copy and triad over 1e7
 * floats = 40 MB per array). Ops are FLOPs (peak) and bytes moved (copy: read + write; triad: two
 * reads + one write).
 *
 * <p>Two more probes explain the copy figure rather than replace it: {@link #vectorCopy} is the
 * same copy as a Vector-API load/store loop (the store path every Arbor kernel has: the JDK's bulk
 * copy uses non-temporal stores for large copies, which the Vector API cannot issue), and {@link
 * #copyLarge} copies 400 MB arrays, beyond any cache (this machine's L3 is 32 MB, so back-to-back
 * 40 MB copies are partly served from it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MachineProbeBenchmark {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final int FMA_ITERS = 1 << 16;
  static final int N = 10_000_000;

  Arena arena;
  MemorySegment a;
  MemorySegment b;
  MemorySegment c;

  @Setup
  public void setup() {
    arena = Arena.ofShared();
    a = arena.allocate(4L * N, 64);
    b = arena.allocate(4L * N, 64);
    c = arena.allocate(4L * N, 64);
  }

  @TearDown
  public void tearDown() {
    arena.close();
  }

  /** FLOPs per call: iterations x 16 accumulators x lanes x 2. */
  @Benchmark
  @OperationsPerInvocation(FMA_ITERS * 16 * 16 * 2)
  public float fmaPeak() {
    FloatVector x = FloatVector.broadcast(F, 1.0000001f);
    FloatVector y = FloatVector.broadcast(F, 0.9999999f);
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector a6 = a0;
    FloatVector a7 = a0;
    FloatVector a8 = a0;
    FloatVector a9 = a0;
    FloatVector a10 = a0;
    FloatVector a11 = a0;
    FloatVector a12 = a0;
    FloatVector a13 = a0;
    FloatVector a14 = a0;
    FloatVector a15 = a0;
    for (int i = 0; i < FMA_ITERS; i++) {
      a0 = x.fma(y, a0);
      a1 = x.fma(y, a1);
      a2 = x.fma(y, a2);
      a3 = x.fma(y, a3);
      a4 = x.fma(y, a4);
      a5 = x.fma(y, a5);
      a6 = x.fma(y, a6);
      a7 = x.fma(y, a7);
      a8 = x.fma(y, a8);
      a9 = x.fma(y, a9);
      a10 = x.fma(y, a10);
      a11 = x.fma(y, a11);
      a12 = x.fma(y, a12);
      a13 = x.fma(y, a13);
      a14 = x.fma(y, a14);
      a15 = x.fma(y, a15);
    }
    return a0.add(a1)
        .add(a2)
        .add(a3)
        .add(a4)
        .add(a5)
        .add(a6)
        .add(a7)
        .add(a8)
        .add(a9)
        .add(a10)
        .add(a11)
        .add(a12)
        .add(a13)
        .add(a14)
        .add(a15)
        .lane(0);
  }

  /** Bytes per call: read 40 MB + write 40 MB. */
  @Benchmark
  @OperationsPerInvocation(8 * N)
  public void copy() {
    MemorySegment.copy(a, 0, b, 0, 4L * N);
  }

  /** Bytes per call: read 40 MB + write 40 MB, as a Vector-API load/store loop. */
  @Benchmark
  @OperationsPerInvocation(8 * N)
  public void vectorCopy() {
    ByteOrder o = ByteOrder.nativeOrder();
    int l = F.length();
    for (long i = 0; i < N; i += l) {
      FloatVector.fromMemorySegment(F, a, i * 4, o).intoMemorySegment(b, i * 4, o);
    }
  }

  /** 400 MB arrays, allocated only when {@link #copyLarge} runs. */
  @State(Scope.Benchmark)
  public static class Large {
    static final int LARGE_N = 100_000_000;
    Arena arena;
    MemorySegment a;
    MemorySegment b;

    @Setup
    public void setup() {
      arena = Arena.ofShared();
      a = arena.allocate(4L * LARGE_N, 64);
      b = arena.allocate(4L * LARGE_N, 64);
    }

    @TearDown
    public void tearDown() {
      arena.close();
    }
  }

  /** Bytes per call: read 400 MB + write 400 MB. */
  @Benchmark
  @OperationsPerInvocation(8 * Large.LARGE_N)
  public void copyLarge(Large s) {
    MemorySegment.copy(s.a, 0, s.b, 0, 4L * Large.LARGE_N);
  }

  /** Bytes per call: read 2 x 40 MB + write 40 MB. */
  @Benchmark
  @OperationsPerInvocation(12 * N)
  public void triad() {
    ByteOrder o = ByteOrder.nativeOrder();
    int l = F.length();
    for (long i = 0; i < N; i += l) {
      FloatVector.fromMemorySegment(F, b, i * 4, o)
          .fma(FloatVector.fromMemorySegment(F, c, i * 4, o), FloatVector.broadcast(F, 3f))
          .intoMemorySegment(a, i * 4, o);
    }
  }
}
