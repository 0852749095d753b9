package dev.arbor.core;

import java.util.List;

/**
 * One primitive application in a graph: {@code outputs = primitive[params](inputs)}.
 *
 * @param primitive the primitive
 * @param inputs input variables (graph inputs, constants or earlier outputs)
 * @param params static parameters
 * @param outputs output variables
 */
public record Equation(Primitive primitive, List<Var> inputs, Params params, List<Var> outputs) {
  public Equation {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }
}
