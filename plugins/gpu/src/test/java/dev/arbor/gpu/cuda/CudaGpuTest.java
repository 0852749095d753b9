package dev.arbor.gpu.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.testkit.BackendConformanceSuite;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The shared conformance suite on a real NVIDIA GPU through {@code libcuda.so.1}: our PTX, JIT
 * compiled by the driver, against the reference backend. Tagged {@code gpu}; skipped, with the
 * reason, where the driver does not load or finds no device (every CI machine without a GPU).
 */
@Tag("gpu")
class CudaGpuTest extends BackendConformanceSuite {
  @BeforeAll
  static void device() {
    CudaBackend b = new CudaBackend();
    assumeTrue(b.isAvailable(), () -> "no CUDA GPU: " + b.unavailableReason());
  }

  @Override
  protected String backendName() {
    return CudaBackend.NAME;
  }
}
