package dev.arbor;

import dev.arbor.array.Tensor;

/**
 * The value of a scalar function and its gradient.
 *
 * @param value the function's value (a scalar tensor)
 * @param grad the gradient, with the structure and type of the differentiated argument
 * @param <T> the argument type
 */
public record ValueAndGrad<T>(Tensor value, T grad) {}
