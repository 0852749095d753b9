package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import dev.arbor.backend.Kernel;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Primitive;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code cpu-simd} backend: tensors in off-heap {@link CpuBuffer}s, primitives run by Java
 * Vector API kernels on one shared thread pool ({@code -Darbor.threads} / {@code ARBOR_THREADS}).
 * Rank 10, above the reference backend; available when the {@code jdk.incubator.vector} module is
 * in the boot layer ({@code --add-modules jdk.incubator.vector}). Primitives without a kernel here
 * run the reference kernel on host copies (Arbor warns once per primitive). Thread-safe.
 */
public final class CpuBackend implements Backend {
  /** The backend's name. */
  public static final String NAME = "cpu-simd";

  private static final boolean VECTOR_API =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private volatile Map<Primitive, Kernel> kernels;

  /** Public for ServiceLoader; use {@code Backends.get("cpu-simd")}. */
  public CpuBackend() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean isAvailable() {
    return VECTOR_API;
  }

  @Override
  public String unavailableReason() {
    return VECTOR_API
        ? ""
        : "the Vector API module is not loaded; start the JVM with --add-modules"
            + " jdk.incubator.vector (e.g. JDK_JAVA_OPTIONS='--add-modules jdk.incubator.vector')";
  }

  @Override
  public int rank() {
    return 10;
  }

  /** The number of threads kernels use. */
  public static int threads() {
    return CpuThreads.THREADS;
  }

  @Override
  public Buffer upload(HostArray data) {
    CpuBuffer b = CpuBuffer.allocate(data.aval());
    MemorySegment s = b.segment();
    int n = data.size();
    switch (data.dtype()) {
      case F32 -> {
        double[] d = data.doubles();
        for (int k = 0; k < n; k++) {
          s.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) d[k]);
        }
      }
      case F64 -> MemorySegment.copy(data.doubles(), 0, s, ValueLayout.JAVA_DOUBLE, 0, n);
      case I32 -> {
        long[] d = data.longs();
        for (int k = 0; k < n; k++) {
          s.setAtIndex(ValueLayout.JAVA_INT, k, (int) d[k]);
        }
      }
      case I64 -> MemorySegment.copy(data.longs(), 0, s, ValueLayout.JAVA_LONG, 0, n);
      case BOOL -> {
        long[] d = data.longs();
        for (int k = 0; k < n; k++) {
          s.set(ValueLayout.JAVA_BYTE, k, (byte) (d[k] != 0 ? 1 : 0));
        }
      }
    }
    return b;
  }

  @Override
  public HostArray download(Buffer buffer) {
    CpuBuffer b = (CpuBuffer) buffer;
    MemorySegment s = b.segment();
    AbstractValue aval = b.aval();
    int n = Math.toIntExact(b.size());
    return switch (b.dtype()) {
      case F32 -> {
        double[] d = new double[n];
        for (int k = 0; k < n; k++) {
          d[k] = s.getAtIndex(ValueLayout.JAVA_FLOAT, k);
        }
        yield HostArray.ofDoubles(aval, d);
      }
      case F64 -> HostArray.ofDoubles(aval, s.toArray(ValueLayout.JAVA_DOUBLE));
      case I32 -> {
        long[] d = new long[n];
        for (int k = 0; k < n; k++) {
          d[k] = s.getAtIndex(ValueLayout.JAVA_INT, k);
        }
        yield HostArray.ofLongs(aval, d);
      }
      case I64 -> HostArray.ofLongs(aval, s.toArray(ValueLayout.JAVA_LONG));
      case BOOL -> {
        long[] d = new long[n];
        for (int k = 0; k < n; k++) {
          d[k] = s.get(ValueLayout.JAVA_BYTE, k);
        }
        yield HostArray.ofLongs(aval, d);
      }
    };
  }

  @Override
  public Optional<Kernel> kernel(Primitive p) {
    if (!VECTOR_API) {
      return Optional.empty();
    }
    Map<Primitive, Kernel> k = kernels;
    if (k == null) {
      synchronized (this) {
        k = kernels;
        if (k == null) {
          k = CpuKernels.table(this);
          kernels = k;
        }
      }
    }
    return Optional.ofNullable(k.get(p));
  }

  /** Whether {@code t} has vector kernels (the others run the reference kernel on host copies). */
  static boolean isVectorType(DType t) {
    return t == DType.F32 || t == DType.F64;
  }

  @Override
  public String toString() {
    return NAME;
  }
}
