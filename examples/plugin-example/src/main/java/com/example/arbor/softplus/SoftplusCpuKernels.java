package com.example.arbor.softplus;

import dev.arbor.backend.Kernel;
import dev.arbor.backend.KernelProvider;
import dev.arbor.core.Primitive;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Contributes the {@code cpu-simd} kernel for {@code softplus}. The {@code arbor-cpu} dependency is
 * optional, so this class mentions only {@code arbor-core} types: it loads, and its {@link
 * #kernels()} runs, whether or not {@code arbor-cpu} (or the Vector API module) is present. The
 * code that uses {@code CpuBuffer} and {@code FloatVector} is in {@link SoftplusSimd}, which the
 * JVM loads only when the kernel first runs — and it runs only on a live {@code cpu-simd} backend.
 */
public final class SoftplusCpuKernels implements KernelProvider {
  private static final AtomicLong CALLS = new AtomicLong();

  /** Public for ServiceLoader. */
  public SoftplusCpuKernels() {}

  @Override
  public String backend() {
    return "cpu-simd";
  }

  @Override
  public Map<Primitive, Kernel> kernels() {
    // A lambda whose body calls SoftplusSimd: SoftplusSimd (and with it arbor-cpu and the Vector
    // API) is loaded when the kernel first runs, not here, where they may be absent.
    Kernel softplus =
        (inputs, inputAvals, params, outputAvals) -> {
          CALLS.incrementAndGet();
          return SoftplusSimd.run(inputs, outputAvals);
        };
    return Map.of(Softplus.PRIMITIVE, softplus);
  }

  /** How many times the cpu-simd kernel ran in this JVM (the demo prints it; tests check it). */
  public static long calls() {
    return CALLS.get();
  }
}
