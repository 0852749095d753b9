package dev.arbor;

import dev.arbor.array.Tensor;
import dev.arbor.tree.KeyPath;
import dev.arbor.tree.TreeDef;
import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Adapts a function on pytrees to the flat lists of tensors the transformations work on: the input
 * structure is fixed at construction; the output structure is recorded on each call.
 */
final class FlatFn<T, R> implements Function<List<Tensor>, List<Tensor>> {
  private final Function<T, R> f;
  private final TreeDef inDef;
  private TreeDef outDef;
  private List<Object> outLeaves;

  FlatFn(Function<T, R> f, TreeDef inDef) {
    this.f = f;
    this.inDef = inDef;
  }

  @Override
  public List<Tensor> apply(List<Tensor> leaves) {
    T x = Trees.unflatten(inDef, leaves);
    R out = f.apply(x);
    Trees.Flat flat = Trees.flatten(out);
    outDef = flat.treeDef();
    outLeaves = flat.leaves();
    List<Tensor> tensors = new ArrayList<>();
    for (Object o : outLeaves) {
      if (o instanceof Tensor t) {
        tensors.add(t);
      }
    }
    return tensors;
  }

  TreeDef outDef() {
    return outDef;
  }

  /**
   * Rebuilds an output tree from new tensor leaves (one per tensor leaf of the last output);
   * non-tensor leaves of the output (strings, numbers) are carried over unchanged.
   */
  <X> X rebuild(List<Tensor> tensors) {
    List<Object> leaves = new ArrayList<>(outLeaves.size());
    int k = 0;
    for (Object o : outLeaves) {
      leaves.add(o instanceof Tensor ? tensors.get(k++) : o);
    }
    return Trees.unflatten(outDef, leaves);
  }

  /** The leaves of {@code tree}, which must all be tensors (else a clear error with the path). */
  static List<Tensor> tensorLeaves(Object tree, String what) {
    List<Map.Entry<KeyPath, Object>> leaves = Trees.leavesWithPath(tree);
    List<Tensor> out = new ArrayList<>(leaves.size());
    for (Map.Entry<KeyPath, Object> e : leaves) {
      if (!(e.getValue() instanceof Tensor t)) {
        throw new IllegalArgumentException(
            "the "
                + what
                + " leaf at "
                + (e.getKey().isRoot() ? "the root" : e.getKey())
                + " is a "
                + (e.getValue() == null ? "null" : e.getValue().getClass().getName())
                + ", not a Tensor; transformations take and return pytrees of tensors (mark"
                + " configuration fields @Static, or close over them)");
      }
      out.add(t);
    }
    return out;
  }

  /** A description of the function for trace and error messages. */
  static String describe(String transform, Object f) {
    String site = callSite();
    return transform
        + " of "
        + f.getClass().getSimpleName()
        + (site.isEmpty() ? "" : " at " + site);
  }

  private static String callSite() {
    return StackWalker.getInstance()
        .walk(
            s ->
                s.filter(
                        fr ->
                            !fr.getClassName().startsWith("dev.arbor.")
                                || fr.getClassName().endsWith("Test"))
                    .findFirst()
                    .map(fr -> fr.getFileName() + ":" + fr.getLineNumber())
                    .orElse(""));
  }
}
