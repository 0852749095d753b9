package dev.arbor.gpu.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A per-thread, reusable arena for the small buffers of one driver call (out-pointers, argument
 * arrays, names): allocations are bumped off a 64 KiB block kept per thread and given back, in LIFO
 * order, when the arena is closed; larger requests come from an automatic arena.
 *
 * <p>Why not {@code Arena.ofConfined()}: the JDK checks the owner thread on every segment access,
 * and C2 shares that check's branch profile between all callers. Segments of confined sessions make
 * it learn an owner-thread test that the CPU backend's compiled loops (whose buffers have no owner)
 * then fail on every call, deoptimizing them over and over ({@code docs/design/cpu-backend.md},
 * Buffers). The block here comes from an automatic arena, which has no owner, and unlike a shared
 * arena closing it costs nothing.
 *
 * <p>Use it in a try-with-resources block on the thread that opened it; segments must not be used
 * after the block ends (their memory is reused by the next call).
 */
public final class ScratchArena implements Arena {
  private static final long BLOCK = 64 << 10;

  private static final class Block {
    final MemorySegment segment = Arena.ofAuto().allocate(BLOCK, 64);
    long top;
  }

  private static final ThreadLocal<Block> BLOCKS = ThreadLocal.withInitial(Block::new);

  private final Block block;
  private final long mark;
  private final Thread owner;

  private ScratchArena(Block block) {
    this.block = block;
    this.mark = block.top;
    this.owner = Thread.currentThread();
  }

  /** Opens a scratch arena on the calling thread; close it (try-with-resources) on that thread. */
  public static ScratchArena open() {
    return new ScratchArena(BLOCKS.get());
  }

  @Override
  public MemorySegment allocate(long byteSize, long byteAlignment) {
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException("a ScratchArena is used on the thread that opened it only");
    }
    if (byteSize < 0 || byteAlignment <= 0 || (byteAlignment & (byteAlignment - 1)) != 0) {
      throw new IllegalArgumentException(
          "bad allocation: "
              + byteSize
              + " bytes aligned to "
              + byteAlignment
              + " (the size must be >= 0, the alignment a power of two)");
    }
    long base = block.segment.address();
    long start = ((base + block.top + byteAlignment - 1) & -byteAlignment) - base;
    if (byteSize > BLOCK || start > BLOCK - byteSize) {
      return Arena.ofAuto().allocate(byteSize, byteAlignment);
    }
    block.top = start + byteSize;
    return block.segment.asSlice(start, byteSize).fill((byte) 0);
  }

  @Override
  public MemorySegment.Scope scope() {
    return block.segment.scope();
  }

  @Override
  public void close() {
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException("a ScratchArena is closed on the thread that opened it only");
    }
    block.top = mark;
  }
}
