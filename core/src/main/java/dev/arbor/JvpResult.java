package dev.arbor;

/**
 * Result of {@link Arbor#jvp}: the output and its tangent, both shaped like the output.
 *
 * @param primal the function's output
 * @param tangent the directional derivative along the given tangents
 * @param <R> the output type
 */
public record JvpResult<R>(R primal, R tangent) {}
