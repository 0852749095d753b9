package dev.arbor.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.arbor.Arbor;
import dev.arbor.ScanResult;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.testing.RuleChecks;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Collectives inside control flow under a named vmap: the control-flow primitive's batching rule
 * runs its body under a trace of the same axis, so {@code psum(x, "b")} in a scan body reduces over
 * the vmapped axis exactly as the same code without control flow does (the oracle: the loop
 * unrolled in Java, the cond written with {@code where}).
 */
class CollectivesInControlFlowTest {
  private static final Random RNG = new Random(7);
  private final Tensor xs = RuleChecks.random(RNG, -1, 1, 3, 2);

  private static Tensor vmapB(Function<Tensor, Tensor> f, Tensor x) {
    return Arbor.vmap(f, 0, 0, "b").apply(x);
  }

  private static void same(Tensor expected, Tensor actual) {
    assertArrayEquals(expected.shape().dims(), actual.shape().dims());
    assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray(), 1e-12);
  }

  private static Tensor step(Tensor c) {
    return c.sub(Ops.pmean(c, "b")).mul(c).add(Ops.psum(c, "b"));
  }

  @Test
  void foriAndScanBodiesReduceOverTheVmappedAxis() {
    Tensor unrolled = vmapB(x -> step(step(step(x))), xs);
    same(unrolled, vmapB(x -> Arbor.fori(0, 3, (i, c) -> step(c), x), xs));
    Tensor seqs = RuleChecks.random(RNG, -1, 1, 3, 4, 2); // 3 examples, 4 steps each
    Function<Tensor, Tensor> scanned =
        s ->
            Arbor.scan(
                    (Tensor c, Tensor x) -> new ScanResult<>(step(c.add(x)), Ops.psum(x, "b")),
                    Tensor.full(0, DType.F64, 2),
                    s)
                .carry();
    Function<Tensor, Tensor> byHand =
        s -> {
          Tensor c = Tensor.full(0, DType.F64, 2);
          for (int t = 0; t < 4; t++) {
            c = step(c.add(Ops.squeeze(Ops.slice(s, 0, t, t + 1), 0)));
          }
          return c;
        };
    same(vmapB(byHand, seqs), vmapB(scanned, seqs));
  }

  @Test
  void condBranchesReduceOverTheVmappedAxisWithBatchedAndUnbatchedPredicates() {
    Tensor yes = Tensor.scalar(1, DType.BOOL);
    same(
        vmapB(CollectivesInControlFlowTest::step, xs),
        vmapB(x -> Arbor.cond(yes, CollectivesInControlFlowTest::step, Ops::sin, x), xs));
    // A predicate that differs per example: both branches run batched, then a select.
    Function<Tensor, Tensor> withCond =
        x ->
            Arbor.cond(
                Ops.greater(x.sum(), Tensor.scalar(0.0, DType.F64)),
                CollectivesInControlFlowTest::step,
                c -> Ops.pmax(c, "b").mul(c),
                x);
    Function<Tensor, Tensor> withWhere =
        x ->
            Ops.where(
                Ops.greater(x.sum(), Tensor.scalar(0.0, DType.F64)),
                step(x),
                Ops.pmax(x, "b").mul(x));
    same(vmapB(withWhere, xs), vmapB(withCond, xs));
  }

  @Test
  void whileLoopPredicateFromACollective() {
    Tensor pos = Ops.abs(xs).add(0.5);
    Function<Tensor, Tensor> loop =
        x ->
            Arbor.whileLoop(
                c -> Ops.less(Ops.psum(c, "b").sum(), Tensor.scalar(100.0, DType.F64)),
                c -> c.mul(2.0),
                x);
    Tensor total = pos.sum();
    int doublings = 0;
    while (total.item() * Math.pow(2, doublings) < 100) {
      doublings++;
    }
    same(pos.mul(Math.pow(2, doublings)), vmapB(loop, pos));
  }

  @Test
  void aLoopOverConstantsStillSeesTheAxis() {
    // The body does not depend on the batched input: the loop primitive is bound with concrete
    // operands, and the vmap trace claims it because its body uses a collective over "b".
    Function<Tensor, Tensor> f =
        x ->
            x.add(
                Arbor.fori(
                    0,
                    3,
                    (i, c) -> c.add(Ops.psum(Tensor.scalar(1.0, DType.F64), "b")),
                    Tensor.scalar(0.0, DType.F64)));
    same(xs.add(9.0), vmapB(f, xs));
  }

  @Test
  void anOuterAxisIsSeenThroughAnInnerUnnamedVmap() {
    Tensor cube = RuleChecks.random(RNG, -1, 1, 2, 3, 2);
    Function<Tensor, Tensor> inner =
        row ->
            Arbor.vmap((Tensor x) -> Arbor.fori(0, 2, (i, c) -> c.add(Ops.psum(x, "a")), x), 0, 0)
                .apply(row);
    Tensor expected = cube.add(Ops.sum(cube, 0).mul(2.0));
    same(expected, Arbor.vmap(inner, 0, 0, "a").apply(cube));
  }

  @Test
  void gradAndJitOfLoopsWithCollectivesMatchTheUnrolledCode() {
    Function<Tensor, Tensor> loopLoss = x -> Arbor.fori(0, 2, (i, c) -> step(c), x).sum();
    Function<Tensor, Tensor> unrolledLoss = x -> step(step(x)).sum();
    same(vmapB(Arbor.grad(unrolledLoss), xs), vmapB(Arbor.grad(loopLoss), xs));
    same(
        vmapB(Arbor.grad(unrolledLoss), xs),
        Arbor.jit(Arbor.vmap(Arbor.grad(loopLoss), 0, 0, "b")).apply(xs));
  }

  @Test
  void jitInsideVmapStagesCollectivesOfConstantsAndOperands() {
    Function<Tensor, Tensor> f = x -> step(x).add(Ops.psum(Tensor.scalar(1.0, DType.F64), "b"));
    same(vmapB(f, xs), vmapB(Arbor.jit(f), xs));
    same(vmapB(f, xs), vmapB(Arbor.jit(f), xs)); // the cached graph, evaluated under vmap
  }
}
