/**
 * Public surface of Arbor's GPU plugin: {@link dev.arbor.gpu.GpuException}. The backends themselves
 * ({@code cuda}, {@code opencl}) are reached through {@code dev.arbor.backend.Backends} and {@code
 * Tensor.to(name)}; see {@code docs/gpu.md}.
 */
package dev.arbor.gpu;
