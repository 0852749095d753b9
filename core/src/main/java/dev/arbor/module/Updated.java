package dev.arbor.module;

/**
 * The result of {@link Module#callAndUpdate}: the call's output and the module holding the state
 * after the call.
 *
 * @param output the output of the call (may be {@code null} if the module returns it)
 * @param module the updated module, never {@code null}
 * @param <O> the output type
 * @param <M> the module type
 */
public record Updated<O, M>(O output, M module) {
  /** Checks that {@code module} is not {@code null}. */
  public Updated {
    if (module == null) {
      throw new IllegalArgumentException("Updated needs the updated module, got null");
    }
  }
}
