package dev.arbor.bench;

import dev.arbor.agent.ArborAgent;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import dev.arbor.module.State;
import dev.arbor.module.Updated;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code update} of a 3-layer MLP module (64-128-128-10, batch 32, reference backend) against
 * calling it: each layer is a record module with Tensor state (a call counter it assigns, like a
 * batch-norm's running statistics), called from the MLP with plain, instrumented {@code call}s.
 * {@code call} is pure (its assigns are ignored); {@code update} and {@code callAndUpdate} run it
 * in a state context and rebuild the MLP with the layers' new state. The agent is installed by
 * self-attach in {@link #setUp}. Run: {@code java -jar bench/target/benchmarks.jar ModuleUpdate}.
 */
@org.openjdk.jmh.annotations.State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--sun-misc-unsafe-memory-access=allow",
      "-XX:+EnableDynamicAgentLoading",
      "-Dnet.bytebuddy.safe=true"
    })
public class ModuleUpdateBenchmark {

  /** A dense layer with ReLU and a Tensor state variable {@code calls}. */
  public record Dense(Tensor w, Tensor b, Tensor calls) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      State.assign("calls", calls.add(1.0));
      return Ops.relu(x.matmul(w).add(b));
    }
  }

  /** Three layers, called plainly: their state reaches the MLP through the agent. */
  public record Mlp(Dense l1, Dense l2, Dense l3) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      return l3.call(l2.call(l1.call(x)));
    }
  }

  static Dense dense(Key k, int in, int out) {
    return new Dense(
        Random.normal(k, in, out).mul(Math.sqrt(2.0 / in)), Tensor.zeros(out), Tensor.scalar(0));
  }

  Mlp mlp;
  Tensor x;

  @Setup
  public void setUp() {
    ArborAgent.install();
    Key[] ks = Key.of(0).split(4);
    mlp = new Mlp(dense(ks[0], 64, 128), dense(ks[1], 128, 128), dense(ks[2], 128, 10));
    x = Random.normal(ks[3], 32, 64);
    Mlp next = State.update(mlp, x);
    if (next.l1().calls().item() != 1 || next.l3().calls().item() != 1) {
      throw new IllegalStateException("the layers' state was not updated: is the agent active?");
    }
  }

  @Benchmark
  public Tensor call() {
    return mlp.call(x);
  }

  @Benchmark
  public Mlp update() {
    return State.update(mlp, x);
  }

  @Benchmark
  public Updated<Tensor, Mlp> callAndUpdate() {
    return State.callAndUpdate(mlp, x);
  }
}
