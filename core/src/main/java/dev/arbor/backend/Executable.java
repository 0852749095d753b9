package dev.arbor.backend;

import dev.arbor.array.Tensor;
import dev.arbor.core.Graph;
import java.util.List;

/** A compiled graph: runs on concrete tensors of its backend. Thread-safe. */
@FunctionalInterface
public interface Executable {
  /** Runs the graph on its inputs (one per graph input), returning one tensor per output. */
  List<Tensor> execute(List<Tensor> inputs);

  /** An executable that evaluates the graph equation by equation. */
  static Executable interpreting(Graph graph) {
    return graph::evaluate;
  }
}
