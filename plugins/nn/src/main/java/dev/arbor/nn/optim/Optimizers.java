package dev.arbor.nn.optim;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.tree.KeyPath;
import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * The optimizers and gradient transformations (optax's names): {@link #sgd}, {@link #adam}, {@link
 * #adamw}, {@link #clipByGlobalNorm}, {@link #chain}, and {@link #applyUpdates}.
 *
 * <p>Every function here is pure: nothing is mutated, the same inputs give the same outputs.
 * Integer and boolean leaves (keys, counters) are not trained: their "update" is whatever the
 * gradient tree holds there, and {@link #applyUpdates} keeps the parameter.
 */
public final class Optimizers {
  private Optimizers() {}

  /**
   * The state of {@link #sgd}: the step count and the momentum (velocity) tree, or {@code null}.
   */
  public record SgdState(Tensor count, Object momentum) {}

  /** The state of {@link #adam} and {@link #adamw}: step count, first and second moments. */
  public record AdamState(Tensor count, Object mu, Object nu) {}

  /** The state of a transformation without state ({@link #clipByGlobalNorm}). */
  public record EmptyState() {}

  /** The state of {@link #chain}: one state per part, in order. */
  public record ChainState(List<Object> states) {}

  // ------------------------------------------------------------ tree helpers

  /** Whether a leaf is trained: a float tensor. */
  static boolean trainable(Object leaf) {
    return leaf instanceof Tensor t && t.dtype().isFloating();
  }

  /** Zeros in place of every float leaf; other leaves are kept (they are never trained). */
  static <T> T zerosLike(T tree) {
    return Trees.map(
        leaf ->
            trainable(leaf)
                ? Tensor.full(0, ((Tensor) leaf).dtype(), ((Tensor) leaf).shape().dims())
                : leaf,
        tree);
  }

  /** {@code params + updates}, leaf by leaf, keeping each parameter's dtype; others unchanged. */
  public static <P> P applyUpdates(P params, P updates) {
    return Trees.map(
        (p, u) -> {
          if (trainable(p) && u instanceof Tensor ut) {
            Tensor pt = (Tensor) p;
            return pt.add(ut).astype(pt.dtype());
          }
          return p;
        },
        params,
        updates);
  }

  /** The Euclidean norm of all float leaves of {@code tree} together (an F32 scalar). */
  public static Tensor globalNorm(Object tree) {
    Tensor sum = Tensor.scalar(0);
    for (Object leaf : Trees.leaves(tree)) {
      if (trainable(leaf)) {
        Tensor t = (Tensor) leaf;
        sum = sum.add(t.mul(t).sum().astype(DType.F32));
      }
    }
    return Ops.sqrt(sum);
  }

  private static Tensor increment(Tensor count) {
    return count.add(1L);
  }

  private static Tensor zeroCount() {
    return Tensor.scalar(0, DType.I32);
  }

  private static Tensor scaled(Object leaf, Tensor factor) {
    Tensor t = (Tensor) leaf;
    return t.mul(factor.astype(t.dtype()));
  }

  // ------------------------------------------------------------ SGD

  /** Plain SGD with a constant rate: {@code update = -lr * grad}. */
  public static Optimizer<SgdState> sgd(double learningRate) {
    return sgd(Schedule.constant(learningRate), 0, false);
  }

  /** SGD with (heavy-ball) momentum: {@code v = momentum * v + grad; update = -lr * v}. */
  public static Optimizer<SgdState> sgd(double learningRate, double momentum) {
    return sgd(Schedule.constant(learningRate), momentum, false);
  }

  /**
   * SGD as optax: {@code v = momentum * v + grad}, update {@code -lr * v}, or with {@code nesterov}
   * {@code -lr * (grad + momentum * v)}. {@code momentum == 0} keeps no velocity.
   */
  public static Optimizer<SgdState> sgd(Schedule learningRate, double momentum, boolean nesterov) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("sgd momentum must be in [0, 1), got " + momentum);
    }
    return new Optimizer<>() {
      @Override
      public SgdState init(Object params) {
        return new SgdState(zeroCount(), momentum == 0 ? null : zerosLike(params));
      }

      @Override
      public <P> Step<P, SgdState> update(P grads, SgdState state, P params) {
        Tensor lr = learningRate.at(state.count()).neg();
        if (momentum == 0) {
          P updates = Trees.map(g -> trainable(g) ? scaled(g, lr) : g, grads);
          return new Step<>(updates, new SgdState(increment(state.count()), null));
        }
        Object velocity =
            Trees.map(
                (g, v) -> trainable(g) ? ((Tensor) v).mul(momentum).add((Tensor) g) : v,
                grads,
                state.momentum());
        P updates =
            Trees.map(
                (g, v) -> {
                  if (!trainable(g)) {
                    return g;
                  }
                  Tensor d = nesterov ? ((Tensor) g).add(((Tensor) v).mul(momentum)) : (Tensor) v;
                  return scaled(d, lr);
                },
                grads,
                velocity);
        return new Step<>(updates, new SgdState(increment(state.count()), velocity));
      }
    };
  }

  // ------------------------------------------------------------ Adam / AdamW

  /** Adam with b1 = 0.9, b2 = 0.999, eps = 1e-8. */
  public static Optimizer<AdamState> adam(double learningRate) {
    return adam(Schedule.constant(learningRate), 0.9, 0.999, 1e-8);
  }

  /** Adam (Kingma and Ba) with bias-corrected moments, as optax's {@code adam}. */
  public static Optimizer<AdamState> adam(Schedule learningRate, double b1, double b2, double eps) {
    return adamLike(learningRate, b1, b2, eps, 0);
  }

  /** AdamW with b1 = 0.9, b2 = 0.999, eps = 1e-8. */
  public static Optimizer<AdamState> adamw(double learningRate, double weightDecay) {
    return adamw(Schedule.constant(learningRate), 0.9, 0.999, 1e-8, weightDecay);
  }

  /** Weight decay on every float leaf (optax's default: no mask). */
  public static final BiPredicate<KeyPath, Tensor> DECAY_ALL = (path, leaf) -> true;

  /**
   * Weight decay only on leaves of rank 2 or more (dense weights, convolution kernels, embeddings):
   * not on biases, normalization scales and offsets, or BatchNorm's running statistics.
   */
  public static final BiPredicate<KeyPath, Tensor> DECAY_MATRICES =
      (path, leaf) -> leaf.rank() >= 2;

  /**
   * AdamW (Loshchilov and Hutter): Adam plus decoupled weight decay, {@code update = -lr * (m̂ /
   * (sqrt(v̂) + eps) + weightDecay * param)}, applied to every float leaf ({@link #DECAY_ALL}, as
   * optax's default). Needs {@code params}. With BatchNorm in the model, prefer the overload with
   * {@link #DECAY_MATRICES}: decaying the running statistics biases them.
   */
  public static Optimizer<AdamState> adamw(
      Schedule learningRate, double b1, double b2, double eps, double weightDecay) {
    return adamw(learningRate, b1, b2, eps, weightDecay, DECAY_ALL);
  }

  /** AdamW decaying only the leaves for which {@code decay(keyPath, leaf)} holds. */
  public static Optimizer<AdamState> adamw(
      Schedule learningRate,
      double b1,
      double b2,
      double eps,
      double weightDecay,
      BiPredicate<KeyPath, Tensor> decay) {
    if (!(weightDecay >= 0) || decay == null) {
      throw new IllegalArgumentException(
          "adamw needs weightDecay >= 0 and a decay mask, got " + weightDecay + ", " + decay);
    }
    return adamLike(learningRate, b1, b2, eps, weightDecay, decay);
  }

  private static Optimizer<AdamState> adamLike(
      Schedule learningRate, double b1, double b2, double eps, double weightDecay) {
    return adamLike(learningRate, b1, b2, eps, weightDecay, DECAY_ALL);
  }

  private static Optimizer<AdamState> adamLike(
      Schedule learningRate,
      double b1,
      double b2,
      double eps,
      double weightDecay,
      BiPredicate<KeyPath, Tensor> decay) {
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1 && eps >= 0)) {
      throw new IllegalArgumentException(
          "adam needs 0 <= b1, b2 < 1 and eps >= 0, got " + b1 + ", " + b2 + ", " + eps);
    }
    return new Optimizer<>() {
      @Override
      public AdamState init(Object params) {
        return new AdamState(zeroCount(), zerosLike(params), zerosLike(params));
      }

      @Override
      public <P> Step<P, AdamState> update(P grads, AdamState state, P params) {
        if (weightDecay > 0 && params == null) {
          throw new IllegalArgumentException(
              "adamw needs the parameters for weight decay: update(grads, state, params)");
        }
        Tensor count = increment(state.count());
        Tensor t = count.astype(DType.F32);
        // bias corrections 1 - b^t, as tensors so that a traced count works
        Tensor c1 = Ops.exp(t.mul(Math.log(b1))).neg().add(1.0);
        Tensor c2 = Ops.exp(t.mul(Math.log(b2))).neg().add(1.0);
        Tensor lr = learningRate.at(state.count()).neg();
        Object mu =
            Trees.map(
                (g, m) -> trainable(g) ? ((Tensor) m).mul(b1).add(((Tensor) g).mul(1 - b1)) : m,
                grads,
                state.mu());
        Object nu =
            Trees.map(
                (g, v) ->
                    trainable(g)
                        ? ((Tensor) v).mul(b2).add(((Tensor) g).mul((Tensor) g).mul(1 - b2))
                        : v,
                grads,
                state.nu());
        Object ps = params == null ? grads : params;
        // Leaf by leaf, in flatten order; whether weight decay applies comes from ps's key paths.
        List<Object> gs = Trees.leaves(grads);
        List<Object> ms = Trees.leaves(mu);
        List<Object> vs = Trees.leaves(nu);
        List<Map.Entry<KeyPath, Object>> pl = Trees.leavesWithPath(ps);
        List<Object> out = new ArrayList<>(gs.size());
        for (int i = 0; i < gs.size(); i++) {
          if (!trainable(gs.get(i))) {
            out.add(gs.get(i));
            continue;
          }
          Tensor m = (Tensor) ms.get(i);
          Tensor v = (Tensor) vs.get(i);
          Tensor mHat = m.div(c1.astype(m.dtype()));
          Tensor vHat = v.div(c2.astype(v.dtype()));
          Tensor d = mHat.div(Ops.sqrt(vHat).add(eps));
          Object p = pl.get(i).getValue();
          if (weightDecay > 0 && trainable(p) && decay.test(pl.get(i).getKey(), (Tensor) p)) {
            d = d.add(((Tensor) p).mul(weightDecay));
          }
          out.add(scaled(d, lr));
        }
        P updates = Trees.unflatten(Trees.structure(grads), out);
        return new Step<>(updates, new AdamState(count, mu, nu));
      }
    };
  }

  // ------------------------------------------------------------ clipping and chains

  /**
   * Scales the whole gradient tree by {@code maxNorm / max(globalNorm, maxNorm)}: unchanged when
   * its global norm is at most {@code maxNorm}, else rescaled to that norm.
   */
  public static Optimizer<EmptyState> clipByGlobalNorm(double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("clipByGlobalNorm needs maxNorm > 0, got " + maxNorm);
    }
    return new Optimizer<>() {
      @Override
      public EmptyState init(Object params) {
        return new EmptyState();
      }

      @Override
      public <P> Step<P, EmptyState> update(P grads, EmptyState state, P params) {
        Tensor max = Tensor.scalar(maxNorm);
        Tensor factor = max.div(Ops.maximum(globalNorm(grads), max));
        P updates = Trees.map(g -> trainable(g) ? scaled(g, factor) : g, grads);
        return new Step<>(updates, state);
      }
    };
  }

  /**
   * The transformations applied in order, each to the previous one's updates (optax's {@code
   * chain}): {@code chain(clipByGlobalNorm(1), adam(1e-3))}.
   */
  public static Optimizer<ChainState> chain(Optimizer<?>... parts) {
    List<Optimizer<?>> list = List.copyOf(Arrays.asList(parts));
    return new Optimizer<>() {
      @Override
      public ChainState init(Object params) {
        List<Object> states = new ArrayList<>();
        for (Optimizer<?> o : list) {
          states.add(o.init(params));
        }
        return new ChainState(states);
      }

      @Override
      @SuppressWarnings("unchecked")
      public <P> Step<P, ChainState> update(P grads, ChainState state, P params) {
        if (state.states().size() != list.size()) {
          throw new IllegalArgumentException(
              "chain of "
                  + list.size()
                  + " transformations got a state for "
                  + state.states().size()
                  + "; make it with the same chain's init");
        }
        P updates = grads;
        List<Object> next = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
          Optimizer<Object> o = (Optimizer<Object>) list.get(i);
          Step<P, Object> s = o.update(updates, state.states().get(i), params);
          updates = s.updates();
          next.add(s.state());
        }
        return new Step<>(updates, new ChainState(next));
      }
    };
  }
}
