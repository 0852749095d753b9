package dev.arbor.examples;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import dev.arbor.module.State;
import dev.arbor.module.StatefulFn;
import dev.arbor.random.Key;
import dev.arbor.random.Random;

/**
 * Functional modules (Oryx's {@code init}) nested in each other: a named inner module becomes one
 * variable of the outer; an unnamed one contributes its variables flat. Usage: {@code ./arbor demo
 * --main dev.arbor.examples.FunctionalModules}.
 */
public final class FunctionalModules {
  private FunctionalModules() {}

  // functional-begin
  /** A dense layer whose weights are functional-module variables drawn from the init key. */
  static StatefulFn<Tensor, Tensor> dense(int out) {
    return (x, key) -> {
      int in = x.shape().dim(x.rank() - 1);
      Tensor w = State.variable("w", Random.normal(key, in, out).mul(1 / Math.sqrt(in)));
      Tensor b = State.variable("b", Tensor.zeros(out));
      return x.matmul(w).add(b);
    };
  }

  /** Counts its calls and keeps a running mean of its input's mean: state, not parameters. */
  static final StatefulFn<Tensor, Tensor> TRACKER =
      (x, key) -> {
        Tensor calls = State.variable("calls", Tensor.scalar(0));
        Tensor mean = State.variable("mean", Tensor.scalar(0));
        State.assign("calls", calls.add(1.0));
        State.assign("mean", mean.mul(0.9).add(Ops.stopGradient(x.mean()).mul(0.1)));
        return x;
      };

  /** hidden (named) -> tanh -> tracker (unnamed: "calls" and "mean" land in the outer) -> out. */
  static final StatefulFn<Tensor, Tensor> MODEL =
      (x, key) -> {
        Key[] k = key.split(2);
        Module<Tensor, Tensor> hidden = State.init(dense(8), "hidden").apply(k[0], x);
        Tensor h = Ops.tanh(hidden.apply(x));
        Module<Tensor, Tensor> tracker = State.init(TRACKER, null).apply(k[1], h);
        h = tracker.apply(h);
        Module<Tensor, Tensor> out = State.init(dense(1), "out").apply(k[1], h);
        return out.apply(h);
      };

  /** The model, initialized from an example input. */
  public static Module<Tensor, Tensor> build(Tensor example) {
    return State.init(MODEL, "model").apply(Key.of(0), example);
  }

  // functional-end

  public static void main(String[] args) {
    Tensor x = Random.normal(Key.of(1), 4, 3);
    Module<Tensor, Tensor> m = build(x);
    System.out.println("variables of the model: " + m.variables().keySet());
    Module<?, ?> hidden = (Module<?, ?>) m.variables().get("hidden");
    System.out.println("variables of 'hidden': " + hidden.variables().keySet());
    Module<Tensor, Tensor> after = m.update(x).update(x);
    System.out.println("calls after two updates: " + after.variables().get("calls"));
    System.out.println("output: " + after.call(x));
  }
}
