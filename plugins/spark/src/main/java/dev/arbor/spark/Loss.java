package dev.arbor.spark;

import dev.arbor.array.Tensor;
import java.io.Serializable;
import java.util.function.BiFunction;

/**
 * A training loss {@code (params, batch) -> scalar} that Spark can ship to executors: a lambda or
 * method reference assigned to this type is serializable ({@code Model::loss} works).
 *
 * <p>Contract: the loss is the <b>mean</b> over the examples of {@code batch} (its leaves' axis 0),
 * so that the data-parallel gradient, a mean of per-shard gradients weighted by shard sizes, equals
 * the gradient of the loss on the whole global batch.
 *
 * @param <P> the parameters, a pytree of tensors
 * @param <D> a batch, a pytree whose leaves have the examples on axis 0
 */
@FunctionalInterface
public interface Loss<P, D> extends BiFunction<P, D, Tensor>, Serializable {}
