/**
 * The backend conformance suite: subclass {@link dev.arbor.testkit.BackendConformanceSuite} in a
 * backend's tests and name the backend; every case compares it with the reference backend.
 */
module dev.arbor.testkit {
  requires transitive dev.arbor;
  requires transitive org.junit.jupiter.api;

  exports dev.arbor.testkit;
}
