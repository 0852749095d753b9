package dev.arbor.gpu.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.arbor.array.DType;
import dev.arbor.gpu.GpuException;
import dev.arbor.gpu.device.Blas;
import dev.arbor.gpu.device.Device;
import dev.arbor.gpu.device.Native;
import dev.arbor.gpu.device.ScratchArena;
import dev.arbor.gpu.ir.Lowering;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;

/**
 * cuBLAS (the v2 API) through FFM downcalls: one handle on the backend's stream, and {@code
 * cublas[SD]gemm_v2} / {@code cublas[SD]gemmStridedBatched} for {@code dot_general}. Every status
 * is checked; a failure raises {@link GpuException} naming the call, the status and its name.
 *
 * <p>cuBLAS is column-major and Arbor is row-major. A row-major {@code C = A·B} ({@code M×N}) is,
 * read column-major, {@code Cᵀ = Bᵀ·Aᵀ} ({@code N×M}, {@code ldc = N}), so the call is made with
 * the operands swapped: cuBLAS's first operand is our B, its second our A. Each operand's strides
 * (from {@link Lowering#matmul}) pick its {@code trans} flag and leading dimension: unit stride
 * along cuBLAS's rows is {@code CUBLAS_OP_N}, unit stride along its columns is {@code CUBLAS_OP_T};
 * an operand with neither is not {@linkplain #supports supported} and keeps the tiled kernel.
 */
final class Cublas implements Blas {
  static final int OP_N = 0;
  static final int OP_T = 1;

  private static final Map<Integer, String> STATUS =
      Map.ofEntries(
          Map.entry(1, "CUBLAS_STATUS_NOT_INITIALIZED"),
          Map.entry(3, "CUBLAS_STATUS_ALLOC_FAILED"),
          Map.entry(7, "CUBLAS_STATUS_INVALID_VALUE"),
          Map.entry(8, "CUBLAS_STATUS_ARCH_MISMATCH"),
          Map.entry(11, "CUBLAS_STATUS_MAPPING_ERROR"),
          Map.entry(13, "CUBLAS_STATUS_EXECUTION_FAILED"),
          Map.entry(14, "CUBLAS_STATUS_INTERNAL_ERROR"),
          Map.entry(15, "CUBLAS_STATUS_NOT_SUPPORTED"),
          Map.entry(16, "CUBLAS_STATUS_LICENSE_ERROR"));

  /** One operand as cuBLAS sees it: its {@code trans} flag and leading dimension. */
  record Operand(int trans, int ld) {}

  /** The whole call: cuBLAS's m, n, k and its two operands (our B first, then our A). */
  record Call(int m, int n, int k, Operand first, Operand second, int ldc) {}

  private final String library;
  private final Runnable beforeCall;
  private final Runnable sync;
  private final MethodHandle sgemm;
  private final MethodHandle dgemm;
  private final MethodHandle sgemmBatched;
  private final MethodHandle dgemmBatched;
  private final MemorySegment handle;

  /**
   * Binds the calls in {@code lib}, creates a handle and sets its stream. {@code beforeCall} makes
   * the CUDA context current; {@code sync} waits for the stream and checks the result.
   */
  Cublas(Native lib, MemorySegment stream, Runnable beforeCall, Runnable sync) {
    library = lib.library();
    this.beforeCall = beforeCall;
    this.sync = sync;
    MethodHandle create = lib.bind("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    MethodHandle destroy = lib.bind("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    MethodHandle setStream =
        lib.bind("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    FunctionDescriptor gemm =
        FunctionDescriptor.of(
            JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG,
            JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    FunctionDescriptor batched =
        FunctionDescriptor.of(
            JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG,
            JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT,
            JAVA_LONG, JAVA_INT);
    sgemm = lib.bind("cublasSgemm_v2", gemm);
    dgemm = lib.bind("cublasDgemm_v2", gemm);
    sgemmBatched = lib.bind("cublasSgemmStridedBatched", batched);
    dgemmBatched = lib.bind("cublasDgemmStridedBatched", batched);
    beforeCall.run();
    try (Arena a = ScratchArena.open()) {
      MemorySegment h = a.allocate(ADDRESS);
      check("cublasCreate_v2", (int) Native.call(create, h));
      handle = h.get(ADDRESS, 0);
      int rc = (int) Native.call(setStream, handle, stream);
      if (rc != 0) {
        Native.call(destroy, handle);
        check("cublasSetStream_v2", rc);
      }
    }
  }

  static String statusName(int code) {
    return STATUS.getOrDefault(code, "cuBLAS status");
  }

  static void check(String call, int code) {
    check(call, code, "");
  }

  private static void check(String call, int code, String doing) {
    if (code != 0) {
      throw new GpuException(
          call,
          code,
          call
              + " failed: "
              + statusName(code)
              + " ("
              + code
              + ")"
              + (doing.isEmpty() ? "" : " " + doing));
    }
  }

  @Override
  public String description() {
    return "cuBLAS (" + library + ")";
  }

  /**
   * The column-major operand whose {@code op(X)} is {@code rows×cols} with element {@code (r, c)}
   * at {@code rowStride·r + colStride·c}, or null where neither layout fits.
   */
  static Operand operand(int rows, int cols, int rowStride, int colStride) {
    int need = Math.max(1, rows);
    if (rows == 1 || rowStride == 1) {
      int ld = cols == 1 ? need : colStride;
      if (ld >= need) {
        return new Operand(OP_N, ld);
      }
    }
    int needT = Math.max(1, cols);
    if (cols == 1 || colStride == 1) {
      int ld = rows == 1 ? needT : rowStride;
      if (ld >= needT) {
        return new Operand(OP_T, ld);
      }
    }
    return null;
  }

  /** The cuBLAS call for a row-major matmul view, or null where the strides do not fit. */
  static Call call(Lowering.MatmulShape s) {
    // cuBLAS computes Cᵀ (N×M) = Bᵀ (N×K) · Aᵀ (K×M).
    Operand first = operand(s.n(), s.k(), s.bCol(), s.bK());
    Operand second = operand(s.k(), s.m(), s.aK(), s.aRow());
    if (first == null || second == null) {
      return null;
    }
    return new Call(s.n(), s.m(), s.k(), first, second, Math.max(1, s.n()));
  }

  @Override
  public boolean supports(DType type, Lowering.MatmulShape s) {
    return (type == DType.F32 || type == DType.F64) && s.k() > 0 && call(s) != null;
  }

  @Override
  public void gemm(
      DType type, Lowering.MatmulShape s, Device.Handle a, Device.Handle b, Device.Handle c) {
    Call k = call(s);
    if (k == null) {
      throw new IllegalArgumentException("cuBLAS cannot run " + s);
    }
    boolean f32 = type == DType.F32;
    beforeCall.run();
    try (Arena arena = ScratchArena.open()) {
      MemorySegment alpha =
          f32 ? arena.allocateFrom(JAVA_FLOAT, 1f) : arena.allocateFrom(JAVA_DOUBLE, 1d);
      MemorySegment beta =
          f32 ? arena.allocateFrom(JAVA_FLOAT, 0f) : arena.allocateFrom(JAVA_DOUBLE, 0d);
      String name;
      int rc;
      if (s.batch() == 1) {
        name = f32 ? "cublasSgemm_v2" : "cublasDgemm_v2";
        rc =
            (int)
                Native.call(
                    f32 ? sgemm : dgemm,
                    handle,
                    k.first().trans(),
                    k.second().trans(),
                    k.m(),
                    k.n(),
                    k.k(),
                    alpha,
                    b.value(),
                    k.first().ld(),
                    a.value(),
                    k.second().ld(),
                    beta,
                    c.value(),
                    k.ldc());
      } else {
        name = f32 ? "cublasSgemmStridedBatched" : "cublasDgemmStridedBatched";
        rc =
            (int)
                Native.call(
                    f32 ? sgemmBatched : dgemmBatched,
                    handle,
                    k.first().trans(),
                    k.second().trans(),
                    k.m(),
                    k.n(),
                    k.k(),
                    alpha,
                    b.value(),
                    k.first().ld(),
                    (long) s.bBatch(),
                    a.value(),
                    k.second().ld(),
                    (long) s.aBatch(),
                    beta,
                    c.value(),
                    k.ldc(),
                    (long) s.m() * s.n(),
                    s.batch());
      }
      check(name, rc, "for matmul " + s);
    }
    sync.run();
  }
}
