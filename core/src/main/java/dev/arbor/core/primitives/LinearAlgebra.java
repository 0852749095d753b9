package dev.arbor.core.primitives;

import static dev.arbor.core.primitives.Shapes.arity;

import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code dot_general}: a contraction with batch dimensions. Output axes are the batch axes (in lhs
 * order), then the lhs free axes, then the rhs free axes — as in XLA.
 */
public final class LinearAlgebra {
  private LinearAlgebra() {}

  /** The dimension numbers of a dot_general. */
  public record Dims(int[] lhsContract, int[] rhsContract, int[] lhsBatch, int[] rhsBatch) {
    public Dims {
      lhsContract = lhsContract.clone();
      rhsContract = rhsContract.clone();
      lhsBatch = lhsBatch.clone();
      rhsBatch = rhsBatch.clone();
    }

    static Dims of(Params p) {
      return new Dims(
          p.ints("lhs_contract"), p.ints("rhs_contract"), p.ints("lhs_batch"), p.ints("rhs_batch"));
    }

    Params params() {
      return Params.of(
          "lhs_contract",
          lhsContract,
          "rhs_contract",
          rhsContract,
          "lhs_batch",
          lhsBatch,
          "rhs_batch",
          rhsBatch);
    }
  }

  /** Axes of a rank-{@code rank} operand that are neither batch nor contracting, in order. */
  public static int[] free(int rank, int[] batch, int[] contract) {
    boolean[] used = new boolean[rank];
    for (int a : batch) {
      used[a] = true;
    }
    for (int a : contract) {
      used[a] = true;
    }
    int[] f = new int[rank - batch.length - contract.length];
    int j = 0;
    for (int a = 0; a < rank; a++) {
      if (!used[a]) {
        f[j++] = a;
      }
    }
    return f;
  }

  public static final Primitive DOT_GENERAL =
      Primitive.single("dot_general")
          .shapeRule(
              (in, p) -> {
                arity("dot_general", in, 2);
                AbstractValue x = in.get(0);
                AbstractValue y = in.get(1);
                Dims d = Dims.of(p);
                if (x.dtype() != y.dtype()) {
                  throw new IllegalArgumentException(
                      "'dot_general' needs operands of one dtype, got " + x + " and " + y);
                }
                if (d.lhsContract().length != d.rhsContract().length
                    || d.lhsBatch().length != d.rhsBatch().length) {
                  throw new IllegalArgumentException(
                      "'dot_general': lhs and rhs must name as many contracting and batch axes, got "
                          + d);
                }
                Shapes.axes("dot_general", x.shape(), concat(d.lhsContract(), d.lhsBatch()));
                Shapes.axes("dot_general", y.shape(), concat(d.rhsContract(), d.rhsBatch()));
                for (int k = 0; k < d.lhsContract().length; k++) {
                  check(x, y, d.lhsContract()[k], d.rhsContract()[k], "contracting");
                }
                for (int k = 0; k < d.lhsBatch().length; k++) {
                  check(x, y, d.lhsBatch()[k], d.rhsBatch()[k], "batch");
                }
                List<Integer> shape = new ArrayList<>();
                for (int a : d.lhsBatch()) {
                  shape.add(x.shape().dim(a));
                }
                for (int a : free(x.rank(), d.lhsBatch(), d.lhsContract())) {
                  shape.add(x.shape().dim(a));
                }
                for (int a : free(y.rank(), d.rhsBatch(), d.rhsContract())) {
                  shape.add(y.shape().dim(a));
                }
                return List.of(
                    new AbstractValue(
                        Shape.of(shape.stream().mapToInt(Integer::intValue).toArray()), x.dtype()));
              })
          .reference(LinearAlgebra::referenceDot)
          .transpose(LinearAlgebra::transposeDot)
          .batch(LinearAlgebra::batchDot);

  static {
    DOT_GENERAL.jvp(
        (x, t, p) -> {
          Tensor out = DOT_GENERAL.bind1(p, x.get(0), x.get(1));
          Tensor a = t.get(0) == null ? null : DOT_GENERAL.bind1(p, t.get(0), x.get(1));
          Tensor b = t.get(1) == null ? null : DOT_GENERAL.bind1(p, x.get(0), t.get(1));
          return JvpResult.of(out, AdMath.addTangents(a, b));
        });
  }

  private static void check(AbstractValue x, AbstractValue y, int a, int b, String kind) {
    if (x.shape().dim(a) != y.shape().dim(b)) {
      throw new IllegalArgumentException(
          "'dot_general': "
              + kind
              + " axis "
              + a
              + " of "
              + x
              + " (size "
              + x.shape().dim(a)
              + ") does not match axis "
              + b
              + " of "
              + y
              + " (size "
              + y.shape().dim(b)
              + ")");
    }
  }

  static int[] concat(int[] a, int[] b) {
    int[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static List<HostArray> referenceDot(
      List<HostArray> in, Params p, List<AbstractValue> out) {
    HostArray x = in.get(0);
    HostArray y = in.get(1);
    Dims d = Dims.of(p);
    int[] xd = x.shape().dims();
    int[] yd = y.shape().dims();
    long[] xs = x.shape().strides();
    long[] ys = y.shape().strides();
    int[] xf = free(xd.length, d.lhsBatch(), d.lhsContract());
    int[] yf = free(yd.length, d.rhsBatch(), d.rhsContract());
    int nb = d.lhsBatch().length;
    // Offsets of every contraction position in x and y, computed once.
    int[] cd = new int[d.lhsContract().length];
    for (int k = 0; k < cd.length; k++) {
      cd[k] = xd[d.lhsContract()[k]];
    }
    int csize = (int) Shape.of(cd).size();
    int[] xoff = new int[csize];
    int[] yoff = new int[csize];
    int[] ci = new int[cd.length];
    for (int c = 0; c < csize; c++) {
      Shapes.unravel(c, cd, ci);
      long xo = 0;
      long yo = 0;
      for (int k = 0; k < cd.length; k++) {
        xo += ci[k] * xs[d.lhsContract()[k]];
        yo += ci[k] * ys[d.rhsContract()[k]];
      }
      xoff[c] = (int) xo;
      yoff[c] = (int) yo;
    }
    int[] od = out.get(0).shape().dims();
    HostArray r = HostArray.zeros(out.get(0));
    int[] oi = new int[od.length];
    boolean floating = x.dtype().isFloating();
    double[] xdv = floating ? x.doubles() : null;
    double[] ydv = floating ? y.doubles() : null;
    for (int o = 0; o < r.size(); o++) {
      Shapes.unravel(o, od, oi);
      long xb = 0;
      long yb = 0;
      for (int k = 0; k < nb; k++) {
        xb += oi[k] * xs[d.lhsBatch()[k]];
        yb += oi[k] * ys[d.rhsBatch()[k]];
      }
      for (int k = 0; k < xf.length; k++) {
        xb += oi[nb + k] * xs[xf[k]];
      }
      for (int k = 0; k < yf.length; k++) {
        yb += oi[nb + xf.length + k] * ys[yf[k]];
      }
      int xbase = (int) xb;
      int ybase = (int) yb;
      if (floating) {
        double sum = 0;
        for (int c = 0; c < csize; c++) {
          sum += xdv[xbase + xoff[c]] * ydv[ybase + yoff[c]];
        }
        r.setDouble(o, sum);
      } else {
        long sum = 0;
        for (int c = 0; c < csize; c++) {
          sum += x.getLong(xbase + xoff[c]) * y.getLong(ybase + yoff[c]);
        }
        r.setLong(o, sum);
      }
    }
    return List.of(r);
  }

  /** Rank of each value among the sorted values. */
  private static int[] ranks(int[] v) {
    int[] sorted = v.clone();
    Arrays.sort(sorted);
    int[] r = new int[v.length];
    for (int k = 0; k < v.length; k++) {
      r[k] = Arrays.binarySearch(sorted, v[k]);
    }
    return r;
  }

  /**
   * Cotangent of one operand ({@code self}) given the other: contract the cotangent's axes that
   * belong to the other operand's free axes, then permute into {@code self}'s layout. The product
   * keeps {@code self}'s usual order (the lhs cotangent as {@code ct · other}, the rhs one as
   * {@code other · ct}), so for a plain matmul the permutation is the identity and no transpose is
   * materialized (per-example weight gradients under vmap are large).
   */
  private static Tensor transposeOperand(
      Tensor ct,
      Tensor other,
      int selfRank,
      int[] selfBatch,
      int[] selfContract,
      int[] otherBatch,
      int[] otherContract,
      int otherRank,
      boolean selfIsLhs) {
    int nb = selfBatch.length;
    int[] selfFree = free(selfRank, selfBatch, selfContract);
    int[] otherFree = free(otherRank, otherBatch, otherContract);
    // Positions of the other operand's free axes and of the batch axes within ct.
    int otherFreeStart = selfIsLhs ? nb + selfFree.length : nb;
    int[] ctContract = new int[otherFree.length];
    for (int k = 0; k < otherFree.length; k++) {
      ctContract[k] = otherFreeStart + k;
    }
    int[] ctBatch = new int[nb];
    for (int k = 0; k < nb; k++) {
      ctBatch[k] = k;
    }
    // r axes: [batch..., then self's free axes (ct's remaining, in order) and other's remaining
    // (= otherContract, sorted), in self's operand order].
    Tensor r =
        selfIsLhs
            ? DOT_GENERAL.bind1(
                new Dims(ctContract, otherFree, ctBatch, otherBatch).params(), ct, other)
            : DOT_GENERAL.bind1(
                new Dims(otherFree, ctContract, otherBatch, ctBatch).params(), other, ct);
    int freeStart = selfIsLhs ? nb : nb + selfContract.length;
    int contractStart = selfIsLhs ? nb + selfFree.length : nb;
    int[] perm = new int[selfRank];
    for (int k = 0; k < nb; k++) {
      perm[selfBatch[k]] = k;
    }
    for (int k = 0; k < selfFree.length; k++) {
      perm[selfFree[k]] = freeStart + k;
    }
    int[] cr = ranks(otherContract);
    for (int k = 0; k < selfContract.length; k++) {
      perm[selfContract[k]] = contractStart + cr[k];
    }
    // perm[a] = position in r of self's axis a: output axis a takes r's axis perm[a].
    return Structural.transpose(r, perm);
  }

  private static List<Tensor> transposeDot(List<Tensor> cts, List<Object> args, Params p) {
    Tensor ct = cts.get(0);
    Dims d = Dims.of(p);
    if (args.get(0) instanceof Linear && args.get(1) instanceof Linear) {
      throw new UnsupportedOperationException(
          "'dot_general' of two tangents is not linear and cannot be transposed");
    }
    if (ct == null) {
      return Arrays.asList(null, null);
    }
    if (args.get(0) instanceof Linear lx) {
      Tensor y = (Tensor) args.get(1);
      return Arrays.asList(
          transposeOperand(
              ct,
              y,
              lx.aval().rank(),
              d.lhsBatch(),
              d.lhsContract(),
              d.rhsBatch(),
              d.rhsContract(),
              y.rank(),
              true),
          null);
    }
    Linear ly = (Linear) args.get(1);
    Tensor x = (Tensor) args.get(0);
    return Arrays.asList(
        null,
        transposeOperand(
            ct,
            x,
            ly.aval().rank(),
            d.rhsBatch(),
            d.rhsContract(),
            d.lhsBatch(),
            d.lhsContract(),
            x.rank(),
            false));
  }

  /**
   * The axes of an operand whose batch axis {@code at} is kept in place: those at or after it +1.
   */
  private static int[] around(int[] axes, int at) {
    int[] r = new int[axes.length];
    for (int k = 0; k < axes.length; k++) {
      r[k] = axes[k] >= at ? axes[k] + 1 : axes[k];
    }
    return r;
  }

  private static int[] prepend(int first, int[] a) {
    int[] r = new int[a.length + 1];
    r[0] = first;
    System.arraycopy(a, 0, r, 1, a.length);
    return r;
  }

  /**
   * vmap of dot_general, with the mapped axes left where they are (no transpose). Both operands
   * mapped: the two axes become a new leading batch dimension. One operand mapped: its axis is one
   * more free axis of that operand, so {@code vmap} of {@code x · W} is one matmul with the
   * examples folded into the rows, never a batched one against a broadcast {@code W} (as JAX does).
   */
  private static Batched batchDot(List<Tensor> args, int[] bd, Params p) {
    Dims d = Dims.of(p);
    Tensor x = args.get(0);
    Tensor y = args.get(1);
    int ax = bd[0];
    int ay = bd[1];
    boolean bx = ax != Primitive.NOT_MAPPED;
    boolean by = ay != Primitive.NOT_MAPPED;
    int[] lc = bx ? around(d.lhsContract(), ax) : d.lhsContract();
    int[] lb = bx ? around(d.lhsBatch(), ax) : d.lhsBatch();
    int[] rc = by ? around(d.rhsContract(), ay) : d.rhsContract();
    int[] rb = by ? around(d.rhsBatch(), ay) : d.rhsBatch();
    int nb = d.lhsBatch().length;
    if (bx && by) {
      Tensor out =
          DOT_GENERAL.bind1(new Dims(lc, rc, prepend(ax, lb), prepend(ay, rb)).params(), x, y);
      return Batched.of(out, 0);
    }
    Tensor out = DOT_GENERAL.bind1(new Dims(lc, rc, lb, rb).params(), x, y);
    int[] xFree = free(x.rank(), lb, lc);
    if (bx) {
      return Batched.of(out, nb + indexOf(xFree, ax));
    }
    return Batched.of(out, nb + xFree.length + indexOf(free(y.rank(), rb, rc), ay));
  }

  private static int indexOf(int[] a, int v) {
    for (int k = 0; k < a.length; k++) {
      if (a[k] == v) {
        return k;
      }
    }
    throw new IllegalStateException("axis " + v + " not in " + Arrays.toString(a));
  }

  /** Binds dot_general. */
  public static Tensor dotGeneral(Tensor x, Tensor y, Dims dims) {
    return DOT_GENERAL.bind1(dims.params(), x, y);
  }
}
