package dev.arbor.transform.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Structural;
import dev.arbor.testing.RuleChecks;
import dev.arbor.transform.ad.Ad;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class GraphPassesTest {
  static final AbstractValue F64_3 = AbstractValue.of(DType.F64, 3);

  static Graph stage(Function<List<Tensor>, List<Tensor>> f, AbstractValue... inputs) {
    return Jit.makeGraph(f, List.of(inputs));
  }

  static Equation eq(Primitive p, Params params, Var out, Var... in) {
    return new Equation(p, List.of(in), params, List.of(out));
  }

  // ------------------------------------------------------------------ dead code

  @Test
  void deadCodeDropsUnusedEquationsAndConstants() {
    Tensor w = Tensor.of(1.0, 2.0, 3.0);
    Graph g =
        stage(
            l -> {
              Ops.sin(l.get(0)); // result dropped
              l.get(0).mul(w); // uses the constant, result dropped
              return List.of(Ops.cos(l.get(0)));
            },
            F64_3);
    assertEquals(
        """
        { lambda a:f64[3]; b:f64[3]. let
            c:f64[3] = sin b
            d:f64[3] = mul b a
            e:f64[3] = cos b
          in (e) }""",
        g.toString());
    Graph d = DeadCode.eliminate(g);
    assertEquals(
        """
        { lambda ; a:f64[3]. let
            b:f64[3] = cos a
          in (b) }""",
        d.toString());
    assertSame(d, DeadCode.eliminate(d), "nothing left to remove: the same graph");
  }

  // ------------------------------------------------------------------ common subexpressions

  @Test
  void cseMergesEqualEquationsAndEqualConstants() {
    Graph g =
        stage(
            l -> {
              Tensor x = l.get(0);
              // Each mul(2.0) captures its own scalar constant (equal in contents) and stages its
              // broadcast (omnistaging).
              return List.of(Ops.sin(x).add(Ops.sin(x)), x.mul(2.0).add(x.mul(2.0)));
            },
            F64_3);
    assertEquals(
        """
        { lambda a:f64[] b:f64[]; c:f64[3]. let
            d:f64[3] = sin c
            e:f64[3] = sin c
            f:f64[3] = add d e
            g:f64[3] = broadcast_in_dim[shape=[3] dims=[]] a
            h:f64[3] = mul c g
            i:f64[3] = broadcast_in_dim[shape=[3] dims=[]] b
            j:f64[3] = mul c i
            k:f64[3] = add h j
          in (f, k) }""",
        g.toString());
    Graph c = CommonSubexpressions.eliminate(g);
    assertEquals(
        """
        { lambda a:f64[]; b:f64[3]. let
            c:f64[3] = sin b
            d:f64[3] = add c c
            e:f64[3] = broadcast_in_dim[shape=[3] dims=[]] a
            f:f64[3] = mul b e
            g:f64[3] = add f f
          in (d, g) }""",
        c.toString());
    Tensor x = Tensor.of(0.5, -1.0, 2.0);
    assertArrayEquals(
        g.evaluate(List.of(x)).get(1).toDoubleArray(),
        c.evaluate(List.of(x)).get(1).toDoubleArray());
  }

  @Test
  void cseKeepsDifferentParamsAndDifferentConstants() {
    Graph g =
        stage(
            l -> {
              Tensor x = l.get(0);
              return List.of(
                  x.sum(0), x.sum(1), x.mul(Tensor.of(1.0, 2.0)), x.mul(Tensor.of(1.0, -2.0)));
            },
            AbstractValue.of(DType.F64, 2, 2));
    Graph c = CommonSubexpressions.eliminate(g);
    assertSame(g, c, "nothing is equal: the same graph comes back\n" + c);
  }

  // ------------------------------------------------------------------ constant folding

  @Test
  void constantFoldingEvaluatesConstantEquationsOnce() {
    Var x = new Var(F64_3);
    Var c1 = new Var(F64_3);
    Var c2 = new Var(F64_3);
    Var t = new Var(F64_3);
    Var u = new Var(F64_3);
    Var y = new Var(F64_3);
    Graph g =
        new Graph(
            List.of(x),
            List.of(c1, c2),
            List.of(Tensor.of(1.0, 2.0, 3.0), Tensor.of(4.0, 5.0, 6.0)),
            List.of(
                eq(Elementwise.MUL, Params.EMPTY, t, c1, c2),
                eq(Elementwise.NEG, Params.EMPTY, u, t),
                eq(Elementwise.ADD, Params.EMPTY, y, x, u)),
            List.of(y));
    Graph folded = ConstantFolding.fold(g, 1000);
    assertEquals(
        """
        { lambda a:f64[3] b:f64[3] c:f64[3] d:f64[3]; e:f64[3]. let
            f:f64[3] = add e d
          in (f) }""",
        folded.toString());
    Graph clean = DeadCode.eliminate(folded);
    assertEquals(
        """
        { lambda a:f64[3]; b:f64[3]. let
            c:f64[3] = add b a
          in (c) }""",
        clean.toString());
    assertArrayEquals(new double[] {-4, -10, -18}, clean.constValues().get(0).toDoubleArray(), 0.0);
    Tensor in = Tensor.of(1.0, 1.0, 1.0);
    assertArrayEquals(
        g.evaluate(List.of(in)).get(0).toDoubleArray(),
        clean.evaluate(List.of(in)).get(0).toDoubleArray(),
        0.0);
  }

  @Test
  void constantFoldingRespectsTheSizeLimit() {
    Var c = new Var(AbstractValue.of(DType.F64));
    Var big = new Var(AbstractValue.of(DType.F64, 4, 4));
    Graph g =
        new Graph(
            List.of(),
            List.of(c),
            List.of(Tensor.scalar(3.0, DType.F64)),
            List.of(
                eq(
                    Structural.BROADCAST_IN_DIM,
                    Params.of("shape", new int[] {4, 4}, "dims", new int[0]),
                    big,
                    c)),
            List.of(big));
    assertSame(g, ConstantFolding.fold(g, 15), "16 elements exceed the limit of 15");
    Graph folded = DeadCode.eliminate(ConstantFolding.fold(g, 16));
    assertTrue(folded.equations().isEmpty(), folded.toString());
    assertEquals(AbstractValue.of(DType.F64, 4, 4), folded.constVars().get(0).aval());
  }

  @Test
  void constantFoldingLeavesFailingEquationsToRunTime() {
    AbstractValue i32 = AbstractValue.of(DType.I32, 1);
    Var a = new Var(i32);
    Var b = new Var(i32);
    Var q = new Var(i32);
    Graph g =
        new Graph(
            List.of(),
            List.of(a, b),
            List.of(Tensor.of(1), Tensor.of(0)),
            List.of(eq(Elementwise.DIV, Params.EMPTY, q, a, b)),
            List.of(q));
    assertSame(g, ConstantFolding.fold(g, 1000));
  }

  // ------------------------------------------------------------------ fusion

  @Test
  void fusionGroupsBroadcastElementwiseChainAndTrailingReduction() {
    Graph g =
        stage(
            l -> List.of(Ops.sum(Ops.tanh(l.get(0).mul(l.get(0)).add(l.get(1))))),
            AbstractValue.of(DType.F32, 2, 3),
            AbstractValue.of(DType.F32, 3));
    Graph f = Fusion.cluster(g);
    assertEquals(
        """
        { lambda ; a:f32[2,3] b:f32[3]. let
            c:f32[] = fused[graph={ lambda ; a:f32[2,3] b:f32[3]. let
                c:f32[2,3] = mul a a
                d:f32[2,3] = broadcast_in_dim[shape=[2,3] dims=[1]] b
                e:f32[2,3] = add c d
                f:f32[2,3] = tanh e
                g:f32[] = reduce_sum[axes=[0,1]] f
              in (g) }] a b
          in (c) }""",
        f.toString());
    assertEquals(Primitive.Kind.OTHER, Fused.FUSED.kind());
    assertFusedEqualsUnfused(g, f);
  }

  @Test
  void fusionMergesDiamondsAndExportsValuesUsedOutside() {
    Graph g =
        stage(
            l -> {
              Tensor x = l.get(0);
              Tensor a = Ops.exp(x);
              Tensor b = Ops.sin(a).add(Ops.cos(a));
              return List.of(Ops.tanh(b), a.transpose(1, 0));
            },
            AbstractValue.of(DType.F64, 2, 2));
    Graph f = Fusion.cluster(g);
    assertEquals(
        """
        { lambda ; a:f64[2,2]. let
            b:f64[2,2] c:f64[2,2] = fused[graph={ lambda ; a:f64[2,2]. let
                b:f64[2,2] = exp a
                c:f64[2,2] = sin b
                d:f64[2,2] = cos b
                e:f64[2,2] = add c d
                f:f64[2,2] = tanh e
              in (b, f) }] a
            d:f64[2,2] = transpose[perm=[1,0]] b
          in (c, d) }""",
        f.toString());
    assertFusedEqualsUnfused(g, f);
  }

  @Test
  void fusionSplitsAtOtherPrimitivesAndNeverBuildsCycles() {
    Graph g =
        stage(
            l -> {
              Tensor a = Ops.sin(Ops.exp(l.get(0)));
              Tensor t = a.transpose(1, 0); // reads the first cluster: it must come first
              return List.of(Ops.tanh(a.add(t)));
            },
            AbstractValue.of(DType.F64, 2, 2));
    Graph f = Fusion.cluster(g);
    assertEquals(
        """
        { lambda ; a:f64[2,2]. let
            b:f64[2,2] = fused[graph={ lambda ; a:f64[2,2]. let
                b:f64[2,2] = exp a
                c:f64[2,2] = sin b
              in (c) }] a
            c:f64[2,2] = transpose[perm=[1,0]] b
            d:f64[2,2] = fused[graph={ lambda ; a:f64[2,2] b:f64[2,2]. let
                c:f64[2,2] = add a b
                d:f64[2,2] = tanh c
              in (d) }] b c
          in (d) }""",
        f.toString());
    assertFusedEqualsUnfused(g, f);
  }

  @Test
  void fusionEndsClustersAtReductionsAndShapeChanges() {
    Graph g =
        stage(
            l -> {
              Tensor e = Ops.exp(l.get(0));
              Tensor s = Ops.sum(Ops.sin(e), 1); // [2]: a trailing reduction
              Tensor again = Ops.cos(e); // reads the closed cluster: starts a new one
              // tanh (shape [2]) is staged between cos and log; clusters are emitted pending-first
              return List.of(Ops.tanh(s), Ops.neg(Ops.log(again)));
            },
            AbstractValue.of(DType.F64, 2, 3));
    Graph f = Fusion.cluster(g);
    assertEquals(
        """
        { lambda ; a:f64[2,3]. let
            b:f64[2,3] c:f64[2] = fused[graph={ lambda ; a:f64[2,3]. let
                b:f64[2,3] = exp a
                c:f64[2,3] = sin b
                d:f64[2] = reduce_sum[axes=[1]] c
              in (b, d) }] a
            d:f64[2,3] = fused[graph={ lambda ; a:f64[2,3]. let
                b:f64[2,3] = cos a
                c:f64[2,3] = log b
                d:f64[2,3] = neg c
              in (d) }] b
            e:f64[2] = tanh c
          in (e, d) }""",
        f.toString());
    assertFusedEqualsUnfused(g, f);
  }

  @Test
  void fusionLeavesSingletonsAndInlineUndoesIt() {
    Graph single =
        stage(l -> List.of(Ops.exp(l.get(0)).matmul(l.get(0))), AbstractValue.of(DType.F64, 2, 2));
    assertSame(single, Fusion.cluster(single));
    Graph g =
        stage(
            l -> List.of(Ops.tanh(Ops.exp(l.get(0))).matmul(Ops.sin(Ops.cos(l.get(0))))),
            AbstractValue.of(DType.F64, 2, 2));
    Graph f = Fusion.cluster(g);
    assertEquals(2, f.equations().stream().filter(e -> e.primitive() == Fused.FUSED).count());
    assertEquals(g.toString(), Fusion.inline(f).toString());
    assertFusedEqualsUnfused(g, f);
  }

  @Test
  void fusedGraphsAreNotTransformed() {
    Graph f = Fusion.cluster(stage(l -> List.of(Ops.tanh(Ops.exp(l.get(0)))), F64_3));
    Tensor x = Tensor.of(1.0, 2.0, 3.0);
    UnsupportedOperationException e =
        assertThrows(
            UnsupportedOperationException.class,
            () -> Ad.jvp(f::evaluate, List.of(x), List.of(x), "jvp of a fused graph"));
    assertTrue(e.getMessage().contains("no JVP rule for 'fused'"), e.getMessage());
  }

  @Test
  void fusedKernelReleasesItsIntermediates() {
    Graph g = stage(l -> List.of(Ops.tanh(Ops.exp(Ops.sin(l.get(0))))), F64_3);
    Graph sub = Fused.graphOf(Fusion.cluster(g).equations().get(0));
    HostArray in = ((ConcreteTensor) Tensor.of(1.0, 2.0, 3.0)).host();
    long before = HostArray.live();
    List<HostArray> out = Fused.interpret(sub, List.of(in));
    long after = HostArray.live();
    // Three arrays are made; only the output may stay (others' tensors may be collected meanwhile).
    assertTrue(after - before <= 1, "live buffers grew by " + (after - before));
    assertArrayEquals(
        g.evaluate(List.of(Tensor.of(1.0, 2.0, 3.0))).get(0).toDoubleArray(),
        out.get(0).toDoubles(),
        0.0);
  }

  /** Fused and unfused graphs give bit-identical results on random inputs. */
  static void assertFusedEqualsUnfused(Graph unfused, Graph fused) {
    Random rng = new Random(7);
    List<Tensor> in = new ArrayList<>();
    for (Var v : unfused.inputs()) {
      Tensor r = RuleChecks.random(rng, 0.1, 1, v.aval().shape().dims());
      in.add(v.aval().dtype() == DType.F64 ? r : r.astype(v.aval().dtype()));
    }
    List<Tensor> a = unfused.evaluate(in);
    List<Tensor> b = fused.evaluate(in);
    assertEquals(a.size(), b.size());
    for (int k = 0; k < a.size(); k++) {
      assertEquals(a.get(k).shape(), b.get(k).shape());
      assertArrayEquals(a.get(k).toDoubleArray(), b.get(k).toDoubleArray(), 0.0, "output " + k);
    }
  }
}
