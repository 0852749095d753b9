package dev.arbor.module;

import dev.arbor.random.Key;

/**
 * Makes a functional module from an init key and an example input (Oryx's {@code init(f)(key, x)});
 * returned by {@link State#init}.
 *
 * @param <I> the input type
 * @param <O> the output type
 */
@FunctionalInterface
public interface Initializer<I, O> {
  /**
   * Runs the function once on {@code example} with {@code initKey}, collects the variables it
   * declares and returns a module holding them. Inside another {@code init} the module nests into
   * the outer one (named: one variable; unnamed: its variables flat); inside a later call of that
   * outer module it returns the stored module instead of initializing again.
   *
   * @throws IllegalArgumentException if a variable or inner module name is declared twice
   */
  Module<I, O> apply(Key initKey, I example);
}
