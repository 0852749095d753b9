package dev.arbor.bench;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backends;
import dev.arbor.core.primitives.Threefry;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * In-process timing of eager {@code mul}, {@code rem}, {@code erf_inv} (1e6 F32), {@code argmax}
 * (1000 x 1000 F32, axis 1) and {@code threefry2x32} (1e6 counters) on cpu-simd: per named op, 30
 * warm-up calls, then 40 timed calls; prints the fastest and the median. Runs as a single source
 * file against any bench jar (to compare with a jar from before these kernels): {@code java
 * --add-modules jdk.incubator.vector -Darbor.threads=1 -cp benchmarks.jar MathAndBitsTiming.java
 * rem erf argmax threefry}.
 */
public final class MathAndBitsTiming {
  private MathAndBitsTiming() {}

  static void time(String name, Supplier<Object> f) {
    double[] t = new double[40];
    for (int w = 0; w < 30; w++) {
      f.get();
    }
    for (int i = 0; i < t.length; i++) {
      long s = System.nanoTime();
      f.get();
      t[i] = (System.nanoTime() - s) / 1e6;
    }
    Arrays.sort(t);
    System.out.printf("%-10s min %.3f ms  median %.3f ms%n", name, t[0], t[t.length / 2]);
  }

  public static void main(String[] a) {
    Backends.setDefault("cpu-simd");
    Random r = new Random(1);
    int n = 1_000_000;
    float[] x = new float[n];
    float[] y = new float[n];
    float[] u = new float[n];
    int[][] k = new int[4][n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian() * 10;
      y[i] = (0.5f + r.nextFloat()) * (r.nextBoolean() ? 1 : -1);
      u[i] = r.nextFloat() * 2 - 1;
      for (int j = 0; j < 4; j++) {
        k[j][i] = r.nextInt();
      }
    }
    Tensor tx = Tensor.fromArray(x, n);
    Tensor ty = Tensor.fromArray(y, n);
    Tensor tu = Tensor.fromArray(u, n);
    Tensor m = Ops.reshape(tx, 1000, 1000);
    List<Tensor> c = List.of(Tensor.of(k[0]), Tensor.of(k[1]), Tensor.of(k[2]), Tensor.of(k[3]));
    for (String w : a) {
      switch (w) {
        default -> throw new IllegalArgumentException("unknown op " + w);
        case "mul" -> time("mul", () -> Ops.mul(tx, ty));
        case "rem" -> time("rem", () -> Ops.rem(tx, ty));
        case "erf" -> time("erf_inv", () -> Ops.erfInv(tu));
        case "argmax" -> time("argmax", () -> Ops.argmax(m, 1));
        case "threefry" -> time("threefry", () -> Threefry.threefry2x32(c));
      }
    }
  }
}
