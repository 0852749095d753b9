package dev.arbor.gpu;

/**
 * A call into a GPU driver or runtime ({@code libcuda.so.1}, {@code libOpenCL.so.1}) failed. The
 * message names the call, the error code and its symbolic name, and what Arbor was doing; for
 * OpenCL build failures it includes the compiler's log.
 */
public final class GpuException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String call;
  private final int code;

  public GpuException(String call, int code, String message) {
    super(message);
    this.call = call;
    this.code = code;
  }

  /** The failing driver function, as exported by the library ({@code cuMemAlloc_v2}). */
  public String call() {
    return call;
  }

  /** The error code the call returned. */
  public int code() {
    return code;
  }
}
