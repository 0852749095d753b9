package dev.arbor.transform;

import static dev.arbor.transform.SubGraphs.avals;
import static dev.arbor.transform.SubGraphs.batchRun;
import static dev.arbor.transform.SubGraphs.concat;
import static dev.arbor.transform.SubGraphs.dependsOn;
import static dev.arbor.transform.SubGraphs.derive;
import static dev.arbor.transform.SubGraphs.expand;
import static dev.arbor.transform.SubGraphs.orZeros;
import static dev.arbor.transform.SubGraphs.pick;
import static dev.arbor.transform.SubGraphs.withLeading;
import static dev.arbor.transform.SubGraphs.zeros;

import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.BatchAxis;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import dev.arbor.core.primitives.AdMath;
import dev.arbor.core.primitives.Structural;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code scan[body=B, nconsts=c, ncarry=k, length=n, reverse=r]} primitive: operands {@code
 * (consts(c), init(k), xs…)}, each {@code xs} with a leading axis of {@code n}. For {@code i} in
 * {@code 0..n-1} (descending when {@code reverse}), {@code (carry, y_i) = B(consts, carry, xs[i])};
 * returns the final carry and the {@code y}s stacked along a new leading axis (at {@code i}).
 * {@code Control.scan} and {@code Control.fori} bind it.
 */
public final class Scan {
  private Scan() {}

  /** The primitive; backends and graph passes key on it. */
  public static final Primitive PRIMITIVE = Primitive.multi("scan");

  static {
    PRIMITIVE
        .shapeRule(Scan::shape)
        .eval(Scan::eval)
        .jvp(Scan::jvp)
        .transpose(Scan::transpose)
        .batchWithAxis(Scan::batch);
  }

  static Params params(Graph body, int nconsts, int ncarry, int length, boolean reverse) {
    return Params.of(
        "body", body, "nconsts", nconsts, "ncarry", ncarry, "length", length, "reverse", reverse);
  }

  private static List<AbstractValue> shape(List<AbstractValue> in, Params p) {
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("nconsts");
    int nk = p.intValue("ncarry");
    int length = p.intValue("length");
    List<AbstractValue> want = new ArrayList<>(in.subList(0, nc + nk));
    List<AbstractValue> bodyIn = body.inputAvals();
    for (int k = nc + nk; k < in.size() && k < bodyIn.size(); k++) {
      want.add(withLeading(length, bodyIn.get(k)));
    }
    List<AbstractValue> bodyOut = body.outputAvals();
    if (!want.equals(in)
        || bodyIn.size() != in.size()
        || !bodyIn.subList(0, nc + nk).equals(in.subList(0, nc + nk))
        || !bodyOut.subList(0, nk).equals(in.subList(nc, nc + nk))) {
      throw new IllegalArgumentException(
          "'scan' of length "
              + length
              + " got operands "
              + in
              + " that do not match its body "
              + bodyIn
              + " -> "
              + bodyOut);
    }
    List<AbstractValue> out = new ArrayList<>(bodyOut.subList(0, nk));
    for (AbstractValue y : bodyOut.subList(nk, bodyOut.size())) {
      out.add(withLeading(length, y));
    }
    return out;
  }

  // ------------------------------------------------------------ eval

  private static List<Tensor> eval(List<Tensor> args, Params p) {
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("nconsts");
    int nk = p.intValue("ncarry");
    int length = p.intValue("length");
    boolean reverse = p.get("reverse", Boolean.class);
    List<Tensor> consts = args.subList(0, nc);
    List<Tensor> carry = args.subList(nc, nc + nk);
    List<Tensor> xs = args.subList(nc + nk, args.size());
    List<AbstractValue> yAvals = body.outputAvals().subList(nk, body.outputs().size());
    List<HostArray> ys = new ArrayList<>();
    for (AbstractValue y : yAvals) {
      ys.add(HostArray.zeros(withLeading(length, y)));
    }
    Backend backend = args.isEmpty() ? Backends.defaultBackend() : backendOf(args.get(0));
    for (int it = 0; it < length; it++) {
      int i = reverse ? length - 1 - it : it;
      List<Tensor> x = new ArrayList<>(xs.size());
      for (Tensor t : xs) {
        x.add(row(t, i));
      }
      List<Tensor> out = body.evaluate(concat(consts, carry, x));
      carry = out.subList(0, nk);
      for (int j = 0; j < ys.size(); j++) {
        HostArray y = ((ConcreteTensor) out.get(nk + j)).host();
        for (int e = 0; e < y.size(); e++) {
          ys.get(j).copyElement(y, e, i * y.size() + e);
        }
      }
    }
    List<Tensor> result = new ArrayList<>(carry);
    for (HostArray y : ys) {
      result.add(ConcreteTensor.wrap(backend, backend.upload(y), y.aval()));
    }
    return result;
  }

  private static Backend backendOf(Tensor t) {
    return ((ConcreteTensor) t).backend();
  }

  /** Row {@code i} of a concrete tensor's leading axis (host-side: the eval rule's slicing). */
  private static Tensor row(Tensor t, int i) {
    ConcreteTensor c = (ConcreteTensor) t;
    HostArray h = c.host();
    int[] d = t.shape().dims();
    AbstractValue elem = AbstractValue.of(t.dtype(), Arrays.copyOfRange(d, 1, d.length));
    HostArray r = HostArray.zeros(elem);
    int n = r.size();
    for (int e = 0; e < n; e++) {
      r.copyElement(h, i * n + e, e);
    }
    return ConcreteTensor.wrap(c.backend(), c.backend().upload(r), elem);
  }

  // ------------------------------------------------------------ jvp

  /**
   * The JVP of a scan is a scan over (primal carry, tangent carry) whose body is the body's JVP.
   * Which carries need a tangent is a fixed point. The primal outputs come from the original scan
   * on the primals and the tangent scan returns only tangents (its primal carry is recomputed), so
   * under linearize the primal runs for real and the staged tangent scan is linear in its tangent
   * operands.
   */
  private static JvpResult jvp(List<Tensor> primals, List<Tensor> tangents, Params p) {
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("nconsts");
    int nk = p.intValue("ncarry");
    int length = p.intValue("length");
    boolean reverse = p.get("reverse", Boolean.class);
    int nx = primals.size() - nc - nk;
    int ny = body.outputs().size() - nk;
    List<AbstractValue> bodyIn = body.inputAvals();
    List<AbstractValue> bodyOut = body.outputAvals();
    boolean[] nzC = SubGraphs.nonZero(tangents.subList(0, nc));
    boolean[] nzK = SubGraphs.nonZero(tangents.subList(nc, nc + nk));
    boolean[] nzX = SubGraphs.nonZero(tangents.subList(nc + nk, tangents.size()));
    boolean[] out;
    while (true) {
      out = dependsOn(body, SubGraphs.concat(nzC, nzK, nzX));
      boolean changed = false;
      for (int k = 0; k < nk; k++) {
        if (out[k] && bodyOut.get(k).dtype().isFloating() && !nzK[k]) {
          nzK[k] = true;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    boolean[] nzY = new boolean[ny];
    for (int j = 0; j < ny; j++) {
      nzY[j] = out[nk + j] && bodyOut.get(nk + j).dtype().isFloating();
    }
    List<Tensor> outs = PRIMITIVE.bind(primals, p);
    List<Tensor> c = primals.subList(0, nc);
    List<Tensor> k0 = primals.subList(nc, nc + nk);
    List<Tensor> xs = primals.subList(nc + nk, primals.size());
    List<Tensor> tc = pick(tangents.subList(0, nc), nzC);
    List<Tensor> tk = new ArrayList<>();
    for (int k = 0; k < nk; k++) {
      if (nzK[k]) {
        tk.add(orZeros(tangents.get(nc + k), bodyIn.get(nc + k)));
      }
    }
    List<Tensor> tx = pick(tangents.subList(nc + nk, tangents.size()), nzX);
    boolean[] fin = nzK;
    Graph tangentBody =
        derive(
            in -> {
              int i = 0;
              List<Tensor> cP = in.subList(i, i += nc);
              List<Tensor> cT = expand(in.subList(i, i += tc.size()), nzC);
              List<Tensor> kP = in.subList(i, i += nk);
              List<Tensor> kT = expand(in.subList(i, i += tk.size()), fin);
              List<Tensor> xP = in.subList(i, i += nx);
              List<Tensor> xT = expand(in.subList(i, in.size()), nzX);
              SubGraphs.JvpRun r = SubGraphs.jvpRun(body, concat(cP, kP, xP), concat(cT, kT, xT));
              List<Tensor> res = new ArrayList<>(r.primals().subList(0, nk));
              for (int k = 0; k < nk; k++) {
                if (fin[k]) {
                  res.add(orZeros(r.tangents().get(k), bodyOut.get(k)));
                }
              }
              for (int j = 0; j < ny; j++) {
                if (nzY[j]) {
                  res.add(orZeros(r.tangents().get(nk + j), bodyOut.get(nk + j)));
                }
              }
              return res;
            },
            concat(
                bodyIn.subList(0, nc),
                pick(bodyIn.subList(0, nc), nzC),
                bodyIn.subList(nc, nc + nk),
                pick(bodyIn.subList(nc, nc + nk), fin),
                bodyIn.subList(nc + nk, bodyIn.size()),
                pick(bodyIn.subList(nc + nk, bodyIn.size()), nzX)),
            "jvp of scan");
    List<Tensor> res =
        PRIMITIVE.bind(
            concat(c, tc, k0, tk, xs, tx),
            params(tangentBody, nc + tc.size(), nk + tk.size(), length, reverse));
    List<Tensor> tangentsOut = new ArrayList<>(expand(res.subList(nk, nk + tk.size()), fin));
    tangentsOut.addAll(expand(res.subList(nk + tk.size(), res.size()), nzY));
    return new JvpResult(outs, tangentsOut);
  }

  // ------------------------------------------------------------ transpose

  /**
   * Transposes a scan that is linear in some operands (the tangent scan of {@link #jvp}): the
   * non-linear carries (the recomputed primal carry) are first run forward by a residual scan that
   * stacks their value at the start of every iteration; then a scan in the opposite direction runs
   * the transposed body on (residual carry_i, xs_i, cotangent of y_i), carrying the cotangent of
   * the linear carry and accumulating the cotangents of the linear constants. See
   * docs/design/control-flow.md.
   */
  private static List<Tensor> transpose(List<Tensor> cts, List<Object> args, Params p) {
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("nconsts");
    int nk = p.intValue("ncarry");
    int length = p.intValue("length");
    boolean reverse = p.get("reverse", Boolean.class);
    int n = args.size();
    int ny = body.outputs().size() - nk;
    boolean[] lin = new boolean[n];
    for (int k = 0; k < n; k++) {
      lin[k] = args.get(k) instanceof Linear;
    }
    // A carry whose tangent started as a (known) instantiated zero is linear all the same once the
    // body feeds it from a linear value: linearity of carries is a fixed point.
    while (true) {
      boolean[] out = dependsOn(body, lin);
      boolean changed = false;
      for (int k = 0; k < nk; k++) {
        if (out[k] && !lin[nc + k]) {
          lin[nc + k] = true;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    boolean[] outLin = dependsOn(body, lin);
    boolean[] cL = Arrays.copyOfRange(lin, 0, nc);
    boolean[] kL = Arrays.copyOfRange(lin, nc, nc + nk);
    boolean[] xL = Arrays.copyOfRange(lin, nc + nk, n);
    boolean[] yL = Arrays.copyOfRange(outLin, nk, nk + ny);
    List<Tensor> known = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      if (!lin[k]) {
        known.add((Tensor) args.get(k));
      }
    }
    int nCN = count(cL, false);
    int nKN = count(kL, false);
    List<Tensor> cN = known.subList(0, nCN);
    List<Tensor> kN = known.subList(nCN, nCN + nKN);
    List<Tensor> xN = known.subList(nCN + nKN, known.size());
    List<AbstractValue> bodyIn = body.inputAvals();
    List<AbstractValue> bodyOut = body.outputAvals();
    List<AbstractValue> cA = bodyIn.subList(0, nc);
    List<AbstractValue> kA = bodyIn.subList(nc, nc + nk);
    List<AbstractValue> xA = bodyIn.subList(nc + nk, n);
    List<AbstractValue> yA = bodyOut.subList(nk, nk + ny);
    boolean[] cNm = not(cL);
    boolean[] kNm = not(kL);
    boolean[] xNm = not(xL);

    // 1. The non-linear carries at the start of every iteration, stacked (the residuals).
    List<Tensor> residuals = List.of();
    if (nKN > 0) {
      Graph residualBody =
          derive(
              in -> {
                int i = 0;
                List<Tensor> cIn = in.subList(i, i += nCN);
                List<Tensor> kIn = in.subList(i, i += nKN);
                List<Tensor> xIn = in.subList(i, in.size());
                List<Tensor> full = new ArrayList<>();
                full.addAll(fill(cIn, cL, cA));
                full.addAll(fill(kIn, kL, kA));
                full.addAll(fill(xIn, xL, xA));
                List<Tensor> out = body.evaluate(full);
                return concat(pick(out.subList(0, nk), kNm), kIn);
              },
              concat(pick(cA, cNm), pick(kA, kNm), pick(xA, xNm)),
              "residuals of a transposed scan");
      List<Tensor> r =
          PRIMITIVE.bind(concat(cN, kN, xN), params(residualBody, nCN, nKN, length, reverse));
      residuals = r.subList(nKN, r.size());
    }

    // 2. The transposed body, run in the opposite direction.
    int nCL = count(cL, true);
    int nKL = count(kL, true);
    int nYL = count(yL, true);
    Graph transposedBody =
        derive(
            in -> {
              int i = 0;
              List<Tensor> cIn = in.subList(i, i += nCN);
              List<Tensor> acc = in.subList(i, i += nCL);
              List<Tensor> ctK = in.subList(i, i += nKL);
              List<Tensor> kRes = in.subList(i, i += nKN);
              List<Tensor> xIn = in.subList(i, i += xN.size());
              List<Tensor> ctY = in.subList(i, in.size());
              List<Tensor> knownFull =
                  concat(
                      Cond.expandKnown(cIn, cL),
                      Cond.expandKnown(kRes, kL),
                      Cond.expandKnown(xIn, xL));
              List<Tensor> outCts = concat(expand(ctK, kL), expand(ctY, yL));
              List<Tensor> c = SubGraphs.transposeRun(body, lin, knownFull, outCts);
              List<Tensor> res = new ArrayList<>();
              int a = 0;
              for (int k = 0; k < nc; k++) {
                if (cL[k]) {
                  res.add(orZeros(AdMath.addTangents(acc.get(a++), c.get(k)), cA.get(k)));
                }
              }
              for (int k = 0; k < nk; k++) {
                if (kL[k]) {
                  res.add(orZeros(c.get(nc + k), kA.get(k)));
                }
              }
              for (int k = 0; k < xA.size(); k++) {
                if (xL[k]) {
                  res.add(orZeros(c.get(nc + nk + k), xA.get(k)));
                }
              }
              return res;
            },
            concat(
                pick(cA, cNm),
                pick(cA, cL),
                pick(kA, kL),
                pick(kA, kNm),
                pick(xA, xNm),
                pick(yA, yL)),
            "transpose of scan");
    List<Tensor> accInit = new ArrayList<>();
    for (AbstractValue a : pick(cA, cL)) {
      accInit.add(zeros(a));
    }
    List<Tensor> ctKInit = new ArrayList<>();
    for (int k = 0; k < nk; k++) {
      if (kL[k]) {
        ctKInit.add(orZeros(cts.get(k), kA.get(k)));
      }
    }
    List<Tensor> ctYs = new ArrayList<>();
    for (int j = 0; j < ny; j++) {
      if (yL[j]) {
        ctYs.add(orZeros(cts.get(nk + j), withLeading(length, yA.get(j))));
      }
    }
    List<Tensor> r =
        PRIMITIVE.bind(
            concat(cN, accInit, ctKInit, residuals, xN, ctYs),
            params(transposedBody, nCN, nCL + nKL, length, !reverse));
    // r holds the cotangents of the linear consts, carries and xs, in operand order.
    List<Tensor> linCts = r;
    List<Tensor> result = new ArrayList<>(n);
    int j = 0;
    for (int k = 0; k < n; k++) {
      Tensor c = lin[k] ? linCts.get(j++) : null;
      result.add(args.get(k) instanceof Linear ? c : null);
    }
    return result;
  }

  /** Values at the non-linear positions, zeros (unused by the outputs taken) at linear ones. */
  private static List<Tensor> fill(List<Tensor> known, boolean[] lin, List<AbstractValue> avals) {
    List<Tensor> r = new ArrayList<>(lin.length);
    int j = 0;
    for (int k = 0; k < lin.length; k++) {
      r.add(lin[k] ? zeros(avals.get(k)) : known.get(j++));
    }
    return r;
  }

  private static int count(boolean[] m, boolean v) {
    int c = 0;
    for (boolean b : m) {
      c += b == v ? 1 : 0;
    }
    return c;
  }

  private static boolean[] not(boolean[] m) {
    boolean[] r = new boolean[m.length];
    for (int k = 0; k < m.length; k++) {
      r[k] = !m[k];
    }
    return r;
  }

  // ------------------------------------------------------------ batching

  /**
   * Consts and carries are batched at axis 0, xs and ys at axis 1 (axis 0 is the scanned one).
   * Which carries are batched is a fixed point; an unbatched initial carry that becomes batched is
   * broadcast first.
   */
  private static Batched batch(List<Tensor> args, int[] dims, Params p, BatchAxis axis) {
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("nconsts");
    int nk = p.intValue("ncarry");
    int length = p.intValue("length");
    int n = args.size();
    int ny = body.outputs().size() - nk;
    int size = axis.size();
    boolean[] mask = SubGraphs.mapped(dims);
    while (true) {
      boolean[] out = dependsOn(body, mask);
      boolean changed = false;
      for (int k = 0; k < nk; k++) {
        if (out[k] && !mask[nc + k]) {
          mask[nc + k] = true;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    boolean[] outB = dependsOn(body, mask);
    List<Tensor> ops = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      Tensor a = args.get(k);
      boolean isX = k >= nc + nk;
      if (dims[k] != Primitive.NOT_MAPPED) {
        ops.add(Structural.moveAxis(a, dims[k], isX ? 1 : 0));
      } else if (mask[k]) {
        ops.add(Structural.batchAxisToFront(a, Primitive.NOT_MAPPED, size));
      } else {
        ops.add(a);
      }
    }
    List<AbstractValue> bodyAvals = SubGraphs.batchedAvals(body.inputAvals(), mask, size);
    // A batched carry must come out batched (its aval is fixed); ys are batched where they depend.
    boolean[] force = outB.clone();
    for (int k = 0; k < nk; k++) {
      force[k] = mask[nc + k];
    }
    Graph batched =
        derive(in -> batchRun(body, in, mask, axis, force).outputs(), bodyAvals, "vmap of scan");
    List<Tensor> outs =
        PRIMITIVE.bind(ops, params(batched, nc, nk, length, p.get("reverse", Boolean.class)));
    int[] outDims = new int[nk + ny];
    for (int k = 0; k < nk + ny; k++) {
      outDims[k] = !force[k] ? Primitive.NOT_MAPPED : k < nk ? 0 : 1;
    }
    return new Batched(outs, outDims);
  }
}
