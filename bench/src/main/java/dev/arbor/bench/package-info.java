/**
 * JMH benchmarks: machine probes (FMA peak, memory bandwidth) and Arbor workloads (GEMM, fused
 * elementwise + reduction) on cpu-simd with the reference backend beside them. Results and the
 * commands that produced them are in {@code docs/benchmarks.md}.
 */
package dev.arbor.bench;
