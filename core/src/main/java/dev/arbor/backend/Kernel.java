package dev.arbor.backend;

import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import java.util.List;

/** A backend's implementation of one primitive on its own buffers. */
@FunctionalInterface
public interface Kernel {
  /**
   * Runs the primitive.
   *
   * @param inputs the input buffers (of this backend)
   * @param inputAvals their shapes and dtypes
   * @param params the primitive's parameters
   * @param outputAvals the shapes and dtypes to produce (already validated)
   */
  List<Buffer> run(
      List<Buffer> inputs,
      List<AbstractValue> inputAvals,
      Params params,
      List<AbstractValue> outputAvals);
}
