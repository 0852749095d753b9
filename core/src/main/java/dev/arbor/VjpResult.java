package dev.arbor;

import java.util.function.Function;

/**
 * Result of {@link Arbor#vjp}: the output and a pullback that maps an output cotangent (shaped like
 * the output) to an input cotangent (shaped like the input). The pullback may be called any number
 * of times, from any thread, and under other transformations.
 *
 * @param <T> the input type
 * @param <R> the output type
 */
public final class VjpResult<T, R> {
  private final R output;
  private final Function<R, T> pullback;

  VjpResult(R output, Function<R, T> pullback) {
    this.output = output;
    this.pullback = pullback;
  }

  /** The function's output. */
  public R output() {
    return output;
  }

  /** Pulls a cotangent of the output back to the input. */
  public T pullback(R cotangent) {
    return pullback.apply(cotangent);
  }
}
