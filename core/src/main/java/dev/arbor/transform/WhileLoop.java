package dev.arbor.transform;

import static dev.arbor.transform.SubGraphs.avals;
import static dev.arbor.transform.SubGraphs.batchRun;
import static dev.arbor.transform.SubGraphs.concat;
import static dev.arbor.transform.SubGraphs.dependsOn;
import static dev.arbor.transform.SubGraphs.derive;
import static dev.arbor.transform.SubGraphs.expand;
import static dev.arbor.transform.SubGraphs.orZeros;
import static dev.arbor.transform.SubGraphs.pick;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.BatchAxis;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Structural;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code while[cond=C, body=B, cond_nconsts=m, body_nconsts=n]} primitive: operands {@code
 * (cconsts(m), bconsts(n), carry…)}; while {@code C(cconsts, carry)} (a bool scalar) holds, {@code
 * carry = B(bconsts, carry)}. Returns the final carry. Forward-mode differentiable and batchable;
 * reverse mode is refused (the trip count is unknown, so nothing could be stored per iteration).
 */
public final class WhileLoop {
  private WhileLoop() {}

  /** The primitive; backends and graph passes key on it. */
  public static final Primitive PRIMITIVE = Primitive.multi("while");

  static final String REVERSE_MODE_REFUSED =
      "reverse-mode differentiation (grad, vjp, jacrev) of Control.whileLoop is not supported: its"
          + " trip count is only known at run time, so the values the backward pass needs cannot be"
          + " stored. Use Control.fori (static bounds) or Control.scan (fixed length, with an early"
          + " exit expressed as a masked carry), which are differentiable in both modes;"
          + " forward mode (jvp, jacfwd) of whileLoop works.";

  static {
    PRIMITIVE
        .shapeRule(WhileLoop::shape)
        .eval(WhileLoop::eval)
        .jvp(WhileLoop::jvp)
        .transpose(
            (cts, args, p) -> {
              throw new UnsupportedOperationException(REVERSE_MODE_REFUSED);
            })
        .batchWithAxis(WhileLoop::batch);
  }

  static Params params(Graph cond, Graph body, int condConsts, int bodyConsts) {
    return Params.of(
        "cond", cond, "body", body, "cond_nconsts", condConsts, "body_nconsts", bodyConsts);
  }

  private static List<AbstractValue> shape(List<AbstractValue> in, Params p) {
    Graph cond = p.get("cond", Graph.class);
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("cond_nconsts");
    int nb = p.intValue("body_nconsts");
    List<AbstractValue> carry = in.subList(nc + nb, in.size());
    if (!cond.inputAvals().equals(concat(in.subList(0, nc), carry))
        || !body.inputAvals().equals(in.subList(nc, in.size()))
        || !body.outputAvals().equals(carry)) {
      throw new IllegalArgumentException(
          "'while' operands "
              + in
              + " do not match its cond "
              + cond.inputAvals()
              + " and body "
              + body.inputAvals()
              + " -> "
              + body.outputAvals());
    }
    return List.copyOf(carry);
  }

  private static List<Tensor> eval(List<Tensor> args, Params p) {
    Graph cond = p.get("cond", Graph.class);
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("cond_nconsts");
    int nb = p.intValue("body_nconsts");
    List<Tensor> cc = args.subList(0, nc);
    List<Tensor> bc = args.subList(nc, nc + nb);
    List<Tensor> carry = args.subList(nc + nb, args.size());
    while (cond.evaluate(concat(cc, carry)).get(0).toLongArray()[0] != 0) {
      carry = body.evaluate(concat(bc, carry));
    }
    return carry;
  }

  /**
   * Carries the tangents through the loop: the new body is the JVP of the body on (primal carry,
   * tangent carry); the cond reads the primal carry only. Which carries need a tangent is a fixed
   * point (a zero initial tangent can become nonzero after one iteration). The primal outputs come
   * from a separate loop on the primals, so that under linearize the primal runs for real and only
   * the tangent loop is staged (and then refused by the transpose rule, with the message above).
   */
  private static JvpResult jvp(List<Tensor> primals, List<Tensor> tangents, Params p) {
    Graph cond = p.get("cond", Graph.class);
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("cond_nconsts");
    int nb = p.intValue("body_nconsts");
    int nk = primals.size() - nc - nb;
    List<Tensor> cc = primals.subList(0, nc);
    List<Tensor> bc = primals.subList(nc, nc + nb);
    List<Tensor> carry = primals.subList(nc + nb, primals.size());
    boolean[] nzB = SubGraphs.nonZero(tangents.subList(nc, nc + nb));
    boolean[] nzK = SubGraphs.nonZero(tangents.subList(nc + nb, tangents.size()));
    boolean[] floats = new boolean[nk];
    for (int k = 0; k < nk; k++) {
      floats[k] = carry.get(k).dtype().isFloating();
    }
    while (true) {
      boolean[] out = dependsOn(body, concat(nzB, nzK));
      boolean changed = false;
      for (int k = 0; k < nk; k++) {
        if (out[k] && floats[k] && !nzK[k]) {
          nzK[k] = true;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    List<Tensor> outs = PRIMITIVE.bind(primals, p);
    List<Tensor> tb = pick(tangents.subList(nc, nc + nb), nzB);
    List<AbstractValue> carryAvals = avals(carry);
    List<Tensor> tk = new ArrayList<>();
    for (int k = 0; k < nk; k++) {
      if (nzK[k]) {
        tk.add(orZeros(tangents.get(nc + nb + k), carryAvals.get(k)));
      }
    }
    Graph newCond =
        derive(
            in -> cond.evaluate(concat(in.subList(0, nc), in.subList(nc, nc + nk))),
            concat(avals(cc), carryAvals, avals(tk)),
            "jvp of while (cond)");
    Graph newBody =
        derive(
            in -> {
              int i = 0;
              List<Tensor> bcP = in.subList(i, i += nb);
              List<Tensor> bcT = expand(in.subList(i, i += tb.size()), nzB);
              List<Tensor> kP = in.subList(i, i += nk);
              List<Tensor> kT = expand(in.subList(i, in.size()), nzK);
              SubGraphs.JvpRun r = SubGraphs.jvpRun(body, concat(bcP, kP), concat(bcT, kT));
              List<Tensor> res = new ArrayList<>(r.primals());
              for (int k = 0; k < nk; k++) {
                if (nzK[k]) {
                  res.add(orZeros(r.tangents().get(k), carryAvals.get(k)));
                }
              }
              return res;
            },
            concat(avals(bc), avals(tb), carryAvals, avals(tk)),
            "jvp of while (body)");
    List<Tensor> res =
        PRIMITIVE.bind(concat(cc, bc, tb, carry, tk), params(newCond, newBody, nc, nb + tb.size()));
    return new JvpResult(outs, expand(res.subList(nk, res.size()), nzK));
  }

  /**
   * Batched carries are a fixed point (a carry updated from a batched value becomes batched). An
   * unbatched predicate keeps one loop with batched cond and body. A batched predicate runs while
   * any element's predicate holds, and each element keeps its carry once its own predicate fails.
   */
  private static Batched batch(List<Tensor> args, int[] dims, Params p, BatchAxis axis) {
    Graph cond = p.get("cond", Graph.class);
    Graph body = p.get("body", Graph.class);
    int nc = p.intValue("cond_nconsts");
    int nb = p.intValue("body_nconsts");
    int nk = args.size() - nc - nb;
    int size = axis.size();
    List<Tensor> moved = SubGraphs.batchToFront(args, dims);
    boolean[] mask = SubGraphs.mapped(dims);
    boolean[] ccB = Arrays.copyOfRange(mask, 0, nc);
    boolean[] bcB = Arrays.copyOfRange(mask, nc, nc + nb);
    boolean[] kB = Arrays.copyOfRange(mask, nc + nb, mask.length);
    while (true) {
      boolean[] out = dependsOn(body, concat(bcB, kB));
      boolean changed = false;
      for (int k = 0; k < nk; k++) {
        if (out[k] && !kB[k]) {
          kB[k] = true;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    boolean predBatched = dependsOn(cond, concat(ccB, kB))[0];
    if (predBatched) {
      Arrays.fill(kB, true);
    }
    List<Tensor> cc = moved.subList(0, nc);
    List<Tensor> bc = moved.subList(nc, nc + nb);
    List<Tensor> carry = new ArrayList<>();
    for (int k = 0; k < nk; k++) {
      Tensor c = moved.get(nc + nb + k);
      carry.add(kB[k] && !mask[nc + nb + k] ? Structural.batchAxisToFront(c, -1, size) : c);
    }
    List<AbstractValue> ccA = avals(cc);
    List<AbstractValue> bcA = avals(bc);
    List<AbstractValue> kA = avals(carry);
    boolean[] condMask = concat(ccB, kB);
    boolean[] bodyMask = concat(bcB, kB);
    Graph newCond;
    Graph newBody;
    List<Tensor> operands;
    int newBodyConsts;
    if (!predBatched) {
      newCond =
          derive(
              in -> batchRun(cond, in, condMask, axis, null).outputs(),
              concat(ccA, kA),
              "vmap of while (cond)");
      newBody =
          derive(
              in -> batchRun(body, in, bodyMask, axis, kB).outputs(),
              concat(bcA, kA),
              "vmap of while (body)");
      operands = concat(cc, bc, carry);
      newBodyConsts = nb;
    } else {
      boolean[] one = {true};
      newCond =
          derive(
              in -> List.of(anyTrue(batchRun(cond, in, condMask, axis, one).outputs().get(0))),
              concat(ccA, kA),
              "vmap of while (cond)");
      newBody =
          derive(
              in -> {
                List<Tensor> c = in.subList(0, nc);
                List<Tensor> b = in.subList(nc, nc + nb);
                List<Tensor> k = in.subList(nc + nb, in.size());
                Tensor pred = batchRun(cond, concat(c, k), condMask, axis, one).outputs().get(0);
                List<Tensor> next = batchRun(body, concat(b, k), bodyMask, axis, kB).outputs();
                List<Tensor> res = new ArrayList<>();
                for (int j = 0; j < nk; j++) {
                  Tensor v = next.get(j);
                  Tensor pv = Structural.broadcastInDim(pred, v.shape().dims(), new int[] {0});
                  res.add(Elementwise.select(pv, v, k.get(j)));
                }
                return res;
              },
              concat(ccA, bcA, kA),
              "vmap of while (body)");
      operands = concat(cc, cc, bc, carry);
      newBodyConsts = nc + nb;
    }
    List<Tensor> outs = PRIMITIVE.bind(operands, params(newCond, newBody, nc, newBodyConsts));
    return new Batched(outs, SubGraphs.frontDims(kB));
  }

  /** Whether any element of a bool vector is true, as a bool scalar. */
  private static Tensor anyTrue(Tensor pred) {
    Tensor asInt = Elementwise.convert(pred, DType.I32);
    return Elementwise.ne0(Reductions.max(asInt, 0));
  }
}
