/**
 * Splittable, counter-based pseudo-random numbers, as {@code jax.random}: a {@link
 * dev.arbor.random.Key} is a value (no hidden state); {@link dev.arbor.random.Key#split} derives
 * independent keys and {@link dev.arbor.random.Random} turns a key into samples. Every function is
 * built from primitives (the {@code threefry2x32} hash among them), so it runs under {@code vmap},
 * {@code jit} and differentiation, and gives the same numbers for the same key on every thread and
 * backend.
 */
package dev.arbor.random;
