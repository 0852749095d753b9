package dev.arbor.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.transform.ad.Ad;
import dev.arbor.transform.batching.BatchTrace;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Numerical checks of a function's transformation rules, on flat lists of F64 tensors: JVP against
 * central finite differences, VJP against JVP ({@code <vjp(u), v> == <u, jvp(v)>}), and vmap
 * against a loop over the batch. Used by the table-driven primitive tests.
 */
public final class RuleChecks {
  private RuleChecks() {}

  /** Random F64 values in [-1, 1) (or [lo, hi)) of the given shape. */
  public static Tensor random(Random rng, double lo, double hi, int... dims) {
    long n = 1;
    for (int d : dims) {
      n *= d;
    }
    double[] v = new double[(int) n];
    for (int k = 0; k < v.length; k++) {
      v[k] = lo + (hi - lo) * rng.nextDouble();
    }
    return Tensor.fromArray(v, dims);
  }

  static Tensor randomLike(Random rng, Tensor x) {
    return random(rng, -1, 1, x.shape().dims());
  }

  static double dot(Tensor a, Tensor b) {
    double[] x = a.toDoubleArray();
    double[] y = b.toDoubleArray();
    double s = 0;
    for (int k = 0; k < x.length; k++) {
      s += x[k] * y[k];
    }
    return s;
  }

  static Tensor axpy(double a, Tensor x, Tensor y) {
    double[] xs = x.toDoubleArray();
    double[] ys = y.toDoubleArray();
    double[] r = new double[xs.length];
    for (int k = 0; k < r.length; k++) {
      r[k] = a * xs[k] + ys[k];
    }
    return Tensor.fromArray(r, x.shape().dims());
  }

  /** JVP of {@code f} at {@code xs} against central differences, for random tangents. */
  public static void checkJvp(
      String name, Function<List<Tensor>, List<Tensor>> f, List<Tensor> xs, double tol) {
    Random rng = new Random(name.hashCode());
    List<Tensor> ts = new ArrayList<>();
    for (Tensor x : xs) {
      ts.add(
          x.dtype() == DType.F64
              ? randomLike(rng, x)
              : Tensor.full(0, x.dtype(), x.shape().dims()));
    }
    Ad.JvpOut out = Ad.jvp(f, xs, ts, "jvp " + name);
    double eps = 1e-6;
    List<Tensor> plus = new ArrayList<>();
    List<Tensor> minus = new ArrayList<>();
    for (int k = 0; k < xs.size(); k++) {
      Tensor x = xs.get(k);
      plus.add(x.dtype() == DType.F64 ? axpy(eps, ts.get(k), x) : x);
      minus.add(x.dtype() == DType.F64 ? axpy(-eps, ts.get(k), x) : x);
    }
    List<Tensor> fp = f.apply(plus);
    List<Tensor> fm = f.apply(minus);
    for (int o = 0; o < fp.size(); o++) {
      if (fp.get(o).dtype() != DType.F64) {
        continue;
      }
      double[] a = fp.get(o).toDoubleArray();
      double[] b = fm.get(o).toDoubleArray();
      double[] t = out.tangents().get(o).toDoubleArray();
      for (int k = 0; k < a.length; k++) {
        double fd = (a[k] - b[k]) / (2 * eps);
        assertEquals(
            fd, t[k], tol * Math.max(1, Math.abs(fd)), name + ": tangent " + o + "[" + k + "]");
      }
    }
  }

  /** {@code <vjp(u), v> == <u, jvp(v)>} for random u, v. */
  public static void checkVjp(
      String name, Function<List<Tensor>, List<Tensor>> f, List<Tensor> xs, double tol) {
    Random rng = new Random(name.hashCode() * 31L);
    List<Tensor> vs = new ArrayList<>();
    for (Tensor x : xs) {
      vs.add(
          x.dtype() == DType.F64
              ? randomLike(rng, x)
              : Tensor.full(0, x.dtype(), x.shape().dims()));
    }
    Ad.JvpOut jv = Ad.jvp(f, xs, vs, "jvp " + name);
    Ad.Linearized lin = Ad.linearize(f, xs, "vjp " + name);
    List<Tensor> us = new ArrayList<>();
    for (Tensor y : lin.primals()) {
      us.add(y.dtype() == DType.F64 ? randomLike(rng, y) : null);
    }
    List<Tensor> cts = lin.transpose(us);
    double lhs = 0;
    for (int k = 0; k < xs.size(); k++) {
      if (xs.get(k).dtype() == DType.F64) {
        // A transpose rule that returns the right values in the wrong shape must not pass.
        assertEquals(xs.get(k).shape(), cts.get(k).shape(), name + ": shape of cotangent " + k);
        lhs += dot(cts.get(k), vs.get(k));
      }
    }
    double rhs = 0;
    for (int o = 0; o < us.size(); o++) {
      if (us.get(o) != null) {
        rhs += dot(us.get(o), jv.tangents().get(o));
      }
    }
    assertEquals(rhs, lhs, tol * Math.max(1, Math.abs(rhs)), name + ": <vjp(u),v> vs <u,jvp(v)>");
  }

  /**
   * vmap of {@code f} over axis {@code inDims[i]} of each batched input (-1 = not batched) equals a
   * loop over the batch; outputs are compared with their batch axis moved to 0.
   */
  public static void checkVmap(
      String name,
      Function<List<Tensor>, List<Tensor>> f,
      List<Tensor> batchedXs,
      int[] inDims,
      double tol) {
    int size = -1;
    for (int k = 0; k < inDims.length; k++) {
      if (inDims[k] >= 0) {
        size = batchedXs.get(k).shape().dim(inDims[k]);
      }
    }
    assertTrue(size >= 0, "at least one input must be batched");
    BatchTrace trace = new BatchTrace("vmap " + name, null, size);
    List<Tensor> outs = new ArrayList<>();
    try {
      List<Tensor> in = new ArrayList<>();
      for (int k = 0; k < batchedXs.size(); k++) {
        in.add(trace.tracer(batchedXs.get(k), inDims[k]));
      }
      for (Tensor o : f.apply(in)) {
        var b = trace.unwrap(o);
        Tensor v = b.outputs().get(0);
        int d = b.dims()[0];
        outs.add(d < 0 ? v : dev.arbor.core.primitives.Structural.moveAxis(v, d, 0));
        if (d < 0) {
          outs.set(outs.size() - 1, null);
        }
      }
    } finally {
      trace.end();
    }
    for (int i = 0; i < size; i++) {
      List<Tensor> slice = new ArrayList<>();
      for (int k = 0; k < batchedXs.size(); k++) {
        slice.add(inDims[k] < 0 ? batchedXs.get(k) : Slicing.index(batchedXs.get(k), inDims[k], i));
      }
      List<Tensor> expected = f.apply(slice);
      for (int o = 0; o < expected.size(); o++) {
        double[] e = expected.get(o).toDoubleArray();
        double[] got = outs.get(o) == null ? e : Slicing.index(outs.get(o), 0, i).toDoubleArray();
        for (int k = 0; k < e.length; k++) {
          assertEquals(
              e[k],
              got[k],
              tol * Math.max(1, Math.abs(e[k])),
              name + ": vmap output " + o + " at batch " + i);
        }
      }
    }
  }
}
