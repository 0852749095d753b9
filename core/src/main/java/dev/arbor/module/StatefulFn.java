package dev.arbor.module;

import dev.arbor.random.Key;

/**
 * The function of a functional module ({@link State#init(StatefulFn, String)}). It declares
 * variables with {@link State#variable} and updates them with {@link State#assign}.
 *
 * <p>At init it receives the init key (split it yourself for several variables); on later calls it
 * receives {@code Key.of(0)}, as Oryx does: randomness per call must come through the input.
 *
 * @param <I> the input type
 * @param <O> the output type
 */
@FunctionalInterface
public interface StatefulFn<I, O> {
  /** Runs the function on {@code input}; {@code initKey} is only meaningful at init. */
  O apply(I input, Key initKey);
}
