package dev.arbor.nn;

import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.List;

/** Operations over whole models. */
public final class Layers {
  private Layers() {}

  /**
   * {@code model} with every {@link InferenceMode} layer inside it (at any depth: in records,
   * lists, maps, {@link Sequential}) switched to inference ({@code true}) or training ({@code
   * false}) mode, as Equinox's {@code nn.inference_mode}. Other values are kept as they are.
   */
  public static <T> T inferenceMode(T model, boolean inference) {
    Trees.Flat flat = Trees.flatten(model, o -> o instanceof InferenceMode);
    List<Object> leaves = new ArrayList<>(flat.leaves().size());
    for (Object leaf : flat.leaves()) {
      leaves.add(leaf instanceof InferenceMode m ? m.withInference(inference) : leaf);
    }
    return Trees.unflatten(flat.treeDef(), leaves);
  }
}
