package dev.arbor.gpu.opencl;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.testkit.BackendConformanceSuite;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shared backend conformance suite ({@code arbor-backend-testkit}) on {@code opencl}, run for
 * real on the installed OpenCL device (PoCL's CPU device in CI). Skipped, with the reason, where no
 * OpenCL device loads.
 */
class OpenClKitConformanceTest extends BackendConformanceSuite {
  @BeforeAll
  static void device() {
    Backend b =
        Backends.all().stream().filter(x -> x.name().equals("opencl")).findFirst().orElseThrow();
    assumeTrue(b.isAvailable(), () -> "no OpenCL device: " + b.unavailableReason());
  }

  @Override
  protected String backendName() {
    return OpenClBackend.NAME;
  }
}
