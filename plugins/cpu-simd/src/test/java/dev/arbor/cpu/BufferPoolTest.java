package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The allocator: both memory sources, alignment, pooling, the caps, freeing and its safety. */
class BufferPoolTest {
  private static final long MIB = 1L << 20;

  @Test
  void sharedPoolUsesLibcWhenGrantedNativeAccess() {
    // The tests run with --enable-native-access=ALL-UNNAMED (see the module's pom).
    assertTrue(BufferPool.class.getModule().isNativeAccessEnabled());
    assertEquals(BufferPool.Source.NATIVE, BufferPool.SHARED.source());
    assertEquals(BufferPool.MAX_BYTES / 2, BufferPool.MAX_POOLED_BYTES, "default pool cap");
  }

  @ParameterizedTest
  @EnumSource(BufferPool.Source.class)
  void blocksAreAlignedWritableAndReused(BufferPool.Source source) {
    BufferPool pool = new BufferPool(source, 256 * MIB, 64 * MIB);
    BufferPool.Block small = pool.take(1000);
    assertEquals(1024, small.segment().byteSize());
    assertEquals(0, small.segment().address() % 64);
    small.segment().fill((byte) 7);
    BufferPool.Block huge = pool.take(5 * MIB);
    assertEquals(8 * MIB, huge.segment().byteSize());
    if (source == BufferPool.Source.NATIVE) {
      assertEquals(0, huge.segment().address() % (2 * MIB), "huge blocks are 2 MiB aligned");
    }
    huge.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 2 * MIB - 1, 1.5f);
    assertEquals(1.5f, huge.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 2 * MIB - 1));
    assertEquals(8 * MIB + 1024, pool.allocatedBytes());
    long address = small.segment().address();
    pool.give(small);
    assertEquals(1024, pool.pooledBytes());
    BufferPool.Block again = pool.take(600);
    assertEquals(address, again.segment().address(), "the same size class comes from the pool");
    assertEquals(0, pool.pooledBytes());
    pool.give(again);
    pool.give(huge);
    pool.trim();
    assertEquals(0, pool.pooledBytes());
    assertEquals(0, pool.allocatedBytes());
  }

  @ParameterizedTest
  @EnumSource(BufferPool.Source.class)
  void blocksBeyondThePoolCapAreFreedAndTheirSegmentsFail(BufferPool.Source source) {
    BufferPool pool = new BufferPool(source, 256 * MIB, 4 * MIB);
    BufferPool.Block a = pool.take(4 * MIB);
    BufferPool.Block b = pool.take(4 * MIB);
    MemorySegment stale = b.segment();
    pool.give(a);
    pool.give(b); // the pool already holds 4 MiB: b is freed
    assertEquals(4 * MIB, pool.pooledBytes());
    assertEquals(4 * MIB, pool.allocatedBytes());
    assertThrows(IllegalStateException.class, () -> stale.get(ValueLayout.JAVA_BYTE, 0));
    pool.trim();
    assertEquals(0, pool.allocatedBytes());
  }

  @Test
  void aRequestOverTheCapCollectsUnreachableBlocks() {
    // Blocks handed back by a Cleaner, as tensors' buffers are: the cap must trigger a collection.
    BufferPool pool = new BufferPool(BufferPool.Source.NATIVE, 32 * MIB, 8 * MIB);
    Cleaner cleaner = Cleaner.create();
    for (int i = 0; i < 64; i++) {
      BufferPool.Block block = pool.take(4 * MIB);
      Object owner = new Object();
      cleaner.register(owner, () -> pool.give(block));
    }
    assertTrue(pool.allocatedBytes() <= 32 * MIB, "never more than the cap");
  }

  @Test
  void pastTheSoftLimitGarbageIsCollectedInsteadOfGrowingTheFootprint() {
    // 50 x 4 MiB of blocks that become garbage at once; 8 MiB soft limit, 1 GiB hard cap.
    BufferPool pool = new BufferPool(BufferPool.Source.NATIVE, 1024 * MIB, 512 * MIB, 8 * MIB);
    Cleaner cleaner = Cleaner.create();
    for (int i = 0; i < 50; i++) {
      BufferPool.Block block = pool.take(4 * MIB);
      cleaner.register(new Object(), () -> pool.give(block));
    }
    // Without the soft limit the footprint would be 200 MiB (nothing forces a collection).
    assertTrue(pool.allocatedBytes() <= 64 * MIB, pool.allocatedBytes() + " bytes allocated");
  }

  @Test
  void idleBlocksOfOtherSizesAreFreedInsteadOfCollecting() {
    // 8 MiB soft limit; 8 MiB of 4 MiB blocks come back to the pool; then a 2 MiB request: the
    // footprint is over only because of idle blocks, which go instead of a collection.
    BufferPool pool = new BufferPool(BufferPool.Source.NATIVE, 1024 * MIB, 512 * MIB, 8 * MIB);
    BufferPool.Block a = pool.take(4 * MIB);
    BufferPool.Block b = pool.take(4 * MIB);
    pool.give(a);
    pool.give(b);
    assertEquals(8 * MIB, pool.pooledBytes());
    BufferPool.Block c = pool.take(2 * MIB);
    assertEquals(0, pool.collections(), "no collection: nothing handed out was over the limit");
    assertTrue(pool.allocatedBytes() <= 8 * MIB, pool.allocatedBytes() + " bytes allocated");
    assertEquals(4 * MIB, pool.pooledBytes(), "one idle 4 MiB block freed, one kept");
    pool.give(c);
    // Blocks handed out past the limit still collect.
    List<BufferPool.Block> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(pool.take(4 * MIB));
    }
    assertTrue(
        pool.collections() > 0, "handed-out blocks past the soft limit ask for a collection");
    held.forEach(pool::give);
    pool.trim();
    assertEquals(0, pool.allocatedBytes());
  }

  @Test
  void aGrowingLiveSetDoesNotCollectOnEveryAllocation() {
    BufferPool pool = new BufferPool(BufferPool.Source.NATIVE, 1024 * MIB, 512 * MIB, 4 * MIB);
    List<BufferPool.Block> held = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < 64; i++) {
      held.add(pool.take(1 * MIB));
    }
    // Each collection waits up to 63 ms for a block: 64 of them would take seconds; with the
    // doubling soft limit there are about log2(64 / 4) = 4.
    assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "took " + (System.nanoTime() - t0) + " ns");
    held.forEach(pool::give);
    pool.trim();
    assertEquals(0, pool.allocatedBytes());
  }

  @Test
  void liveBlocksOverTheCapFailWithAClearError() {
    BufferPool pool = new BufferPool(BufferPool.Source.NATIVE, 16 * MIB, 8 * MIB);
    List<BufferPool.Block> held = new ArrayList<>();
    held.add(pool.take(8 * MIB));
    held.add(pool.take(8 * MIB));
    OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> pool.take(8 * MIB));
    assertTrue(e.getMessage().contains("arbor.cpu.maxBytes"), e.getMessage());
    assertTrue(e.getMessage().contains("Arbor.scope()"), e.getMessage());
    held.forEach(pool::give);
    pool.trim();
    assertEquals(0, pool.allocatedBytes());
  }

  @Test
  void badCapsAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> new BufferPool(BufferPool.Source.ARENA, 0, 0));
    assertThrows(
        IllegalArgumentException.class, () -> new BufferPool(BufferPool.Source.ARENA, 1, -1));
    assertThrows(
        IllegalArgumentException.class, () -> new BufferPool(BufferPool.Source.ARENA, 1, 1, -1));
  }

  @Test
  void poisonFillsNewBlocks() {
    BufferPool pool = new BufferPool(BufferPool.Source.NATIVE, 256 * MIB, 64 * MIB);
    BufferPool.poison = true;
    try {
      BufferPool.Block b = pool.take(256);
      assertTrue(Float.isNaN(b.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 63)));
      pool.give(b);
    } finally {
      BufferPool.poison = false;
      pool.trim();
    }
  }
}
