package dev.arbor.nn;

/**
 * A layer that behaves differently in training and inference ({@link BatchNorm}, {@link Dropout}).
 * {@link Layers#inferenceMode} switches every such layer inside any pytree.
 */
public interface InferenceMode {
  /** Whether this layer is in inference mode. */
  boolean inference();

  /** This layer in inference mode ({@code true}) or training mode ({@code false}). */
  Object withInference(boolean inference);
}
