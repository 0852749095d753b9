/**
 * Arbor's GPU backends: {@code cuda} (the CUDA driver API in {@code libcuda.so.1}, PTX we generate)
 * and {@code opencl} ({@code libOpenCL.so.1}, OpenCL C we generate), both through the Foreign
 * Function & Memory API. Put the jar on the class or module path and run with {@code
 * --enable-native-access=dev.arbor.gpu} (or {@code ALL-UNNAMED} on the class path); Arbor finds the
 * backends through {@link java.util.ServiceLoader} and prefers one whose device is present.
 */
module dev.arbor.gpu {
  requires transitive dev.arbor;

  exports dev.arbor.gpu;
  exports dev.arbor.gpu.ir;

  provides dev.arbor.backend.Backend with
      dev.arbor.gpu.cuda.CudaBackend,
      dev.arbor.gpu.opencl.OpenClBackend;
}
