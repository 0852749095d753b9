package dev.arbor.bench;

import dev.arbor.Arbor;
import dev.arbor.ValueAndGrad;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.LinearAlgebra.Dims;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The MLP gradient step of the issues' benchmark table: 784-512-512-10, batch 128, F32, softmax
 * cross-entropy, {@code valueAndGrad} (eager and under {@code jit}) on the backend named by {@code
 * -p backend=} (default {@code reference}). Run: {@code java -jar bench/target/benchmarks.jar
 * MlpStepBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Time-based warm-up: the Vector API kernels run ~100x slower until C2 has compiled them.
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--sun-misc-unsafe-memory-access=allow",
      "--add-modules=jdk.incubator.vector",
      "--enable-native-access=ALL-UNNAMED",
      "-Xmx6g"
    })
public class MlpStepBenchmark {
  /** Parameters of one dense layer. */
  public record Dense(Tensor w, Tensor b) {}

  /** The 3-layer MLP. */
  public record Mlp(Dense l1, Dense l2, Dense l3) {}

  /** A batch: F32 inputs and one-hot F32 labels. */
  public record Batch(Tensor x, Tensor y) {}

  @Param({"cpu-simd", "reference"})
  public String backend;

  /** One example and the shared parameters (per-example gradients map over the example). */
  public record PerExample(Mlp params, Batch example) {}

  Mlp params;
  Batch batch;
  BiFunction<Mlp, Batch, ValueAndGrad<Mlp>> step;
  dev.arbor.Jitted<Batch, ValueAndGrad<Mlp>> jitStep;
  java.util.function.Function<PerExample, Mlp> perExample;
  java.util.function.BiFunction<Mlp, Batch, Mlp> oneExample;
  Batch[] examples;

  /** Operands of the step's eight dot_generals (see {@link #matmulsOfStep}). */
  Tensor[] mm;

  static Dense dense(Key k, int in, int out) {
    return new Dense(Random.normal(k, in, out).mul(Math.sqrt(2.0 / in)), Tensor.zeros(out));
  }

  static Tensor loss(Mlp p, Batch b) {
    Tensor h1 = Ops.relu(b.x().matmul(p.l1().w()).add(p.l1().b()));
    Tensor h2 = Ops.relu(h1.matmul(p.l2().w()).add(p.l2().b()));
    Tensor logits = h2.matmul(p.l3().w()).add(p.l3().b());
    Tensor logp = logits.sub(Ops.logSumExp(logits, 1, true));
    return logp.mul(b.y()).sum().mul(-1.0 / 128);
  }

  @Setup
  public void setUp() {
    dev.arbor.backend.Backends.setDefault(backend);
    Key[] ks = Key.of(0).split(5);
    params = new Mlp(dense(ks[0], 784, 512), dense(ks[1], 512, 512), dense(ks[2], 512, 10));
    int[] classes = new int[128];
    for (int i = 0; i < classes.length; i++) {
      classes[i] = i % 10;
    }
    Tensor labels = Ops.oneHot(Tensor.of(classes), 10);
    batch = new Batch(Random.normal(ks[3], 128, 784), labels);
    step = Arbor.valueAndGrad(MlpStepBenchmark::loss);
    Mlp p0 = params;
    jitStep = Arbor.jit((Batch b) -> step.apply(p0, b));
    jitStep.apply(batch);
    BiFunction<Mlp, Batch, Mlp> g = Arbor.grad(MlpStepBenchmark::exampleLoss);
    oneExample = g;
    perExample =
        Arbor.vmap(
            (PerExample pe) -> g.apply(pe.params(), pe.example()),
            java.util.Arrays.asList(null, 0),
            0);
    Key[] mk = Key.of(7).split(9);
    mm =
        new Tensor[] {
          Random.normal(mk[0], 128, 784), // x
          Random.normal(mk[1], 784, 512), // W1
          Random.normal(mk[2], 128, 512), // h1
          Random.normal(mk[3], 512, 512), // W2
          Random.normal(mk[4], 128, 512), // h2
          Random.normal(mk[5], 512, 10), // W3
          Random.normal(mk[6], 128, 10), // dlogits
          Random.normal(mk[7], 128, 512), // dz2
          Random.normal(mk[8], 128, 512), // dz1
        };
    matmulsOfStep();
    examples = new Batch[128];
    for (int i = 0; i < 128; i++) {
      examples[i] = new Batch(batch.x().get(i), batch.y().get(i));
    }
  }

  /** The loss of one example (no batch axis): what per-example gradients differentiate. */
  static Tensor exampleLoss(Mlp p, Batch e) {
    Tensor x = e.x().reshape(1, 784);
    Tensor y = e.y().reshape(1, 10);
    return loss(p, new Batch(x, y)).mul(128.0);
  }

  @Benchmark
  public ValueAndGrad<Mlp> gradStepEager() {
    return step.apply(params, batch);
  }

  /** The same step under jit (the parameters are closed over: a cache hit every call). */
  @Benchmark
  public ValueAndGrad<Mlp> gradStepJit() {
    return jitStep.apply(batch);
  }

  private static final int[] NONE = {};

  private static Tensor dot(Tensor x, Tensor y, int lc, int rc) {
    return LinearAlgebra.dotGeneral(x, y, new Dims(new int[] {lc}, new int[] {rc}, NONE, NONE));
  }

  /**
   * The denominator of the step's "share of the SGEMM rate": exactly the eight dot_generals that
   * {@link #gradStepJit} runs (same shapes, same dimension numbers, hence the same transposed
   * operands in the GEMM), eagerly, on operands of the same shapes. As the step lowers them (M x N
   * x K, A / B layout): forward 128x512x784, 128x512x512, 128x10x512 (row-major, row-major);
   * backward dW3 512x10x128, dW2 512x512x128 and dW1 784x512x128 (A transposed), dh2 128x512x10 and
   * dh1 128x512x512 (B transposed). 2 * 205,389,824 = 410.8 MFLOP per call.
   */
  @Benchmark
  public Tensor[] matmulsOfStep() {
    Tensor[] t = mm;
    return new Tensor[] {
      dot(t[0], t[1], 1, 0), // x . W1
      dot(t[2], t[3], 1, 0), // h1 . W2
      dot(t[4], t[5], 1, 0), // h2 . W3
      dot(t[4], t[6], 0, 0), // h2^T . dlogits = dW3
      dot(t[6], t[5], 1, 1), // dlogits . W3^T = dh2
      dot(t[2], t[7], 0, 0), // h1^T . dz2 = dW2
      dot(t[7], t[3], 1, 1), // dz2 . W2^T = dh1
      dot(t[0], t[8], 0, 0), // x^T . dz1 = dW1
    };
  }

  /** Per-example gradients of the whole batch: vmap(grad) lowers to batched matmuls. */
  @Benchmark
  public Mlp perExampleVmap() {
    return perExample.apply(new PerExample(params, batch));
  }

  /** Per-example gradients as a loop of 128 grad calls, the baseline for vmap. */
  @Benchmark
  public Mlp[] perExampleLoop() {
    Mlp[] out = new Mlp[examples.length];
    for (int i = 0; i < examples.length; i++) {
      out[i] = oneExample.apply(params, examples[i]);
    }
    return out;
  }
}
