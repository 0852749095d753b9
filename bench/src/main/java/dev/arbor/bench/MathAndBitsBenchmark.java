package dev.arbor.bench;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backends;
import dev.arbor.core.primitives.Threefry;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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

/**
 * Eager {@code rem} and {@code erf_inv} over 1e6 F32, {@code argmax} of a 1000 x 1000 F32 along its
 * last axis and {@code threefry2x32} of 1e6 counters, on a backend ({@code backend} param). Run
 * against a jar of the commit before cpu-simd had these kernels to compare with its reference
 * fallback (host copies out and back). Times are per call, outputs included.
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
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MathAndBitsBenchmark {
  /** Operands. */
  @State(Scope.Benchmark)
  public static class In {
    @Param({"cpu-simd"})
    public String backend;

    Tensor x;
    Tensor y;
    Tensor u;
    Tensor m;
    List<Tensor> counters;

    @Setup(Level.Trial)
    public void setup() {
      Backends.setDefault(backend);
      Random r = new Random(1);
      int n = 1_000_000;
      float[] a = new float[n];
      float[] b = new float[n];
      float[] c = new float[n];
      int[][] k = new int[4][n];
      for (int i = 0; i < n; i++) {
        a[i] = (float) r.nextGaussian() * 10;
        b[i] = (0.5f + r.nextFloat()) * (r.nextBoolean() ? 1 : -1);
        c[i] = r.nextFloat() * 2 - 1;
        for (int j = 0; j < 4; j++) {
          k[j][i] = r.nextInt();
        }
      }
      x = Tensor.fromArray(a, n);
      y = Tensor.fromArray(b, n);
      u = Tensor.fromArray(c, n);
      m = Ops.reshape(x, 1000, 1000);
      counters = List.of(Tensor.of(k[0]), Tensor.of(k[1]), Tensor.of(k[2]), Tensor.of(k[3]));
    }
  }

  @Benchmark
  public Tensor rem(In s) {
    return Ops.rem(s.x, s.y);
  }

  @Benchmark
  public Tensor erfInv(In s) {
    return Ops.erfInv(s.u);
  }

  @Benchmark
  public Tensor argmax(In s) {
    return Ops.argmax(s.m, 1);
  }

  @Benchmark
  public List<Tensor> threefry(In s) {
    return Threefry.threefry2x32(s.counters);
  }
}
