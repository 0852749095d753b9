/**
 * The {@code cpu-simd} backend. {@link dev.arbor.cpu.CpuBackend} is the provider; {@link
 * dev.arbor.cpu.CpuBuffer} its off-heap buffer (with a live-buffer counter for leak tests). Kernels
 * and the thread pool are package-private. See {@code docs/design/cpu-backend.md}.
 */
package dev.arbor.cpu;
