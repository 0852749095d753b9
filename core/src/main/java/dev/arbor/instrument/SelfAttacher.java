package dev.arbor.instrument;

/**
 * Service interface: installs Arbor's instrumentation into the running JVM. The {@code arbor-agent}
 * artifact provides it; core finds it with {@link java.util.ServiceLoader} on first module use
 * (unless {@code -Darbor.selfAttach=false}), so core never depends on the agent at compile time.
 */
public interface SelfAttacher {
  /**
   * Installs the instrumentation (idempotent) and retransforms module classes already loaded.
   *
   * @throws IllegalStateException when the JVM forbids it; the message names the flag or the {@code
   *     -javaagent} argument that fixes it
   */
  void install();
}
