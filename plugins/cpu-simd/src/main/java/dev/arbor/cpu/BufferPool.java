package dev.arbor.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Off-heap blocks in power-of-two size classes (64 B to 2^40 B), 64-byte aligned. A released block
 * goes back to its class's free list while the pool holds less than {@link #MAX_POOLED_BYTES};
 * beyond that its memory is freed at once (each block owns a shared {@link Arena}, closed when the
 * block is dropped). Thread-safe.
 */
final class BufferPool {
  static final BufferPool SHARED = new BufferPool();

  /** Memory kept for reuse at most; more is freed on release. */
  static final long MAX_POOLED_BYTES = Long.getLong("arbor.cpu.poolBytes", 256L * 1024 * 1024);

  private static final int ALIGN = 64;
  private static final int MIN_CLASS = 6;
  private static final int CLASSES = 41;
  private static final Block EMPTY = new Block(null, MemorySegment.NULL, -1);

  /** Memory of one size class. */
  record Block(Arena arena, MemorySegment segment, int sizeClass) {}

  private final java.util.List<ConcurrentLinkedDeque<Block>> free = new java.util.ArrayList<>();

  private final AtomicLong pooledBytes = new AtomicLong();
  private final AtomicLong allocatedBytes = new AtomicLong();

  private BufferPool() {
    for (int c = 0; c < CLASSES; c++) {
      free.add(new ConcurrentLinkedDeque<>());
    }
  }

  static int sizeClass(long bytes) {
    int c = 64 - Long.numberOfLeadingZeros(Math.max(bytes, 1L << MIN_CLASS) - 1);
    if (c >= CLASSES) {
      throw new IllegalArgumentException("cannot allocate " + bytes + " bytes off-heap");
    }
    return c;
  }

  /** A block of at least {@code bytes} bytes (contents unspecified). */
  Block take(long bytes) {
    if (bytes == 0) {
      return EMPTY;
    }
    int c = sizeClass(bytes);
    Block b = free.get(c).pollFirst();
    if (b != null) {
      pooledBytes.addAndGet(-(1L << c));
      return b;
    }
    Arena arena = Arena.ofShared();
    try {
      MemorySegment seg = arena.allocate(1L << c, ALIGN);
      allocatedBytes.addAndGet(1L << c);
      return new Block(arena, seg, c);
    } catch (OutOfMemoryError e) {
      arena.close();
      trim();
      throw new OutOfMemoryError(
          "cpu-simd could not allocate "
              + bytes
              + " bytes off-heap ("
              + allocatedBytes.get()
              + " bytes in use); release tensors sooner with Arbor.scope()");
    }
  }

  /** Returns a block: pooled if there is room, freed otherwise. */
  void give(Block b) {
    if (b.sizeClass() < 0) {
      return;
    }
    long size = 1L << b.sizeClass();
    if (pooledBytes.addAndGet(size) <= MAX_POOLED_BYTES) {
      free.get(b.sizeClass()).addFirst(b);
    } else {
      pooledBytes.addAndGet(-size);
      drop(b);
    }
  }

  private void drop(Block b) {
    allocatedBytes.addAndGet(-(1L << b.sizeClass()));
    b.arena().close();
  }

  /** Frees every pooled block. */
  void trim() {
    for (ConcurrentLinkedDeque<Block> q : free) {
      Block b;
      while ((b = q.pollFirst()) != null) {
        pooledBytes.addAndGet(-(1L << b.sizeClass()));
        drop(b);
      }
    }
  }

  /** Bytes held by the pool for reuse. */
  long pooledBytes() {
    return pooledBytes.get();
  }

  /** Bytes allocated off-heap and not freed (in use plus pooled). */
  long allocatedBytes() {
    return allocatedBytes.get();
  }
}
