package dev.arbor.nn;

/** Padding of a convolution. */
public enum Padding {
  /** No padding: the output covers only positions where the whole kernel fits. */
  VALID,
  /**
   * Zero padding so that the output has {@code ceil(size / stride)} positions (the odd pixel at the
   * bottom/right, as in TensorFlow and JAX).
   */
  SAME
}
