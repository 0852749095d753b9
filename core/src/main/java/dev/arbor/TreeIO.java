package dev.arbor;

import dev.arbor.array.Tensor;
import dev.arbor.tree.TreeDef;
import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A pytree split into its tensor leaves and a template (structure plus non-tensor leaves), so that
 * flat-list machinery can carry it and rebuild it.
 */
record TreeIO(TreeDef def, List<Object> template, List<Tensor> tensors) {
  private enum Slot {
    TENSOR
  }

  static TreeIO of(Object tree) {
    Trees.Flat flat = Trees.flatten(tree);
    List<Object> template = new ArrayList<>(flat.leaves().size());
    List<Tensor> tensors = new ArrayList<>();
    for (Object leaf : flat.leaves()) {
      if (leaf instanceof Tensor t) {
        tensors.add(t);
        template.add(Slot.TENSOR);
      } else {
        template.add(leaf);
      }
    }
    return new TreeIO(flat.treeDef(), template, tensors);
  }

  /** Rebuilds this tree's structure around new tensors. */
  <T> T rebuild(List<Tensor> newTensors) {
    if (newTensors.size() != tensors.size()) {
      throw new AssertionError("expected " + tensors.size() + " tensors, got " + newTensors.size());
    }
    List<Object> leaves = new ArrayList<>(template.size());
    int k = 0;
    for (Object o : template) {
      leaves.add(o == Slot.TENSOR ? newTensors.get(k++) : o);
    }
    return Trees.unflatten(def, leaves);
  }

  /** Whether {@code other} has this structure and the same non-tensor leaves. */
  boolean sameShapeAs(TreeIO other) {
    return def.equals(other.def) && template.equals(other.template);
  }

  /**
   * A flat function for {@code f} applied to trees shaped like {@code in}; records the output's
   * shape in {@code out[0]} (the first call), and checks later calls return the same structure.
   */
  static <A, B> Function<List<Tensor>, List<Tensor>> flat(
      Function<A, B> f, TreeIO in, TreeIO[] out, String what) {
    return l -> {
      TreeIO o = of(f.apply(in.rebuild(l)));
      if (out[0] == null) {
        out[0] = o;
      } else if (!out[0].sameShapeAs(o)) {
        throw new IllegalArgumentException(
            what + " must return the same structure each time: " + out[0].def + " vs " + o.def);
      }
      return o.tensors;
    };
  }
}
