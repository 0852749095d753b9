package dev.arbor.module;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.GradAndAux;
import dev.arbor.WithAux;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.random.Key;
import dev.arbor.testing.RuleChecks;
import dev.arbor.testing.Slicing;
import dev.arbor.tree.Trees;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** STATE.md section 5: modules under grad and vmap, and {@code State.spec}. */
class ModuleTransformsTest {
  static final Random RNG = new Random(11);

  static Tensor random(int... dims) {
    return RuleChecks.random(RNG, -1, 1, dims);
  }

  record Dense(Tensor w, Tensor b) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      return x.matmul(w).add(b);
    }
  }

  /** A class module: fields, a no-arg constructor, static configuration. */
  static final class Scaled implements Module<Tensor, Tensor> {
    private Tensor w;
    private double gain;

    @SuppressWarnings("unused") // used by Arbor to rebuild
    private Scaled() {}

    Scaled(Tensor w, double gain) {
      this.w = w;
      this.gain = gain;
    }

    @Override
    public Tensor call(Tensor x) {
      return x.mul(w).mul(gain);
    }
  }

  record Mlp(Dense hidden, Dense out) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      return out.apply(Ops.tanh(hidden.apply(x)));
    }
  }

  static Tensor squaredError(Tensor prediction, Tensor y) {
    Tensor d = prediction.sub(y);
    return d.mul(d).mean();
  }

  /** Central differences of {@code loss} with respect to element {@code k} of a leaf. */
  static <M> double numericPartial(
      Function<M, Tensor> loss, M module, int leaf, int k, double eps) {
    List<Object> leaves = Trees.leaves(module);
    double[] v = ((Tensor) leaves.get(leaf)).toDoubleArray();
    int[] dims = ((Tensor) leaves.get(leaf)).shape().dims();
    double[] plus = v.clone();
    double[] minus = v.clone();
    plus[k] += eps;
    minus[k] -= eps;
    M mp = withLeaf(module, leaf, Tensor.fromArray(plus, dims));
    M mm = withLeaf(module, leaf, Tensor.fromArray(minus, dims));
    return (loss.apply(mp).item() - loss.apply(mm).item()) / (2 * eps);
  }

  static <M> M withLeaf(M module, int leaf, Tensor value) {
    int[] index = {0};
    return Trees.map(t -> index[0]++ == leaf ? value : t, module);
  }

  /** Every coordinate of every leaf of {@code grad} against central differences. */
  static <M> void assertGradientMatches(Function<M, Tensor> loss, M module, M grad) {
    List<Object> g = Trees.leaves(grad);
    assertEquals(Trees.structure(module), Trees.structure(grad), "grad has the module's structure");
    for (int leaf = 0; leaf < g.size(); leaf++) {
      double[] gv = ((Tensor) g.get(leaf)).toDoubleArray();
      for (int k = 0; k < gv.length; k++) {
        assertEquals(
            numericPartial(loss, module, leaf, k, 1e-6),
            gv[k],
            1e-6,
            "d loss / d leaf " + leaf + "[" + k + "]");
      }
    }
  }

  static <M> M sgd(M params, M grads, double lr) {
    return Trees.map((p, g) -> ((Tensor) p).sub(((Tensor) g).mul(lr)), params, grads);
  }

  // ------------------------------------------------------------------ grad

  @Test
  void gradOfARecordModuleIsARecordOfItsTypeAndMapsToAnSgdStep() {
    Dense m = new Dense(random(3, 2).astype(DType.F64), random(2).astype(DType.F64));
    Tensor x = random(5, 3).astype(DType.F64);
    Tensor y = random(5, 2).astype(DType.F64);
    Function<Dense, Tensor> loss = d -> squaredError(d.call(x), y);
    Dense g = Arbor.grad(loss).apply(m);
    assertInstanceOf(Dense.class, g);
    assertGradientMatches(loss, m, g);
    Dense stepped = sgd(m, g, 0.1);
    assertArrayEquals(
        m.w().sub(g.w().mul(0.1)).toDoubleArray(), stepped.w().toDoubleArray(), 1e-15);
    assertTrue(loss.apply(stepped).item() < loss.apply(m).item(), "an SGD step lowers the loss");
  }

  @Test
  void gradOfAClassModuleKeepsItsStaticConfiguration() {
    Scaled m = new Scaled(Tensor.of(1.0, -2.0, 0.5), 3.0);
    Tensor x = Tensor.of(2.0, 1.0, 4.0);
    Function<Scaled, Tensor> loss = s -> s.call(x).sum();
    Scaled g = Arbor.grad(loss).apply(m);
    assertInstanceOf(Scaled.class, g);
    assertNotSame(m, g);
    // d/dw sum(x * w * gain) = x * gain; gain is configuration, not differentiated
    assertArrayEquals(new double[] {6, 3, 12}, g.w.toDoubleArray(), 1e-6);
    assertEquals(3.0, g.gain);
    assertEquals(List.of("w"), List.copyOf(g.variables().keySet()));
    Scaled stepped = sgd(m, g, 0.5);
    assertEquals(3.0, stepped.gain);
    assertArrayEquals(new double[] {-2, -3.5, -5.5}, stepped.w.toDoubleArray(), 1e-6);
  }

  @Test
  void gradOfNestedModulesIsNestedTheSameWay() {
    Mlp m =
        new Mlp(
            new Dense(random(3, 4).astype(DType.F64), random(4).astype(DType.F64)),
            new Dense(random(4, 2).astype(DType.F64), random(2).astype(DType.F64)));
    Tensor x = random(6, 3).astype(DType.F64);
    Tensor y = random(6, 2).astype(DType.F64);
    Function<Mlp, Tensor> loss = p -> squaredError(p.call(x), y);
    Mlp g = Arbor.grad(loss).apply(m);
    assertInstanceOf(Dense.class, g.hidden());
    assertGradientMatches(loss, m, g);
    Mlp p = m;
    double first = loss.apply(p).item();
    for (int step = 0; step < 20; step++) {
      p = sgd(p, Arbor.grad(loss).apply(p), 0.2);
    }
    assertTrue(loss.apply(p).item() < first * 0.9, "20 SGD steps lower the loss by 10%");
  }

  static Module<Tensor, Tensor> functionalDense(Tensor x) {
    StatefulFn<Tensor, Tensor> dense =
        (in, key) -> {
          Tensor w = State.variable("w", Tensor.fromArray(new double[] {0.5, -1, 2, 0.25}, 2, 2));
          Tensor b = State.variable("b", Tensor.of(0.1, -0.2));
          return in.matmul(w).add(b);
        };
    StatefulFn<Tensor, Tensor> net =
        (in, key) -> {
          Module<Tensor, Tensor> layer = State.init(dense, "layer").apply(key, in);
          Tensor scale = State.variable("scale", Tensor.of(2.0));
          return Ops.tanh(layer.call(in)).mul(scale);
        };
    return State.init(net, "net").apply(Key.of(0), x);
  }

  @Test
  void gradOfAFunctionalModuleHasItsVariables() {
    Tensor x = Tensor.fromArray(new double[] {1, 2, -1, 0.5, 0, 1}, 3, 2);
    Module<Tensor, Tensor> m = functionalDense(x);
    Function<Module<Tensor, Tensor>, Tensor> loss = f -> f.call(x).sum();
    Module<Tensor, Tensor> g = Arbor.grad(loss).apply(m);
    assertEquals(List.of("layer", "scale"), List.copyOf(g.variables().keySet()));
    assertInstanceOf(Module.class, g.variables().get("layer"));
    assertGradientMatches(loss, m, g);
    Module<Tensor, Tensor> stepped = sgd(m, g, 0.1);
    assertTrue(loss.apply(stepped).item() < loss.apply(m).item());
  }

  /** The updated module comes back as auxiliary output: gradient and new state in one pass. */
  record CountingDense(Dense dense, Tensor calls) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      State.assign("calls", calls.add(1.0));
      return dense.apply(x);
    }
  }

  @Test
  void gradWithAuxReturnsTheUpdatedModuleBesideTheGradient() {
    CountingDense m =
        new CountingDense(new Dense(Tensor.of(new float[][] {{1}, {2}}), Tensor.of(0f)), zero());
    Tensor x = Tensor.of(new float[][] {{1, 1}, {2, 0}});
    GradAndAux<CountingDense, CountingDense> r =
        Arbor.gradWithAux(
                (CountingDense c) -> {
                  Updated<Tensor, CountingDense> u = State.callAndUpdate(c, x);
                  return new WithAux<>(u.output().sum(), u.module());
                })
            .apply(m);
    assertEquals(1.0, r.aux().calls().item(), "the aux module holds the new state");
    assertEquals(0.0, r.grad().calls().item(), "the call counter does not affect the loss");
    assertArrayEquals(new double[] {3, 1}, r.grad().dense().w().toDoubleArray(), 1e-6);
    assertEquals(2.0, r.grad().dense().b().item(), 1e-6);
  }

  static Tensor zero() {
    return Tensor.scalar(0);
  }

  // ------------------------------------------------------------------ vmap

  static Tensor row(Tensor x, int i) {
    return Slicing.index(x, 0, i);
  }

  @Test
  void vmapOfCallSharesTheModuleAcrossTheBatch() {
    Mlp m = new Mlp(new Dense(random(3, 4), random(4)), new Dense(random(4, 2), random(2)));
    Tensor xs = random(5, 3);
    Tensor batched = Arbor.vmap(m::call).apply(xs);
    assertArrayEquals(new int[] {5, 2}, batched.shape().dims());
    for (int i = 0; i < 5; i++) {
      Tensor one = m.call(row(xs, i).reshape(1, 3)).reshape(2);
      assertArrayEquals(one.toDoubleArray(), row(batched, i).toDoubleArray(), 1e-12, "row " + i);
    }
  }

  record Example(Tensor x, Tensor y) {}

  @Test
  void perExampleGradientsOfAModuleAreABatchedModule() {
    Dense m = new Dense(random(3, 1), random(1));
    Tensor xs = random(4, 3);
    Tensor ys = random(4, 1);
    Function<Example, Dense> perExample =
        e -> Arbor.grad((Dense d) -> squaredError(d.call(e.x().reshape(1, 3)), e.y())).apply(m);
    Dense grads = Arbor.vmap(perExample).apply(new Example(xs, ys));
    assertArrayEquals(new int[] {4, 3, 1}, grads.w().shape().dims());
    for (int i = 0; i < 4; i++) {
      Dense one = perExample.apply(new Example(row(xs, i), row(ys, i)));
      assertArrayEquals(one.w().toDoubleArray(), row(grads.w(), i).toDoubleArray(), 1e-12);
      assertArrayEquals(one.b().toDoubleArray(), row(grads.b(), i).toDoubleArray(), 1e-12);
    }
  }

  /** A functional dense layer whose weights are drawn from the init key. */
  static Module<Tensor, Tensor> member(Key key, Tensor example) {
    return State.init(
            (Tensor x, Key k) -> {
              Key[] ks = k.split(2);
              Tensor w =
                  State.variable("w", dev.arbor.random.Random.normal(ks[0], DType.F64, 3, 2));
              Tensor b = State.variable("b", dev.arbor.random.Random.normal(ks[1], DType.F64, 2));
              return Ops.tanh(x.matmul(w).add(b));
            },
            "member")
        .apply(key, example);
  }

  /**
   * An ensemble: vmap of an initializer over a batch of keys ({@code Key.splitBatch}) gives one
   * module whose variables are batched; vmap over that module maps over its members.
   */
  @Test
  void vmapOfAnInitializerMakesAnEnsembleThatVmapMapsOver() {
    Tensor example = random(2, 3);
    Key root = Key.of(42);
    Function<Key, Module<Tensor, Tensor>> initialize = key -> member(key, example);
    Module<Tensor, Tensor> ensemble = Arbor.vmap(initialize).apply(root.splitBatch(4));
    assertEquals(List.of("w", "b"), List.copyOf(ensemble.variables().keySet()));
    assertArrayEquals(new int[] {4, 3, 2}, ((Tensor) ensemble.variables().get("w")).shape().dims());
    assertArrayEquals(new int[] {4, 2}, ((Tensor) ensemble.variables().get("b")).shape().dims());

    // every member on the same input
    Tensor x = random(5, 3);
    Tensor outs = Arbor.vmap((Module<Tensor, Tensor> m) -> m.call(x)).apply(ensemble);
    assertArrayEquals(new int[] {4, 5, 2}, outs.shape().dims());
    // members and inputs mapped together: member i sees batch i
    Tensor xs = random(4, 5, 3);
    record MemberInput(Module<Tensor, Tensor> member, Tensor x) {}
    Tensor paired =
        Arbor.vmap((MemberInput p) -> p.member().call(p.x())).apply(new MemberInput(ensemble, xs));
    Key[] keys = root.split(4);
    for (int i = 0; i < 4; i++) {
      Module<Tensor, Tensor> one = member(keys[i], example);
      assertArrayEquals(
          ((Tensor) one.variables().get("w")).toDoubleArray(),
          row((Tensor) ensemble.variables().get("w"), i).toDoubleArray(),
          1e-12,
          "member " + i + " has the weights of split key " + i);
      assertArrayEquals(
          one.call(x).toDoubleArray(), row(outs, i).toDoubleArray(), 1e-12, "member " + i);
      assertArrayEquals(
          one.call(row(xs, i)).toDoubleArray(),
          row(paired, i).toDoubleArray(),
          1e-12,
          "member " + i + " on its own batch");
    }
    assertTrue(
        row((Tensor) ensemble.variables().get("w"), 0)
                .sub(row((Tensor) ensemble.variables().get("w"), 1))
                .pow(2.0)
                .sum()
                .item()
            > 1e-3,
        "members differ");
  }

  /** Running mean of the inputs, reduced over the vmap axis named "batch". */
  record RunningMean(Tensor mean, Tensor count) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      Tensor batchMean = Ops.pmean(x, "batch");
      State.assign("mean", mean.mul(0.5).add(batchMean.mul(0.5)));
      State.assign("count", count.add(1.0));
      return x.sub(batchMean);
    }
  }

  @Test
  void vmapOfUpdateWithUnbatchedStateReducesWithACollective() {
    RunningMean m = new RunningMean(Tensor.zeros(2).astype(DType.F64), Tensor.scalar(0));
    Tensor xs = Tensor.fromArray(new double[] {1, 10, 3, 20, 5, 60}, 3, 2);
    Function<Tensor, Module<Tensor, Tensor>> update = m::update;
    RunningMean next = (RunningMean) Arbor.vmap(update, 0, null, "batch").apply(xs);
    assertArrayEquals(new double[] {1.5, 15}, next.mean().toDoubleArray(), 1e-12);
    assertEquals(1.0, next.count().item());
    RunningMean twice = (RunningMean) Arbor.vmap(update, 0, null, "batch").apply(xs);
    assertArrayEquals(next.mean().toDoubleArray(), twice.mean().toDoubleArray(), 0);
    RunningMean third =
        (RunningMean) Arbor.vmap((Tensor x) -> next.update(x), 0, null, "batch").apply(xs);
    assertArrayEquals(new double[] {2.25, 22.5}, third.mean().toDoubleArray(), 1e-12);

    // output and state together: the output mapped (axis 0), the module not (null)
    Updated<Tensor, Module<Tensor, Tensor>> both =
        Arbor.vmap((Tensor x) -> m.callAndUpdate(x), 0, Arrays.asList(0, null), "batch").apply(xs);
    assertArrayEquals(new int[] {3, 2}, both.output().shape().dims());
    assertArrayEquals(new double[] {-2, -20, 0, -10, 2, 30}, both.output().toDoubleArray(), 1e-12);
    assertArrayEquals(
        new double[] {1.5, 15}, ((RunningMean) both.module()).mean().toDoubleArray(), 1e-12);
  }

  @Test
  void vmapOfUpdateFailsClearlyWhenTheStateStaysBatched() {
    record PerExample(Tensor calls) implements Module<Tensor, Tensor> {
      @Override
      public Tensor call(Tensor x) {
        State.assign("calls", calls.add(x.sum()));
        return x;
      }
    }
    PerExample p = new PerExample(zero());
    Function<Tensor, Module<Tensor, Tensor>> update = p::update;
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Arbor.vmap(update, 0, null, "batch").apply(random(3, 2)));
    assertTrue(e.getMessage().contains("calls"), e.getMessage());
    assertTrue(e.getMessage().contains("collective"), e.getMessage());
    // with an out axis the batched state is fine: one updated module per example
    PerExample each = (PerExample) Arbor.vmap(update).apply(Tensor.of(1.0, 2.0, 3.0).reshape(3, 1));
    assertArrayEquals(new double[] {1, 2, 3}, each.calls().toDoubleArray(), 1e-12);
  }

  // ------------------------------------------------------------------ spec

  @Test
  void specGivesOutputShapesWithoutValues() {
    Mlp m = new Mlp(new Dense(random(3, 4), random(4)), new Dense(random(4, 2), random(2)));
    Object out = State.spec(m::call, ArraySpec.of(DType.F64, 32, 3));
    assertEquals(ArraySpec.of(DType.F64, 32, 2), out);
    // the state after an update: its leaves as specs (a record with Tensor components cannot
    // hold ArraySpecs, so take the leaves; a functional module's variables can)
    CountingDense c = new CountingDense(new Dense(random(3, 2), random(2)), zero());
    Object leaves =
        State.spec((Tensor x) -> Trees.leaves(c.update(x)), ArraySpec.of(DType.F64, 7, 3));
    assertEquals(
        List.of(ArraySpec.of(DType.F64, 3, 2), ArraySpec.of(DType.F64, 2), ArraySpec.of(DType.F32)),
        leaves);
    Tensor x = Tensor.fromArray(new double[] {1, 2, -1, 0.5, 0, 1}, 3, 2);
    Function<Tensor, Module<Tensor, Tensor>> update = functionalDense(x)::update;
    Module<?, ?> specs = (Module<?, ?>) State.spec(update, ArraySpec.of(DType.F64, 9, 2));
    assertEquals(ArraySpec.of(DType.F64, 1), specs.variables().get("scale"));
    assertEquals(
        ArraySpec.of(DType.F64, 2, 2),
        ((Module<?, ?>) specs.variables().get("layer")).variables().get("w"));
  }

  @Test
  void specOfAStatefulFunctionUsesTheInitialValues() {
    StatefulFn<Tensor, Tensor> f =
        (x, key) -> {
          Tensor w = State.variable("w", Tensor.zeros(4, 3).astype(DType.F64));
          return x.matmul(w);
        };
    assertEquals(ArraySpec.of(DType.F64, 8, 3), State.spec(f, ArraySpec.of(DType.F64, 8, 4)));
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> State.spec(f, ArraySpec.of(DType.F64, 8, 5)));
    assertTrue(e.getMessage().contains("matmul"), e.getMessage());
  }
}
