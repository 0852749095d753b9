package dev.arbor.cpu;

import dev.arbor.testkit.BackendConformanceSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The conformance suite with every new buffer filled with garbage (0xFF bytes) first: the pool does
 * not zero memory, so a kernel that accumulates into its output without initializing it, or leaves
 * elements unwritten, fails here.
 */
class PoisonedConformanceTest extends BackendConformanceSuite {
  @BeforeAll
  static void poison() {
    BufferPool.poison = true;
  }

  @AfterAll
  static void unpoison() {
    BufferPool.poison = false;
  }

  @Override
  protected String backendName() {
    return CpuBackend.NAME;
  }
}
