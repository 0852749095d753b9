package dev.arbor.transform.jit;

import dev.arbor.core.Graph;

/**
 * A function staged on abstract inputs: its graph and its output structure.
 *
 * @param graph the staged graph (inputs in argument order; closed-over values are constants)
 * @param structure the {@link FlatResult#structure()} the function reported
 */
public record Staged(Graph graph, Object structure) {}
