package dev.arbor.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.core.primitives.Threefry;
import dev.arbor.testing.Slicing;
import dev.arbor.transform.batching.BatchTrace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class RandomTest {
  /** Random123's known-answer tests for threefry2x32_20: key, counter, expected output. */
  private static final long[][] KATS = {
    {0, 0, 0, 0, 0x6b200159L, 0x99ba4efeL},
    {0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0x1cb996fcL, 0xbb002be7L},
    {0x13198a2eL, 0x03707344L, 0x243f6a88L, 0x85a308d3L, 0xc4923a9cL, 0x483df7a0L},
  };

  @Test
  void threefryKnownAnswers() {
    for (long[] v : KATS) {
      assertArrayEquals(new long[] {v[4], v[5]}, Threefry.hash(v[0], v[1], v[2], v[3]));
    }
  }

  @Test
  void threefryPrimitiveMatchesKnownAnswersElementwise() {
    List<Tensor> in = new ArrayList<>();
    for (int k = 0; k < 4; k++) {
      int[] col = new int[KATS.length];
      for (int r = 0; r < KATS.length; r++) {
        col[r] = (int) KATS[r][k];
      }
      in.add(Tensor.of(col));
    }
    List<Tensor> out = Threefry.threefry2x32(in);
    for (int r = 0; r < KATS.length; r++) {
      assertEquals(KATS[r][4], out.get(0).toLongArray()[r] & 0xFFFFFFFFL);
      assertEquals(KATS[r][5], out.get(1).toLongArray()[r] & 0xFFFFFFFFL);
    }
  }

  @Test
  void threefryBatchesOverAnyOperand() {
    // vmap over the counters with the key unbatched, and over the key with counters unbatched.
    Tensor ks = Tensor.of(1, 2, 3);
    Tensor c = Tensor.of(7, 8, 9);
    for (int which = 0; which < 4; which++) {
      BatchTrace t = new BatchTrace("vmap threefry", null, 3);
      List<Tensor> got;
      try {
        List<Tensor> args = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          args.add(k == which ? t.tracer(k < 2 ? ks : c, 0) : Tensor.scalar(5, DType.I32));
        }
        got = new ArrayList<>();
        for (Tensor o : Threefry.threefry2x32(args)) {
          got.add(t.unwrap(o).outputs().get(0));
        }
      } finally {
        t.end();
      }
      for (int i = 0; i < 3; i++) {
        long[] a = {5, 5, 5, 5};
        a[which] = (which < 2 ? ks : c).toLongArray()[i];
        long[] want = Threefry.hash(a[0], a[1], a[2], a[3]);
        assertEquals(want[0], got.get(0).toLongArray()[i] & 0xFFFFFFFFL);
        assertEquals(want[1], got.get(1).toLongArray()[i] & 0xFFFFFFFFL);
      }
    }
  }

  static long[] words(Key k) {
    long[] w = k.data().toLongArray();
    for (int i = 0; i < w.length; i++) {
      w[i] &= 0xFFFFFFFFL;
    }
    return w;
  }

  @Test
  void keysWithEqualWordsAreEqualValues() {
    assertEquals(Key.of(42), Key.of(42));
    assertEquals(Key.of(42).hashCode(), Key.of(42).hashCode());
    assertFalse(Key.of(42).equals(Key.of(43)));
    assertEquals(Key.of(5).split(2)[1], Key.of(5).split(2)[1]);
    assertFalse(Key.of(5).splitBatch(2).equals(Key.of(5)));
  }

  @Test
  void keyOfSeedSplitsSeedIntoWords() {
    assertArrayEquals(new long[] {0, 42}, words(Key.of(42)));
    assertArrayEquals(new long[] {0xFFFFFFFFL, 0xFFFFFFFFL}, words(Key.of(-1)));
    assertArrayEquals(new long[] {1, 2}, words(Key.of((1L << 32) | 2)));
  }

  // Expected values below come from an independent Python implementation of the same
  // algorithms (threefry over (0, index), xor of the two words, mantissa bits, scipy's erfinv).
  @Test
  void splitFoldInAndBitsMatchReference() {
    Key key = Key.of(42);
    Key[] ks = key.split(3);
    long[][] want = {
      {1832780943L, 270669613L}, {64467757L, 2916123636L}, {2465931498L, 255383827L}
    };
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(want[i], words(ks[i]));
    }
    Key batch = key.splitBatch(3);
    assertEquals(Shape.of(3, 2), batch.data().shape());
    long[] flat = words(batch);
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(want[i], Arrays.copyOfRange(flat, 2 * i, 2 * i + 2));
    }
    assertArrayEquals(new long[] {2547012911L, 1371500959L}, words(key.foldIn(7)));
    long[] bits = Random.bits(key, 2, 2).toLongArray();
    long[] wantBits = {2098992034L, 2919706841L, 2646866425L, 2409546199L};
    for (int i = 0; i < 4; i++) {
      assertEquals(wantBits[i], bits[i] & 0xFFFFFFFFL);
    }
  }

  @Test
  void uniformAndNormalMatchReference() {
    Key key = Key.of(42);
    assertArrayEquals(
        new double[] {
          0.48870956897735596, 0.6797971725463867, 0.6162714958190918, 0.5610160827636719
        },
        Random.uniform(key, 4).toDoubleArray(),
        0);
    assertArrayEquals(
        new double[] {
          -0.02830461598932743, 0.46713176369667053, 0.2957029342651367, 0.15354593098163605
        },
        Random.normal(key, 4).toDoubleArray(),
        1e-6);
    assertArrayEquals(
        new double[] {0.4267275666499091, 0.015010069515314584, 0.5741444178995352},
        Random.uniform(key, DType.F64, 3).toDoubleArray(),
        0);
    assertEquals(DType.F64, Random.normal(key, DType.F64, 3).dtype());
  }

  @Test
  void sameKeySameNumbersOnEveryThread() throws Exception {
    Key key = Key.of(2024);
    double[] here = Random.normal(key, 64).toDoubleArray();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<double[]>> fs = new ArrayList<>();
      for (int k = 0; k < 8; k++) {
        fs.add(pool.submit(() -> Random.normal(Key.of(2024), 64).toDoubleArray()));
      }
      for (Future<double[]> f : fs) {
        assertArrayEquals(here, f.get(), 0);
      }
    } finally {
      pool.shutdown();
    }
    assertFalse(Arrays.equals(here, Random.normal(Key.of(2025), 64).toDoubleArray()));
  }

  @Test
  void splitKeysAreDistinctAndUncorrelated() {
    Key[] ks = Key.of(0).split(64);
    Set<String> seen = new HashSet<>();
    for (Key k : ks) {
      assertTrue(seen.add(Arrays.toString(words(k))), "split produced a repeated key");
    }
    double[] a = Random.normal(ks[0], 20000).toDoubleArray();
    double[] b = Random.normal(ks[1], 20000).toDoubleArray();
    double corr = 0;
    for (int i = 0; i < a.length; i++) {
      corr += a[i] * b[i];
    }
    // Standard error of the correlation of independent standard normals is 1/sqrt(n) = 0.007.
    assertEquals(0, corr / a.length, 0.03);
    // A parent key and its children also give different streams.
    assertFalse(Arrays.equals(a, Random.normal(Key.of(0), 20000).toDoubleArray()));
  }

  static double[] moments(double[] v) {
    double m = 0;
    for (double x : v) {
      m += x;
    }
    m /= v.length;
    double var = 0;
    double skew = 0;
    double kurt = 0;
    for (double x : v) {
      double d = x - m;
      var += d * d;
      skew += d * d * d;
      kurt += d * d * d * d;
    }
    var /= v.length;
    return new double[] {
      m, var, skew / v.length / Math.pow(var, 1.5), kurt / v.length / (var * var)
    };
  }

  @Test
  void normalMomentsOn100kSamples() {
    for (DType t : new DType[] {DType.F32, DType.F64}) {
      double[] m = moments(Random.normal(Key.of(7), t, 100_000).toDoubleArray());
      // Standard errors: mean 0.0032, variance 0.0045, skewness 0.008, kurtosis 0.015.
      assertEquals(0, m[0], 0.015, t + " mean");
      assertEquals(1, m[1], 0.02, t + " variance");
      assertEquals(0, m[2], 0.04, t + " skewness");
      assertEquals(3, m[3], 0.08, t + " kurtosis");
    }
  }

  @Test
  void uniformMomentsAndRangeOn100kSamples() {
    double[] v = Random.uniform(Key.of(8), new int[] {100_000}, -2, 3).toDoubleArray();
    for (double x : v) {
      assertTrue(x >= -2 && x < 3, "uniform value out of range: " + x);
    }
    double[] m = moments(v);
    assertEquals(0.5, m[0], 0.03);
    assertEquals(25.0 / 12, m[1], 0.03);
    int[] hist = new int[10];
    for (double x : v) {
      hist[(int) ((x + 2) * 2)]++;
    }
    for (int h : hist) {
      assertEquals(10_000, h, 500, "uniform histogram " + Arrays.toString(hist));
    }
  }

  @Test
  void bernoulliCategoricalAndPermutation() {
    double[] b = Ops.astype(Random.bernoulli(Key.of(1), 0.3, 100_000), DType.F64).toDoubleArray();
    assertEquals(0.3, Arrays.stream(b).average().orElseThrow(), 0.01);

    Tensor logits = Ops.log(Tensor.of(0.1, 0.2, 0.7).reshape(1, 3).broadcastTo(30_000, 3));
    Tensor draws = Random.categorical(Key.of(2), logits, 1);
    assertEquals(DType.I32, draws.dtype());
    assertEquals(Shape.of(30_000), draws.shape());
    double[] counts = new double[3];
    for (long d : draws.toLongArray()) {
      counts[(int) d]++;
    }
    assertArrayEquals(new double[] {0.1, 0.2, 0.7}, scale(counts, 1.0 / 30_000), 0.015);

    for (int n : new int[] {0, 1, 10, 2000}) {
      long[] p = Random.permutation(Key.of(3), n).toLongArray();
      long[] sorted = p.clone();
      Arrays.sort(sorted);
      for (int i = 0; i < n; i++) {
        assertEquals(i, sorted[i], "permutation(" + n + ") is not a permutation");
      }
      if (n >= 10) {
        assertFalse(Arrays.equals(p, sorted), "permutation(" + n + ") left everything in place");
      }
    }
    assertArrayEquals(
        Random.permutation(Key.of(3), 50).toLongArray(),
        Random.permutation(Key.of(3), 50).toLongArray());
  }

  private static double[] scale(double[] v, double c) {
    double[] r = v.clone();
    for (int i = 0; i < r.length; i++) {
      r[i] *= c;
    }
    return r;
  }

  @Test
  void samplingUnderVmapOverABatchOfKeysMatchesALoop() {
    Key keys = Key.of(11).splitBatch(4);
    Key[] loose = Key.of(11).split(4);
    BatchTrace t = new BatchTrace("vmap sampling", null, 4);
    Tensor normals;
    Tensor perms;
    try {
      Key traced = new Key(t.tracer(keys.data(), 0));
      normals = t.unwrap(Random.normal(traced, 3)).outputs().get(0);
      perms = t.unwrap(Random.permutation(traced, 5)).outputs().get(0);
    } finally {
      t.end();
    }
    for (int i = 0; i < 4; i++) {
      assertArrayEquals(
          Random.normal(loose[i], 3).toDoubleArray(),
          Slicing.index(normals, 0, i).toDoubleArray(),
          0);
      assertArrayEquals(
          Random.permutation(loose[i], 5).toDoubleArray(),
          Slicing.index(perms, 0, i).toDoubleArray(),
          0);
    }
  }

  @Test
  void badArgumentsAreNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Key(Tensor.of(1.0f, 2.0f)));
    assertTrue(e.getMessage().contains("I32[..., 2]") && e.getMessage().contains("f32[2]"));
    e = assertThrows(IllegalArgumentException.class, () -> Key.of(0).splitBatch(2).split(2));
    assertTrue(e.getMessage().contains("split") && e.getMessage().contains("[2,2]"));
    e = assertThrows(IllegalArgumentException.class, () -> Random.uniform(Key.of(0), DType.I32, 2));
    assertTrue(e.getMessage().contains("uniform") && e.getMessage().contains("I32"));
  }
}
