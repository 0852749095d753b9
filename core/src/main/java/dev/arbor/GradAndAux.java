package dev.arbor;

/**
 * A gradient plus the auxiliary data the function returned.
 *
 * @param grad the gradient, shaped like the argument
 * @param aux the auxiliary data
 * @param value the scalar value that was differentiated
 * @param <T> the argument type
 * @param <A> the auxiliary data type
 */
public record GradAndAux<T, A>(T grad, A aux, dev.arbor.array.Tensor value) {}
