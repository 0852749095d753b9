package dev.arbor;

import java.util.function.Function;

/**
 * Result of {@link Arbor#linearize}: the output at the linearization point and the linear map (the
 * JVP at that point) as a function from input tangents to output tangents. Evaluating the linear
 * map re-runs only the staged tangent computation, not the primal.
 *
 * @param <T> the input type
 * @param <R> the output type
 */
public final class LinearizeResult<T, R> {
  private final R output;
  private final Function<T, R> linear;

  LinearizeResult(R output, Function<T, R> linear) {
    this.output = output;
    this.linear = linear;
  }

  /** The function's output. */
  public R output() {
    return output;
  }

  /** Applies the linearized function to a tangent shaped like the input. */
  public R jvp(T tangent) {
    return linear.apply(tangent);
  }
}
