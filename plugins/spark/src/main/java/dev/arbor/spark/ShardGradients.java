package dev.arbor.spark;

import dev.arbor.Arbor;
import dev.arbor.Jitted;
import dev.arbor.ValueAndGrad;
import dev.arbor.array.Tensor;
import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Executor side: the gradient of the loss on one shard with {@code jit(valueAndGrad(loss))}.
 *
 * <p>The jitted function is cached per training run in this JVM, so each executor traces and
 * compiles once per shard shape, not once per task (tasks deserialize a fresh copy of the loss
 * lambda every step, which would otherwise defeat jit's cache).
 */
final class ShardGradients {
  private static final int MAX_RUNS = 16;

  private static final Map<String, Jitted<Args, ValueAndGrad<Object>>> JITTED =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @java.io.Serial private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(
                Map.Entry<String, Jitted<Args, ValueAndGrad<Object>>> e) {
              return size() > MAX_RUNS;
            }
          });

  private ShardGradients() {}

  /** The jit argument: a pytree of parameters and batch. */
  record Args(Object params, Object batch) {}

  /** The shard's contribution: gradient leaves and loss weighted by its example count. */
  static Partial compute(String runId, Loss<?, ?> loss, Object params, Object shard) {
    long n = examples(shard);
    ValueAndGrad<Object> vg = jitted(runId, loss).apply(new Args(params, shard));
    List<Object> leaves = Trees.leaves(vg.grad());
    List<Tensor> weighted = new ArrayList<>(leaves.size());
    for (Object g : leaves) {
      weighted.add(((Tensor) g).mul((double) n));
    }
    return new Partial(weighted, vg.value().item() * n, n);
  }

  /** The number of examples in a shard: axis 0 of its first leaf (all leaves must agree). */
  static long examples(Object shard) {
    List<Object> leaves = Trees.leaves(shard);
    long n = -1;
    for (Object leaf : leaves) {
      if (leaf instanceof Tensor t) {
        if (t.rank() == 0) {
          throw new IllegalArgumentException(
              "a data shard's tensors need the examples on axis 0; got a scalar in " + shard);
        }
        int d = t.shape().dim(0);
        if (n >= 0 && d != n) {
          throw new IllegalArgumentException(
              "a data shard's tensors disagree on the number of examples (axis 0): "
                  + n
                  + " vs "
                  + d
                  + " in "
                  + Trees.structure(shard));
        }
        n = d;
      }
    }
    if (n < 0) {
      throw new IllegalArgumentException("a data shard holds no tensor: " + shard);
    }
    return n;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Jitted<Args, ValueAndGrad<Object>> jitted(String runId, Loss<?, ?> loss) {
    return JITTED.computeIfAbsent(
        runId,
        id -> {
          Loss<Object, Object> f = (Loss) loss;
          var vg = Arbor.<Object, Object>valueAndGrad(f);
          return Arbor.jit((Args a) -> vg.apply(a.params(), a.batch()));
        });
  }
}
