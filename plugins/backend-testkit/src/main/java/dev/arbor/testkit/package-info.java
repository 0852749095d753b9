/**
 * Backend conformance: {@link dev.arbor.testkit.BackendConformanceSuite} (abstract JUnit 5 suite),
 * the primitive case table ({@link dev.arbor.testkit.PrimitiveCases}) and the comparison with
 * documented tolerances ({@link dev.arbor.testkit.Tolerance}).
 */
package dev.arbor.testkit;
