package dev.arbor.backend;

/**
 * Memory owned by a backend that holds one tensor's elements. Released when the owning tensor is
 * garbage-collected (through a {@link java.lang.ref.Cleaner}) or eagerly at the end of an {@code
 * Arbor.scope()} block.
 */
public interface Buffer {
  /** Size in bytes. */
  long byteSize();

  /** Frees the memory; idempotent and thread-safe. */
  void release();

  /** Whether {@link #release} has run. */
  boolean isReleased();

  /**
   * Waits until every computation the backend has queued so far (this buffer's included) has
   * finished, and reports an asynchronous failure. Backends that run synchronously (reference,
   * cpu-simd) return at once; {@code Tensor.blockUntilReady()} calls this.
   */
  default void awaitReady() {}
}
