package dev.arbor.gpu.device;

import dev.arbor.backend.Buffer;
import dev.arbor.core.AbstractValue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One tensor's elements in device memory, taken from a {@link DevicePool}. {@link #release} gives
 * the memory back to the pool at once; it is idempotent and thread-safe (the owning backend's lock
 * guards the pool).
 */
public final class DeviceBuffer implements Buffer {
  private final DeviceBackend owner;
  private final Device.Handle handle;
  private final AbstractValue aval;
  private final long bytes;
  private final AtomicBoolean released = new AtomicBoolean();

  DeviceBuffer(DeviceBackend owner, Device.Handle handle, AbstractValue aval, long bytes) {
    this.owner = owner;
    this.handle = handle;
    this.aval = aval;
    this.bytes = bytes;
  }

  /** The device memory (valid until released). */
  public Device.Handle handle() {
    if (released.get()) {
      throw new IllegalStateException(
          "this tensor's device buffer ("
              + aval
              + ") was released (at the end of an Arbor.scope() block); keep tensors needed after"
              + " the block with scope.keep(t)");
    }
    return handle;
  }

  /** The shape and element type stored. */
  public AbstractValue aval() {
    return aval;
  }

  /** The backend that owns the memory. */
  public DeviceBackend owner() {
    return owner;
  }

  @Override
  public long byteSize() {
    return bytes;
  }

  @Override
  public void release() {
    if (released.compareAndSet(false, true)) {
      owner.giveBack(handle, bytes);
    }
  }

  @Override
  public boolean isReleased() {
    return released.get();
  }

  @Override
  public void awaitReady() {
    owner.synchronize();
  }

  @Override
  public String toString() {
    return owner.name() + " buffer " + aval;
  }
}
