/**
 * The {@code cpu-simd} backend: off-heap buffers and Java Vector API kernels (elementwise math,
 * reductions, layout changes, blocked multi-threaded GEMM). Found by {@link
 * java.util.ServiceLoader} as a {@link dev.arbor.backend.Backend}; needs {@code --add-modules
 * jdk.incubator.vector} at run time (without it the backend reports itself unavailable and Arbor
 * uses the reference backend).
 */
module dev.arbor.cpu {
  requires transitive dev.arbor;
  requires jdk.incubator.vector;

  exports dev.arbor.cpu;

  provides dev.arbor.backend.Backend with
      dev.arbor.cpu.CpuBackend;
}
