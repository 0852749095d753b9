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

  /** A new buffer for {@code aval}; its contents are unspecified (pooled memory is reused). */
  static CpuBuffer allocate(AbstractValue aval) {
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

  /** The memory, exactly {@link #byteSize()} long; fails once released. */
  MemorySegment segment() {
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
