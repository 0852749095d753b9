package dev.arbor.spark;

import dev.arbor.array.Tensor;

/**
 * What a checkpoint holds: parameters, optimizer state and the number of steps taken in the epoch.
 * A pytree (a record), so any pytree checkpoint format stores it by key path ({@code .params...},
 * {@code .optState...}, {@code .stepsDone}).
 *
 * @param params the parameters after {@code stepsDone} steps of the epoch
 * @param optState the optimizer state after those steps
 * @param stepsDone an I64 scalar: steps of the epoch already applied
 */
public record TrainingState(Object params, Object optState, Tensor stepsDone) {}
