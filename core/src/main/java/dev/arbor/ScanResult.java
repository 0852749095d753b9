package dev.arbor;

/**
 * What a {@link Arbor#scan} body returns, and what scan returns: the carry, and the per-step
 * outputs (stacked along a new leading axis in scan's result).
 *
 * @param carry the carry (same structure, shapes and dtypes every step)
 * @param ys the per-step outputs (a pytree; may be null for none)
 * @param <C> the carry type
 * @param <Y> the per-step output type
 */
public record ScanResult<C, Y>(C carry, Y ys) {}
