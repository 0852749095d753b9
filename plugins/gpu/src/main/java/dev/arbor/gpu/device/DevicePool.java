package dev.arbor.gpu.device;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Pools device allocations by size class (multiples of 256 bytes) so that the buffers of a training
 * step are reused rather than allocated and freed every step. A released buffer goes back to its
 * class's free list at once (deterministically: at {@code Buffer.release}, from an {@code
 * Arbor.scope()} or the tensor's cleaner), up to {@link #cacheLimit()} cached bytes; beyond that it
 * is freed on the device. {@link #trim()} frees every cached allocation. Not thread-safe: the
 * backend calls it under its device lock.
 */
public final class DevicePool {
  /** Allocation granularity in bytes. */
  public static final long GRANULE = 256;

  private final Device device;
  private final long cacheLimit;
  private final Map<Long, ArrayDeque<Device.Handle>> free = new HashMap<>();
  private long cachedBytes;
  private long liveAllocations;
  private long deviceAllocations;

  public DevicePool(Device device, long cacheLimit) {
    this.device = device;
    this.cacheLimit = cacheLimit;
  }

  /** The size class of a request. */
  public static long sizeClass(long bytes) {
    long b = Math.max(bytes, 1);
    return (b + GRANULE - 1) / GRANULE * GRANULE;
  }

  /** A buffer of at least {@code bytes}, from the free list of its class or the device. */
  public Device.Handle take(long bytes) {
    long c = sizeClass(bytes);
    ArrayDeque<Device.Handle> q = free.get(c);
    liveAllocations++;
    if (q != null && !q.isEmpty()) {
      cachedBytes -= c;
      return q.pop();
    }
    Device.Handle h;
    try {
      h = device.allocate(c);
    } catch (RuntimeException e) {
      if (cachedBytes == 0) {
        liveAllocations--;
        throw e;
      }
      // Out of memory with buffers cached: give them back to the device and try once more.
      trim();
      try {
        h = device.allocate(c);
      } catch (RuntimeException again) {
        liveAllocations--;
        throw again;
      }
    }
    deviceAllocations++;
    return h;
  }

  /** Returns a buffer of {@code bytes} (as requested from {@link #take}). */
  public void give(Device.Handle h, long bytes) {
    long c = sizeClass(bytes);
    liveAllocations--;
    if (cachedBytes + c <= cacheLimit) {
      free.computeIfAbsent(c, k -> new ArrayDeque<>()).push(h);
      cachedBytes += c;
    } else {
      device.free(h);
      deviceAllocations--;
    }
  }

  /** Frees every cached allocation on the device. */
  public void trim() {
    for (ArrayDeque<Device.Handle> q : free.values()) {
      while (!q.isEmpty()) {
        device.free(q.pop());
        deviceAllocations--;
      }
    }
    free.clear();
    cachedBytes = 0;
  }

  /** Buffers handed out and not yet given back. */
  public long liveAllocations() {
    return liveAllocations;
  }

  /** Allocations held on the device (live plus cached). */
  public long deviceAllocations() {
    return deviceAllocations;
  }

  /** Bytes held in free lists. */
  public long cachedBytes() {
    return cachedBytes;
  }

  /** The most bytes the free lists hold. */
  public long cacheLimit() {
    return cacheLimit;
  }
}
