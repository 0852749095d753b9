package dev.arbor.transform;

import static dev.arbor.transform.SubGraphs.avals;
import static dev.arbor.transform.SubGraphs.concat;

import dev.arbor.array.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * User-written differentiation rules and rematerialization, on flat lists of tensors (JAX's {@code
 * custom_jvp}, {@code custom_vjp} and {@code checkpoint}). Each returns a new function that behaves
 * like {@code f} when evaluated and uses the rule (or recomputation) when differentiated; the
 * wrapped functions compose with every transformation, including {@code vmap} (which batches the
 * rules by running them under the batch trace).
 *
 * <p>Rules must be pure and must not close over values of an enclosing transformation (pass such
 * values as arguments): a rule that does fails with an error when its transformation stages it.
 * Derivatives with respect to values {@code f} itself closes over are not defined by a rule, so
 * differentiating with respect to them fails with an error rather than silently giving zero.
 */
public final class Custom {
  private Custom() {}

  /** Outputs and their tangents, as returned by a {@link JvpRule} (null tangent = zero). */
  public record JvpOut(List<Tensor> outputs, List<Tensor> tangents) {
    public JvpOut {
      outputs = List.copyOf(outputs);
      tangents = Collections.unmodifiableList(new ArrayList<>(tangents));
    }
  }

  /**
   * A JVP rule: given the arguments and their tangents (zeros, never null, for arguments without
   * one), returns the outputs and their tangents. The tangents must be computed linearly from the
   * input tangents (reverse mode transposes them).
   */
  @FunctionalInterface
  public interface JvpRule {
    JvpOut apply(List<Tensor> primals, List<Tensor> tangents);
  }

  /** What a {@link Fwd} returns: the outputs and the residuals the backward rule needs. */
  public record FwdOut(List<Tensor> outputs, List<Tensor> residuals) {
    public FwdOut {
      outputs = List.copyOf(outputs);
      residuals = List.copyOf(residuals);
    }
  }

  /** The forward half of a custom VJP: the outputs of {@code f} and residuals. */
  @FunctionalInterface
  public interface Fwd {
    FwdOut apply(List<Tensor> args);
  }

  /**
   * The backward half of a custom VJP: residuals and output cotangents (zeros, never null) to one
   * cotangent per argument (null for zero).
   */
  @FunctionalInterface
  public interface Bwd {
    List<Tensor> apply(List<Tensor> residuals, List<Tensor> cotangents);
  }

  /**
   * {@code f} with the JVP rule {@code rule} (used by jvp, grad and every derivative of it; {@code
   * f} itself is never differentiated).
   *
   * <pre>{@code
   * // log(1 + exp(x)) with a stable derivative
   * var softplus = Custom.customJvp(
   *     l -> List.of(Ops.log(Ops.exp(l.get(0)).add(1.0))),
   *     (x, t) -> new Custom.JvpOut(
   *         List.of(Ops.log(Ops.exp(x.get(0)).add(1.0))),
   *         List.of(t.get(0).mul(Ops.exp(x.get(0)).div(Ops.exp(x.get(0)).add(1.0))))));
   * }</pre>
   */
  public static Function<List<Tensor>, List<Tensor>> customJvp(
      Function<List<Tensor>, List<Tensor>> f, JvpRule rule) {
    Objects.requireNonNull(f, "f");
    Objects.requireNonNull(rule, "rule");
    return args -> {
      List<Tensor> a = List.copyOf(args);
      SubGraphs.Closed c = SubGraphs.stage(f, avals(a), "customJvp function");
      return CustomJvpCall.PRIMITIVE.bind(
          concat(c.hoisted(), a), CustomJvpCall.params(c.graph(), c.hoisted().size(), rule));
    };
  }

  /**
   * {@code f} whose reverse-mode derivative is {@code bwd(residuals, cotangents)}, with residuals
   * from {@code fwd(args)} (which must return {@code f}'s outputs). Forward mode (jvp, jacfwd)
   * through it fails: only the backward rule is known.
   */
  public static Function<List<Tensor>, List<Tensor>> customVjp(
      Function<List<Tensor>, List<Tensor>> f, Fwd fwd, Bwd bwd) {
    Objects.requireNonNull(f, "f");
    Objects.requireNonNull(fwd, "fwd");
    Objects.requireNonNull(bwd, "bwd");
    return args -> {
      List<Tensor> a = List.copyOf(args);
      SubGraphs.Closed c = SubGraphs.stage(f, avals(a), "customVjp function");
      return CustomVjpCall.PRIMITIVE.bind(
          concat(c.hoisted(), a), CustomVjpCall.params(c.graph(), c.hoisted().size(), fwd, bwd));
    };
  }

  /**
   * {@code f} rematerialized: reverse mode stores only {@code f}'s inputs and recomputes its
   * intermediates in the backward pass (memory for compute). Values are unchanged.
   */
  public static Function<List<Tensor>, List<Tensor>> checkpoint(
      Function<List<Tensor>, List<Tensor>> f) {
    Objects.requireNonNull(f, "f");
    return args -> {
      List<Tensor> a = List.copyOf(args);
      SubGraphs.Closed c = SubGraphs.stage(f, avals(a), "checkpoint function");
      return Checkpoint.PRIMITIVE.bind(concat(c.hoisted(), a), Checkpoint.params(c.graph()));
    };
  }

  /** Rejects a nonzero tangent on a value a custom-rule function closed over. */
  static void requireNoCapturedTangent(String what, List<Tensor> capturedTangents) {
    for (Tensor t : capturedTangents) {
      if (t != null) {
        throw new IllegalArgumentException(
            "a "
                + what
                + " function closes over a value that is being differentiated; its rule only"
                + " covers the function's arguments, so pass that value as an argument");
      }
    }
  }
}
