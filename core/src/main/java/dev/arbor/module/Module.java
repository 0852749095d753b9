package dev.arbor.module;

/**
 * A module: an immutable pytree that is also a function. See {@code shared/STATE.md}.
 *
 * @param <I> the input type (a record for several arguments)
 * @param <O> the output type
 */
public interface Module<I, O> {
  /** The function. Pure outside a state context. */
  O call(I input);

  /** Optional name of this module; {@code null} by default. */
  default String name() {
    return null;
  }
}
