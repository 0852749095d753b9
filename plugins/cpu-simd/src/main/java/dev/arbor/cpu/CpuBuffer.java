package dev.arbor.cpu;

import dev.arbor.array.DType;
import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One tensor's elements in off-heap memory, 64-byte aligned, in the dtype's native layout: F32 as
 * {@code float}, F64 as {@code double}, I32 as {@code int}, I64 as {@code long}, BOOL as one byte
 * (0 or 1), row-major, native byte order. The memory comes from a size-class pool and goes back to
 * it on {@link #release()} (called by the owning tensor's {@link java.lang.ref.Cleaner} or at the
 * end of an {@code Arbor.scope()}). Thread-safe; release is idempotent.
 *
 * <p><b>For kernel authors</b> (a {@link dev.arbor.backend.KernelProvider} for {@code cpu-simd}): a
 * kernel receives its inputs as {@code CpuBuffer}s, reads them through {@link #segment()}, and
 * returns buffers it made with {@link #allocate(AbstractValue)} for the output avals it was given.
 * It must not write to its inputs, keep a segment after it returns, or release buffers it returns
 * (the tensor that wraps each one owns it). Element {@code k} of an F32 buffer is {@code
 * segment().getAtIndex(ValueLayout.JAVA_FLOAT, k)}; Vector API loads read it directly with {@code
 * FloatVector.fromMemorySegment(species, segment, k * 4L, ByteOrder.nativeOrder())}.
 *
 * {@snippet :
 * Kernel negate = (in, inAvals, params, outAvals) -> {
 *   MemorySegment x = ((CpuBuffer) in.get(0)).segment();
 *   CpuBuffer y = CpuBuffer.allocate(outAvals.get(0));
 *   MemorySegment ys = y.segment();
 *   for (long k = 0; k < y.size(); k++) {   // F64 here; a real kernel checks the dtype
 *     ys.setAtIndex(ValueLayout.JAVA_DOUBLE, k, -x.getAtIndex(ValueLayout.JAVA_DOUBLE, k));
 *   }
 *   return List.of(y);
 * };
 * }
 */
public final class CpuBuffer implements Buffer {
  private static final AtomicLong LIVE = new AtomicLong();
  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(CpuBuffer.class, "released", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final AbstractValue aval;
  private final BufferPool.Block block;
  private final MemorySegment segment;

  @SuppressWarnings("unused") // accessed through RELEASED
  private volatile boolean released;

  private CpuBuffer(AbstractValue aval, BufferPool.Block block, long byteSize) {
    this.aval = aval;
    this.block = block;
    this.segment = block.segment().asSlice(0, byteSize);
    LIVE.incrementAndGet();
  }

  /**
   * A new buffer for {@code aval}, 64-byte aligned, from the backend's pool; its contents are
   * unspecified (memory is neither zeroed nor cleared when reused), so a kernel writes every
   * element, and one that accumulates initializes its output first. A zero-size {@code aval} gets
   * an empty segment. The caller owns the buffer: a kernel returns it (the result tensor then owns
   * it) or releases it.
   *
   * @param aval the shape and dtype; not null
   */
  public static CpuBuffer allocate(AbstractValue aval) {
    long bytes = aval.shape().size() * aval.dtype().byteSize();
    return new CpuBuffer(aval, BufferPool.SHARED.take(bytes), bytes);
  }

  /** Number of buffers allocated and not yet released (leak tests). */
  public static long live() {
    return LIVE.get();
  }

  /** The shape and dtype held. */
  public AbstractValue aval() {
    return aval;
  }

  /** The element type. */
  public DType dtype() {
    return aval.dtype();
  }

  /** Number of elements. */
  public long size() {
    return aval.shape().size();
  }

  /**
   * The elements: exactly {@link #byteSize()} bytes, 64-byte aligned, native byte order, row-major,
   * in the layout of {@link #dtype()} (see the class comment). Valid until the buffer is released;
   * do not keep it beyond the kernel call that received the buffer.
   *
   * @throws IllegalStateException if the buffer was released
   */
  public MemorySegment segment() {
    if (released) {
      throw new IllegalStateException(
          "this cpu-simd buffer ("
              + aval
              + ") was released (at the end of an Arbor.scope() block?); keep tensors needed"
              + " after the block with scope.keep(t)");
    }
    return segment;
  }

  @Override
  public long byteSize() {
    return segment.byteSize();
  }

  @Override
  public void release() {
    if (RELEASED.compareAndSet(this, false, true)) {
      LIVE.decrementAndGet();
      BufferPool.SHARED.give(block);
    }
  }

  @Override
  public boolean isReleased() {
    return released;
  }

  @Override
  public String toString() {
    return "CpuBuffer" + aval + (released ? " (released)" : "");
  }
}
