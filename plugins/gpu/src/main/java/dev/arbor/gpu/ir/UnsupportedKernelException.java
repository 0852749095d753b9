package dev.arbor.gpu.ir;

/**
 * Thrown by {@link Lowering} and the emitters for a graph, primitive or element type they cannot
 * generate code for. The backends catch it and run the primitive's reference kernel on host copies
 * (with a one-time warning), so it never reaches users as a failure.
 */
public final class UnsupportedKernelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnsupportedKernelException(String message) {
    super(message);
  }
}
