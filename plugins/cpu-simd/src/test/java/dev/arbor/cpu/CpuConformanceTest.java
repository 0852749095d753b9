package dev.arbor.cpu;

import dev.arbor.testkit.BackendConformanceSuite;

/** The backend conformance suite on cpu-simd. */
class CpuConformanceTest extends BackendConformanceSuite {
  @Override
  protected String backendName() {
    return CpuBackend.NAME;
  }
}
