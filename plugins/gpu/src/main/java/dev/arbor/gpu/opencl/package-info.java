/** Internal: the {@code opencl} backend and its FFM bindings to {@code libOpenCL.so.1}. */
package dev.arbor.gpu.opencl;
