package dev.arbor.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.HostArray;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.testkit.PrimitiveCases.Case;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance suite every backend passes: subclass it in the backend's tests and return the
 * backend's name from {@link #backendName()}.
 *
 * <pre>{@code
 * class CpuConformanceTest extends BackendConformanceSuite {
 *   @Override protected String backendName() { return "cpu-simd"; }
 * }
 * }</pre>
 *
 * <p>It checks, against the reference backend: every core primitive on the {@link PrimitiveCases}
 * table (with {@link Tolerance}'s documented tolerances); value, gradient and vmapped per-example
 * gradients of a small MLP in F32 and F64; and random programs (chains of elementwise ops,
 * broadcasting, reductions, matmuls with transposed operands, selects) generated from seeds. The
 * tests switch the default backend while they run and restore it after; run them sequentially.
 */
public abstract class BackendConformanceSuite {
  /** For subclasses. */
  protected BackendConformanceSuite() {}

  /** The backend under test, as registered ({@code Backends.get(name)}). */
  protected abstract String backendName();

  /** Seed of the primitive case table. */
  protected long seed() {
    return 20261125L;
  }

  private Backend backend() {
    return Backends.get(backendName());
  }

  private static Backend reference() {
    return Backends.get("reference");
  }

  // ------------------------------------------------------------------ primitives

  @TestFactory
  Stream<DynamicTest> everyPrimitiveMatchesTheReference() {
    return PrimitiveCases.all(seed()).stream()
        .map(c -> DynamicTest.dynamicTest(c.name(), () -> checkCase(c)));
  }

  private void checkCase(Case c) {
    Backend b = backend();
    List<HostArray> got = runOn(b, c);
    List<HostArray> want = runOn(reference(), c);
    List<HostArray> scale = null;
    Tolerance tol =
        Tolerance.of(c.kind(), c.inputs().isEmpty() ? DType.F64 : c.inputs().get(0).dtype());
    if (tol.magnitudeScaled()) {
      List<HostArray> abs = new ArrayList<>();
      for (HostArray h : c.inputs()) {
        abs.add(abs(h));
      }
      scale = run(reference(), c, abs);
    }
    assertEquals(want.size(), got.size(), "number of results");
    for (int k = 0; k < want.size(); k++) {
      String msg = tol.check(got.get(k), want.get(k), scale == null ? null : scale.get(k));
      int at = k;
      assertNull(msg, () -> c.name() + " on " + b.name() + ", result " + at + ": " + msg);
    }
  }

  /** A case with no operands (iota) binds on the default backend: make it {@code b}. */
  private List<HostArray> runOn(Backend b, Case c) {
    return c.inputs().isEmpty()
        ? onBackend(b.name(), () -> run(b, c, c.inputs()))
        : run(b, c, c.inputs());
  }

  private static List<HostArray> run(Backend b, Case c, List<HostArray> inputs) {
    // The reference backend's buffers are the HostArrays themselves, and a tensor's Cleaner
    // releases its buffer once the tensor is unreachable: upload copies of the case's inputs and
    // copy the results while the result tensors are still reachable.
    List<Tensor> in = new ArrayList<>();
    for (HostArray h : inputs) {
      in.add(ConcreteTensor.wrap(b, b.upload(copy(h)), h.aval()));
    }
    List<Tensor> out = c.primitive().bind(in, c.params());
    List<HostArray> r = new ArrayList<>();
    for (Tensor t : out) {
      ConcreteTensor ct = (ConcreteTensor) t;
      assertEquals(b, ct.backend(), "the result must stay on the operands' backend");
      r.add(copy(ct.host()));
    }
    java.lang.ref.Reference.reachabilityFence(out);
    java.lang.ref.Reference.reachabilityFence(in);
    return r;
  }

  private static HostArray copy(HostArray h) {
    return h.dtype().isFloating()
        ? HostArray.ofDoubles(h.aval(), h.toDoubles())
        : HostArray.ofLongs(h.aval(), h.toLongs());
  }

  private static HostArray abs(HostArray h) {
    HostArray r = HostArray.zeros(h.aval());
    for (int i = 0; i < h.size(); i++) {
      if (h.dtype().isFloating()) {
        r.setDouble(i, Math.abs(h.getDouble(i)));
      } else {
        r.setLong(i, Math.abs(h.getLong(i)));
      }
    }
    return r;
  }

  // ------------------------------------------------------------------ MLP: grad and vmap

  /** A two-layer MLP's mean squared error; {@code p} = [w1, b1, w2, b2], {@code d} = [x, y]. */
  static Tensor mlpLoss(List<Tensor> p, List<Tensor> d) {
    Tensor h = Ops.tanh(Ops.add(Ops.matmul(d.get(0), p.get(0)), p.get(1)));
    Tensor out = Ops.add(Ops.matmul(h, p.get(2)), p.get(3));
    Tensor err = Ops.sub(out, d.get(1));
    return Ops.mean(Ops.mul(err, err));
  }

  private <T> T onBackend(String name, Supplier<T> body) {
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(name);
    try {
      return body.get();
    } finally {
      Backends.setDefault(prev.name());
    }
  }

  private static Tensor tensor(Random r, DType t, int... dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian() * 0.7;
    }
    return t == DType.F64 ? Tensor.fromArray(v, dims) : Ops.astype(Tensor.fromArray(v, dims), t);
  }

  /** Value, gradient and per-example gradients (vmap of grad) of the MLP, flattened. */
  private static List<double[]> mlpResults(DType t) {
    Random r = new Random(7);
    List<Tensor> p =
        List.of(tensor(r, t, 5, 16), tensor(r, t, 16), tensor(r, t, 16, 3), tensor(r, t, 3));
    List<Tensor> d = List.of(tensor(r, t, 9, 5), tensor(r, t, 9, 3));
    List<double[]> res = new ArrayList<>();
    res.add(mlpLoss(p, d).toDoubleArray());
    List<Tensor> g = Arbor.grad(BackendConformanceSuite::mlpLoss).apply(p, d);
    for (Tensor x : g) {
      res.add(x.toDoubleArray());
    }
    Function<List<Tensor>, List<Tensor>> perExample =
        Arbor.vmap(
            (List<Tensor> ex) ->
                Arbor.grad(
                        (List<Tensor> q) ->
                            mlpLoss(
                                q,
                                List.of(
                                    Ops.reshape(ex.get(0), 1, 5), Ops.reshape(ex.get(1), 1, 3))))
                    .apply(p));
    for (Tensor x : perExample.apply(d)) {
      res.add(x.toDoubleArray());
    }
    return res;
  }

  @Test
  void mlpValueGradAndPerExampleGradsMatchTheReferenceF32() {
    compareMlp(DType.F32, 1e-4);
  }

  @Test
  void mlpValueGradAndPerExampleGradsMatchTheReferenceF64() {
    compareMlp(DType.F64, 1e-11);
  }

  private void compareMlp(DType t, double rtol) {
    List<double[]> got = onBackend(backendName(), () -> mlpResults(t));
    List<double[]> want = onBackend("reference", () -> mlpResults(t));
    assertEquals(want.size(), got.size());
    for (int k = 0; k < want.size(); k++) {
      assertClose(want.get(k), got.get(k), rtol, "MLP result " + k + " (" + t.shortName() + ")");
    }
  }

  private static void assertClose(double[] want, double[] got, double rtol, String what) {
    assertEquals(want.length, got.length, what + ": length");
    double scale = 0;
    for (double w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    for (int i = 0; i < want.length; i++) {
      double diff = Math.abs(want[i] - got[i]);
      int at = i;
      assertTrue(
          diff <= rtol * Math.max(scale, 1e-3),
          () -> what + " element " + at + ": got " + got[at] + ", expected " + want[at]);
    }
  }

  // ------------------------------------------------------------------ random programs

  /**
   * A random program from {@code seed}: 12 steps over [13, 37] values, each step picking an op and
   * operands with the seeded generator, so both backends run the same program.
   */
  static List<Tensor> randomProgram(long seed, List<Tensor> inputs) {
    Random r = new Random(seed);
    List<Tensor> vals = new ArrayList<>(inputs.subList(0, 2));
    Tensor w = inputs.get(2); // [37, 37]
    for (int step = 0; step < 12; step++) {
      Tensor v = vals.get(r.nextInt(vals.size()));
      Tensor u = vals.get(r.nextInt(vals.size()));
      Tensor next =
          switch (r.nextInt(12)) {
            case 0 -> Ops.tanh(v);
            case 1 -> Ops.sin(v);
            case 2 -> Ops.exp(Ops.tanh(v));
            case 3 -> Ops.add(v, u);
            case 4 -> Ops.mul(v, u);
            case 5 -> Ops.sub(v, u);
            case 6 -> Ops.maximum(v, u);
            case 7 -> Ops.tanh(Ops.matmul(v, w).mul(0.2));
            case 8 -> Ops.sub(v, Ops.reshape(Ops.mean(v, 1), 13, 1));
            case 9 -> Ops.tanh(Ops.matmul(v, Ops.matmul(Ops.transpose(u, 1, 0), u)).mul(0.01));
            case 10 -> Ops.where(Elementwise.gt(v, u), v, u.mul(0.5));
            default -> Ops.div(v, Ops.add(Ops.mul(v, v), Ops.weak(1.0, v)));
          };
      vals.add(next);
    }
    Tensor total = Ops.sum(vals.getLast());
    List<Tensor> out = new ArrayList<>(vals.subList(2, vals.size()));
    out.add(total);
    return out;
  }

  @TestFactory
  Stream<DynamicTest> randomProgramsMatchTheReference() {
    return Stream.iterate(0L, s -> s + 1)
        .limit(24)
        .map(
            seed ->
                DynamicTest.dynamicTest(
                    "program " + seed,
                    () -> {
                      DType t = seed % 2 == 0 ? DType.F32 : DType.F64;
                      List<double[]> got = onBackend(backendName(), () -> runProgram(seed, t));
                      List<double[]> want = onBackend("reference", () -> runProgram(seed, t));
                      double rtol = t == DType.F32 ? 2e-4 : 1e-10;
                      int last = want.size() - 1;
                      for (int k = 0; k < last; k++) {
                        assertClose(
                            want.get(k), got.get(k), rtol, "program " + seed + " value " + k);
                      }
                      // The total is checked against the sum of magnitudes (cancellation).
                      double mag = 0;
                      for (double v : want.get(last - 1)) {
                        mag += Math.abs(v);
                      }
                      double g = got.get(last)[0];
                      double w = want.get(last)[0];
                      assertTrue(
                          Math.abs(g - w) <= rtol * Math.max(mag, 1e-3),
                          () -> "program " + seed + " total: got " + g + ", expected " + w);
                    }));
  }

  private static List<double[]> runProgram(long seed, DType t) {
    Random r = new Random(1000 + seed);
    List<Tensor> inputs = List.of(tensor(r, t, 13, 37), tensor(r, t, 13, 37), tensor(r, t, 37, 37));
    List<double[]> res = new ArrayList<>();
    for (Tensor x : randomProgram(seed, inputs)) {
      res.add(x.toDoubleArray());
    }
    return res;
  }
}
