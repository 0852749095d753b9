package dev.arbor;

import dev.arbor.array.Tensor;

/**
 * A scalar to differentiate plus auxiliary data that is returned but not differentiated (for {@link
 * Arbor#gradWithAux}).
 *
 * @param value the scalar loss
 * @param aux anything else to return (metrics, new state); may hold tensors
 * @param <A> the auxiliary data type
 */
public record WithAux<A>(Tensor value, A aux) {}
