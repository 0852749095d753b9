package dev.arbor.transform.jit;

import dev.arbor.array.Tensor;
import java.util.List;

/**
 * Outputs of a {@link FlatFunction}: the tensors, and an opaque description of how they are
 * arranged (the pytree layer's output {@code TreeDef}), which {@code jit} caches beside the
 * executable so that a cache hit can rebuild the output without running the function.
 *
 * @param outputs the output tensors, none null
 * @param structure how the caller arranges them; may be null
 */
public record FlatResult(List<Tensor> outputs, Object structure) {
  /** Outputs with no structure. */
  public static FlatResult of(List<Tensor> outputs) {
    return new FlatResult(outputs, null);
  }
}
