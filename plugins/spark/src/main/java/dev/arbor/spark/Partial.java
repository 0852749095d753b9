package dev.arbor.spark;

import dev.arbor.array.Tensor;
import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One shard's contribution to a step, in the form that sums: its gradient leaves multiplied by its
 * example count, its loss times that count, and the count. The sum over shards, divided by the
 * total count, is the gradient and loss of the global batch mean.
 *
 * @param weightedGrads the gradient's leaves (flatten order) times {@code count}
 * @param lossSum the shard's mean loss times {@code count}
 * @param count the shard's number of examples
 */
record Partial(List<Tensor> weightedGrads, double lossSum, long count) implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  /** Leafwise sum of two contributions (the all-reduce's combine). */
  Partial plus(Partial o) {
    if (weightedGrads.size() != o.weightedGrads.size()) {
      throw new AssertionError("partial gradients of different structures");
    }
    List<Tensor> sum = new ArrayList<>(weightedGrads.size());
    for (int k = 0; k < weightedGrads.size(); k++) {
      sum.add(weightedGrads.get(k).add(o.weightedGrads.get(k)));
    }
    return new Partial(sum, lossSum + o.lossSum, count + o.count);
  }
}
