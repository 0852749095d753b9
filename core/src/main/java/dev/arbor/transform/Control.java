package dev.arbor.transform;

import static dev.arbor.transform.SubGraphs.avals;
import static dev.arbor.transform.SubGraphs.concat;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Graph;
import dev.arbor.core.Var;
import dev.arbor.core.primitives.Elementwise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Structured control flow on flat lists of tensors: {@link #cond}, {@link #switchCase}, {@link
 * #whileLoop}, {@link #fori} and {@link #scan}. Inside a transformation ({@code grad}, {@code
 * vmap}, {@code jit}) Java {@code if}/{@code for} cannot depend on traced values; these can. Each
 * stages its functions once into sub-graphs carried by a primitive ({@code cond}, {@code while},
 * {@code scan}) with its own JVP, transpose and batching rules, so they compose with every
 * transformation. Values the functions close over (including tracers of enclosing transformations)
 * become extra operands.
 *
 * <p>Differentiability: {@code cond}, {@code switchCase}, {@code fori} and {@code scan} in both
 * modes; {@code whileLoop} in forward mode only (reverse mode fails with an error naming {@code
 * fori}/{@code scan}). All batch under {@code vmap}.
 *
 * <p>Functions are called once, while staging, on tracers: they must be pure (no side effects that
 * should happen per iteration) and must not read concrete values of their arguments. Thread-safe
 * (tracing state is per thread). See {@code docs/control-flow.md}.
 */
public final class Control {
  private Control() {}

  /**
   * {@code pred ? onTrue(operands) : onFalse(operands)}, choosing at run time. Both branches must
   * return lists of tensors of the same shapes and dtypes.
   *
   * <pre>{@code
   * Tensor positive = Elementwise.gt(x.sum(), Tensor.scalar(0, x.dtype()));
   * List<Tensor> y = Control.cond(positive, l -> l, l -> List.of(l.get(0).neg()), List.of(x));
   * }</pre>
   *
   * @param pred a scalar bool (or integer: nonzero is true) tensor
   * @param onTrue the branch taken when {@code pred} holds
   * @param onFalse the branch taken otherwise
   * @param operands passed to the chosen branch (may be empty)
   */
  public static List<Tensor> cond(
      Tensor pred,
      Function<List<Tensor>, List<Tensor>> onTrue,
      Function<List<Tensor>, List<Tensor>> onFalse,
      List<Tensor> operands) {
    Objects.requireNonNull(pred, "pred");
    if (pred.rank() != 0 || pred.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "Control.cond needs a scalar bool predicate, got "
              + pred.dtype().shortName()
              + pred.shape()
              + "; reduce it (e.g. Ops.max) or compare it to get a scalar bool");
    }
    Tensor index = pred.dtype() == DType.BOOL ? pred : Elementwise.ne0(pred);
    return switchCase(index, List.of(onFalse, onTrue), operands);
  }

  /**
   * Runs {@code branches.get(index)(operands)} (JAX's {@code lax.switch}; named so because {@code
   * switch} is a Java keyword). An index out of range is clamped to the first or last branch. All
   * branches must return lists of tensors of the same shapes and dtypes.
   *
   * @param index a scalar integer (or bool) tensor
   */
  public static List<Tensor> switchCase(
      Tensor index, List<Function<List<Tensor>, List<Tensor>>> branches, List<Tensor> operands) {
    Objects.requireNonNull(index, "index");
    if (branches.isEmpty()) {
      throw new IllegalArgumentException("Control.switchCase needs at least one branch");
    }
    if (index.rank() != 0 || index.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "Control.switchCase needs a scalar integer index, got "
              + index.dtype().shortName()
              + index.shape());
    }
    List<Tensor> ops = List.copyOf(operands);
    List<AbstractValue> in = avals(ops);
    List<SubGraphs.Closed> staged = new ArrayList<>();
    for (int b = 0; b < branches.size(); b++) {
      staged.add(SubGraphs.stage(branches.get(b), in, "branch " + b + " of cond"));
    }
    List<AbstractValue> out0 = staged.get(0).graph().outputAvals();
    for (int b = 1; b < staged.size(); b++) {
      List<AbstractValue> ob = staged.get(b).graph().outputAvals();
      if (!ob.equals(out0)) {
        throw new IllegalArgumentException(
            "cond branches must return the same shapes and dtypes: branch 0 returns "
                + out0
                + ", branch "
                + b
                + " returns "
                + ob);
      }
    }
    // Every branch takes every branch's captured values (unused ones are ignored), then operands.
    List<Tensor> captured = new ArrayList<>();
    for (SubGraphs.Closed c : staged) {
      captured.addAll(c.hoisted());
    }
    List<Graph> graphs = new ArrayList<>();
    int offset = 0;
    for (SubGraphs.Closed c : staged) {
      graphs.add(widen(c.graph(), avals(captured), offset, c.hoisted().size()));
      offset += c.hoisted().size();
    }
    Tensor i32 = Elementwise.convert(index, DType.I32);
    return Cond.PRIMITIVE.bind(concat(List.of(i32), captured, ops), Cond.params(graphs));
  }

  /**
   * {@code g} (inputs: its own {@code own} captured values, then operands) as a graph whose inputs
   * are all captured values ({@code all}, its own at {@code offset}) then the operands.
   */
  private static Graph widen(Graph g, List<AbstractValue> all, int offset, int own) {
    List<Var> inputs = new ArrayList<>();
    for (int k = 0; k < all.size(); k++) {
      if (k >= offset && k < offset + own) {
        inputs.add(g.inputs().get(k - offset));
      } else {
        inputs.add(new Var(all.get(k)));
      }
    }
    inputs.addAll(g.inputs().subList(own, g.inputs().size()));
    return new Graph(inputs, g.constVars(), g.constValues(), g.equations(), g.outputs());
  }

  /**
   * {@code while (cond(carry)) carry = body(carry); return carry;} with a run-time trip count. The
   * body must return tensors of the carry's shapes and dtypes. Differentiable in forward mode only:
   * for reverse mode use {@link #fori} or {@link #scan}.
   *
   * @param cond returns a scalar bool tensor
   */
  public static List<Tensor> whileLoop(
      Function<List<Tensor>, Tensor> cond,
      Function<List<Tensor>, List<Tensor>> body,
      List<Tensor> init) {
    List<Tensor> carry = List.copyOf(init);
    List<AbstractValue> in = avals(carry);
    SubGraphs.Closed c = SubGraphs.stage(l -> List.of(cond.apply(l)), in, "cond of whileLoop");
    AbstractValue pred = c.graph().outputAvals().get(0);
    if (pred.rank() != 0 || pred.dtype() != DType.BOOL) {
      throw new IllegalArgumentException(
          "the cond function of whileLoop must return a scalar bool tensor, got " + pred);
    }
    SubGraphs.Closed b = SubGraphs.stage(body, in, "body of whileLoop");
    if (!b.graph().outputAvals().equals(in)) {
      throw new IllegalArgumentException(
          "the body of whileLoop must return the carry's shapes and dtypes "
              + in
              + ", got "
              + b.graph().outputAvals());
    }
    return WhileLoop.PRIMITIVE.bind(
        concat(c.hoisted(), b.hoisted(), carry),
        WhileLoop.params(c.graph(), b.graph(), c.hoisted().size(), b.hoisted().size()));
  }

  /** The body of {@link #fori}: the loop index (an I32 scalar) and the carry to the new carry. */
  @FunctionalInterface
  public interface ForiBody {
    List<Tensor> apply(Tensor i, List<Tensor> carry);
  }

  /**
   * {@code for (i = lower; i < upper; i++) carry = body(i, carry);} with static bounds, lowered to
   * {@link #scan} so it is differentiable in both modes. Returns {@code init} when {@code upper <=
   * lower}.
   */
  public static List<Tensor> fori(int lower, int upper, ForiBody body, List<Tensor> init) {
    if (upper <= lower) {
      return List.copyOf(init);
    }
    int[] idx = new int[upper - lower];
    for (int k = 0; k < idx.length; k++) {
      idx[k] = lower + k;
    }
    return scan(
            (carry, x) -> new Scanned(body.apply(x.get(0), carry), List.of()),
            init,
            List.of(Tensor.of(idx)),
            idx.length,
            false)
        .carry();
  }

  /** The final carry and the stacked per-step outputs of {@link #scan} (also a step's result). */
  public record Scanned(List<Tensor> carry, List<Tensor> ys) {
    public Scanned {
      carry = List.copyOf(carry);
      ys = List.copyOf(ys);
    }
  }

  /** One step of {@link #scan}: the carry and this step's slices of {@code xs}. */
  @FunctionalInterface
  public interface ScanBody extends BiFunction<List<Tensor>, List<Tensor>, Scanned> {}

  /** {@link #scan(ScanBody, List, List, int, boolean)} over the leading axis of {@code xs}. */
  public static Scanned scan(ScanBody f, List<Tensor> init, List<Tensor> xs) {
    if (xs.isEmpty()) {
      throw new IllegalArgumentException(
          "scan without xs needs an explicit length: scan(f, init, List.of(), length, false)");
    }
    return scan(f, init, xs, xs.get(0).rank() == 0 ? -1 : xs.get(0).shape().dim(0), false);
  }

  /**
   * JAX's {@code lax.scan}: for {@code i} in {@code 0..length-1} (descending if {@code reverse}),
   * {@code (carry, y_i) = f(carry, xs[i])}; returns the final carry and the {@code y}s stacked
   * along a new leading axis (at index {@code i}). Differentiable in both modes; reverse mode
   * stores the carry of every step (not the body's intermediates, which the backward pass
   * recomputes).
   *
   * @param xs tensors with a leading axis of {@code length} (may be empty)
   * @param length the number of steps
   */
  public static Scanned scan(
      ScanBody f, List<Tensor> init, List<Tensor> xs, int length, boolean reverse) {
    List<Tensor> carry = List.copyOf(init);
    List<Tensor> xl = List.copyOf(xs);
    List<AbstractValue> xElems = new ArrayList<>();
    for (int k = 0; k < xl.size(); k++) {
      Tensor x = xl.get(k);
      if (x.rank() == 0 || x.shape().dim(0) != length) {
        throw new IllegalArgumentException(
            "scan xs["
                + k
                + "] must have a leading axis of the scan length "
                + length
                + ", got shape "
                + x.shape());
      }
      int[] d = x.shape().dims();
      xElems.add(AbstractValue.of(x.dtype(), Arrays.copyOfRange(d, 1, d.length)));
    }
    if (length < 0) {
      throw new IllegalArgumentException("scan length must be >= 0, got " + length);
    }
    int nk = carry.size();
    List<AbstractValue> carryAvals = avals(carry);
    SubGraphs.Closed body =
        SubGraphs.stage(
            in -> {
              Scanned s = f.apply(in.subList(0, nk), in.subList(nk, in.size()));
              if (s == null) {
                throw new IllegalArgumentException("the scan body returned null");
              }
              return concat(s.carry(), s.ys());
            },
            concat(carryAvals, xElems),
            "body of scan");
    List<AbstractValue> out = body.graph().outputAvals();
    if (out.size() < nk || !out.subList(0, nk).equals(carryAvals)) {
      throw new IllegalArgumentException(
          "the scan body must return a carry of the init's shapes and dtypes "
              + carryAvals
              + ", got "
              + out.subList(0, Math.min(nk, out.size()))
              + " (and ys "
              + out.subList(Math.min(nk, out.size()), out.size())
              + ")");
    }
    int nc = body.hoisted().size();
    List<Tensor> operands = concat(body.hoisted(), carry, xl);
    List<Tensor> res =
        Scan.PRIMITIVE.bind(operands, Scan.params(body.graph(), nc, nk, length, reverse));
    return new Scanned(res.subList(0, nk), res.subList(nk, res.size()));
  }
}
