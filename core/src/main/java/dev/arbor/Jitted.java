package dev.arbor;

import dev.arbor.array.Tensor;
import dev.arbor.transform.jit.FlatResult;
import dev.arbor.transform.jit.JitConfig;
import dev.arbor.transform.jit.JitFunction;
import dev.arbor.tree.TreeDef;
import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A function compiled by {@link Arbor#jit}: staged once per input signature — the argument's tree
 * structure, each tensor leaf's shape and dtype, and the values of its non-tensor leaves (which are
 * static: a different value retraces) — optimized, compiled by the default backend, and cached.
 * Called under another transformation it evaluates its cached graph, so the enclosing
 * transformation transforms the graph (the Java function is not re-run). Thread-safe.
 *
 * @param <T> the argument type
 * @param <R> the result type
 */
public final class Jitted<T, R> implements Function<T, R> {
  /** Stands in the static key for a tensor leaf. */
  private enum Slot {
    TENSOR
  }

  /** The static part of a call: the tree structure and the non-tensor leaves. */
  private record Key(TreeDef def, List<Object> leaves) {}

  /** The output arrangement: tree structure and non-tensor leaves. */
  private record Out(TreeDef def, List<Object> leaves) {}

  private final JitFunction<Key> function;

  Jitted(Function<T, R> f, String name, JitConfig config) {
    this.function =
        dev.arbor.transform.jit.Jit.jit(
            name,
            (args, key) -> {
              T x = Trees.unflatten(key.def(), merge(key.leaves(), args));
              R out = f.apply(x);
              Trees.Flat of = Trees.flatten(out);
              List<Tensor> tensors = new ArrayList<>();
              List<Object> template = split(of.leaves(), tensors);
              return new FlatResult(tensors, new Out(of.treeDef(), template));
            },
            config);
  }

  private static List<Object> split(List<Object> leaves, List<Tensor> tensors) {
    List<Object> template = new ArrayList<>(leaves.size());
    for (Object leaf : leaves) {
      if (leaf instanceof Tensor t) {
        tensors.add(t);
        template.add(Slot.TENSOR);
      } else {
        template.add(leaf);
      }
    }
    return template;
  }

  private static List<Object> merge(List<Object> template, List<Tensor> tensors) {
    List<Object> leaves = new ArrayList<>(template.size());
    int k = 0;
    for (Object o : template) {
      leaves.add(o == Slot.TENSOR ? tensors.get(k++) : o);
    }
    return leaves;
  }

  @Override
  public R apply(T x) {
    Trees.Flat flat = Trees.flatten(x);
    List<Tensor> tensors = new ArrayList<>();
    List<Object> template = split(flat.leaves(), tensors);
    FlatResult r = function.invoke(tensors, new Key(flat.treeDef(), template));
    Out out = (Out) r.structure();
    return Trees.unflatten(out.def(), merge(out.leaves(), r.outputs()));
  }

  /** How many times the function has been traced (a cache hit does not trace). */
  public long traceCount() {
    return function.traceCount();
  }

  /** Number of cached signatures. */
  public long cacheSize() {
    return function.cacheSize();
  }

  /** Drops every cached executable. */
  public void clearCache() {
    function.clearCache();
  }

  @Override
  public String toString() {
    return function.toString();
  }
}
