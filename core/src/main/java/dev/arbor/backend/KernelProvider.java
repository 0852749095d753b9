package dev.arbor.backend;

import dev.arbor.core.Primitive;
import java.util.Map;

/**
 * Kernels that a third party contributes to a backend it does not own: typically a plugin's own
 * primitive on {@code cpu-simd}, or a kernel for a primitive the backend lacks. Found by {@link
 * java.util.ServiceLoader} ({@code META-INF/services/dev.arbor.backend.KernelProvider}, or {@code
 * provides} in a {@code module-info.java}) or contributed by a jar that {@code Arbor.loadPlugins}
 * loads.
 *
 * <p>Lookup order for a primitive on a backend: the backend's own {@link Backend#kernel}, then a
 * kernel registered here for that backend's name, then the reference kernel on host copies (with a
 * one-time warning). So a provider can fill gaps but never replaces a backend's own kernel; two
 * providers for the same backend and primitive are a conflict (reported; on the class path the
 * provider class name that sorts first wins, a jar loaded at run time is refused).
 *
 * <p>A kernel receives the buffers of the backend it is registered for; its implementation may
 * depend on that backend's buffer class. Implementations need a public no-arg constructor; {@link
 * #kernels} is called once.
 *
 * {@snippet :
 * public final class SoftplusKernels implements KernelProvider {
 *   public String backend() { return "reference"; }
 *   public Map<Primitive, Kernel> kernels() { return Map.of(Softplus.PRIMITIVE, Softplus::run); }
 * }
 * }
 */
public interface KernelProvider {
  /** The name of the backend these kernels run on ({@code reference}, {@code cpu-simd}, …). */
  String backend();

  /** The kernels, keyed by primitive; never {@code null}. */
  Map<Primitive, Kernel> kernels();
}
