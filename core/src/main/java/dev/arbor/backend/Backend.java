package dev.arbor.backend;

import dev.arbor.core.Graph;
import dev.arbor.core.Primitive;
import java.util.Optional;

/**
 * A place where tensors live and primitives run. Found by {@link java.util.ServiceLoader} ({@code
 * META-INF/services/dev.arbor.backend.Backend}), chosen by {@link #rank()} among the available
 * ones, overridden by {@code -Darbor.backend=NAME} or {@code ARBOR_BACKEND}. Several backends can
 * be live at once; {@code Tensor.to(name)} copies between them.
 *
 * <p>A backend need not implement every primitive: where {@link #kernel} is empty, Arbor runs the
 * reference kernel on host copies and warns once.
 *
 * <p>Implementations must be thread-safe.
 */
public interface Backend {
  /** Unique name: {@code reference}, {@code cpu-simd}, {@code cuda}, {@code opencl}, … */
  String name();

  /** Whether this backend can run here (its device and libraries are present). */
  boolean isAvailable();

  /** Why {@link #isAvailable()} is false (shown by {@code Arbor.describe()}); empty otherwise. */
  default String unavailableReason() {
    return "";
  }

  /** Preference among available backends: higher wins. The reference backend is 0. */
  int rank();

  /** Copies host data into a new buffer of this backend. */
  Buffer upload(HostArray data);

  /** Copies a buffer of this backend to the host. */
  HostArray download(Buffer buffer);

  /** This backend's eager kernel for {@code p}, if it has one. */
  Optional<Kernel> kernel(Primitive p);

  /**
   * Compiles a staged graph (from {@code jit}). The default interprets the graph primitive by
   * primitive with this backend's kernels.
   */
  default Executable compile(Graph graph) {
    return Executable.interpreting(graph);
  }
}
