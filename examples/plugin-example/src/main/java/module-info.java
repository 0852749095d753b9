/**
 * An example Arbor plugin: the {@code softplus} primitive (with a {@code cpu-simd} kernel), a
 * softplus dense layer, a node type contributed through {@link java.util.ServiceLoader} and a
 * {@code @PytreeNode} class found by scanning. Works on the class path (META-INF/services) and on
 * the module path (provides).
 */
module com.example.arbor.softplus {
  requires transitive dev.arbor; // its public API uses Arbor types

  // Optional: only the cpu-simd kernel uses them, and it runs only where they are present.
  requires static dev.arbor.cpu;
  requires static jdk.incubator.vector;

  exports com.example.arbor.softplus;

  // Arbor flattens the records and the @PytreeNode class by reflection.
  opens com.example.arbor.softplus to
      dev.arbor;

  provides dev.arbor.core.PrimitiveProvider with
      com.example.arbor.softplus.Softplus;
  provides dev.arbor.tree.spi.NodeType with
      com.example.arbor.softplus.IntervalNodeType;
  provides dev.arbor.backend.KernelProvider with
      com.example.arbor.softplus.SoftplusCpuKernels;
}
