package dev.arbor.testkit;

/**
 * Runs the suite on the reference backend itself: it must pass trivially, which checks that the
 * case table is well-formed (every case passes its primitive's shape rule and reference kernel).
 */
class ReferenceConformanceTest extends BackendConformanceSuite {
  @Override
  protected String backendName() {
    return "reference";
  }
}
