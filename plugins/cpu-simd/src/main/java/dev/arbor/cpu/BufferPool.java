package dev.arbor.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Off-heap blocks in power-of-two size classes (64 B to 2^40 B), 64-byte aligned, contents
 * unspecified. A released block goes back to its class's free list while the pool holds less than
 * its cap ({@code arbor.cpu.poolBytes}); beyond that its memory is freed at once. Each block owns a
 * shared {@link Arena}, closed when the block is freed, so a stale segment fails instead of reading
 * freed memory. Thread-safe.
 *
 * <p>Memory comes from libc ({@code posix_memalign}/{@code free} through FFM downcalls, not zeroed:
 * every kernel writes all of its output) when the JVM grants this module native access ({@code
 * --enable-native-access=ALL-UNNAMED}, or {@code dev.arbor.cpu} on the module path); blocks of 4
 * MiB and more are then 2 MiB aligned and advised as transparent huge pages. Without native access
 * it comes from {@link Arena#allocate}, which zero-fills (slower for large blocks, but no warning
 * and no flag needed).
 *
 * <p>Tensors that are never closed by a scope are released only when the garbage collector finds
 * them. Past {@code arbor.cpu.gcBytes} of footprint (default min(pool cap, 1 GiB)), a request the
 * pool cannot serve first frees idle pooled blocks of other sizes when those are what put the
 * footprint over; when blocks handed out (live or garbage) alone are over, it asks for a collection
 * and waits a few milliseconds for a block to come back, rather than growing the footprint; if
 * little comes back the threshold doubles past the live set.
 *
 * <p>Memory in use plus pooled is capped at {@code arbor.cpu.maxBytes} (default: the JVM's maximum
 * heap, the JDK's default for direct memory). Tensors that are never closed by a scope are released
 * only when the garbage collector finds them, and off-heap memory does not trigger collections by
 * itself, so a request that would exceed the cap first frees the pooled blocks, then asks for a
 * collection ({@code System.gc()}) and waits briefly for the released blocks, as the JDK does for
 * direct buffers, and fails with an {@link OutOfMemoryError} naming {@code Arbor.scope()} if that
 * is not enough.
 */
final class BufferPool {
  /** The cap on memory in use plus pooled ({@code arbor.cpu.maxBytes}). */
  static final long MAX_BYTES =
      Long.getLong("arbor.cpu.maxBytes", Runtime.getRuntime().maxMemory());

  /** Memory kept for reuse at most ({@code arbor.cpu.poolBytes}, default half the cap). */
  static final long MAX_POOLED_BYTES = Long.getLong("arbor.cpu.poolBytes", MAX_BYTES / 2);

  /** Where blocks come from. */
  enum Source {
    /** libc, not zeroed (needs native access). */
    NATIVE,
    /** {@link Arena#allocate}, zeroed. */
    ARENA
  }

  /** The source the shared pool uses: native when this module has native access. */
  static final Source DEFAULT_SOURCE =
      BufferPool.class.getModule().isNativeAccessEnabled() ? Source.NATIVE : Source.ARENA;

  /**
   * Footprint (in use plus pooled) beyond which a request the pool cannot serve first frees idle
   * pooled blocks of other sizes or, when the blocks handed out alone are past it, asks for a
   * collection ({@code arbor.cpu.gcBytes}, default the pool cap or 1 GiB, whichever is smaller; 0
   * turns this off). A full collection of a modest heap costs tens to hundreds of milliseconds;
   * faulting in a GiB of fresh memory costs more (seconds on this project's virtual machines).
   * Before pooled blocks were told apart, a workload of many sizes (per-example gradients) asked
   * for a full collection on most misses: 83 in 25 s of the JMH per-example loop.
   */
  static final long GC_BYTES =
      Long.getLong("arbor.cpu.gcBytes", Math.min(MAX_POOLED_BYTES, 1L << 30));

  static final BufferPool SHARED =
      new BufferPool(DEFAULT_SOURCE, MAX_BYTES, MAX_POOLED_BYTES, GC_BYTES);

  private static final int ALIGN = 64;
  private static final long HUGE = 4L << 20;
  private static final long HUGE_ALIGN = 2L << 20;
  private static final int MIN_CLASS = 6;
  private static final int CLASSES = 41;
  private static final Block EMPTY = new Block(null, MemorySegment.NULL, -1);

  /** Memory of one size class. */
  record Block(Arena arena, MemorySegment segment, int sizeClass) {}

  private final Source source;
  private final long maxBytes;
  private final long maxPooledBytes;
  private final long gcBytes;
  private final Object gcLock = new Object();

  /** Footprint beyond which a fresh allocation first tries a collection (see collectAndPoll). */
  private volatile long softLimit;

  private final List<ConcurrentLinkedDeque<Block>> free = new ArrayList<>();

  private final AtomicLong pooledBytes = new AtomicLong();
  private final AtomicLong allocatedBytes = new AtomicLong();
  private final AtomicLong collections = new AtomicLong();

  BufferPool(Source source, long maxBytes, long maxPooledBytes) {
    this(source, maxBytes, maxPooledBytes, maxPooledBytes);
  }

  BufferPool(Source source, long maxBytes, long maxPooledBytes, long gcBytes) {
    if (maxBytes <= 0 || maxPooledBytes < 0 || gcBytes < 0) {
      throw new IllegalArgumentException(
          "arbor.cpu.maxBytes must be positive, arbor.cpu.poolBytes and arbor.cpu.gcBytes"
              + " non-negative, got "
              + maxBytes
              + ", "
              + maxPooledBytes
              + " and "
              + gcBytes);
    }
    this.source = source;
    this.maxBytes = maxBytes;
    this.maxPooledBytes = Math.min(maxPooledBytes, maxBytes);
    this.gcBytes = gcBytes;
    this.softLimit = gcBytes;
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
    Block b = takeBlock(bytes);
    if (poison) {
      b.segment().fill((byte) 0xFF);
    }
    return b;
  }

  /**
   * Tests only: while set, every block handed out is first filled with 0xFF bytes (NaN floats, -1
   * integers, invalid booleans), so a kernel that reads output it did not write fails.
   */
  static volatile boolean poison;

  private Block takeBlock(long bytes) {
    int c = sizeClass(bytes);
    long size = 1L << c;
    Block b = poll(c);
    if (b != null) {
      return b;
    }
    if (gcBytes > 0 && allocatedBytes.get() + size > softLimit) {
      if (allocatedBytes.get() - pooledBytes.get() + size > softLimit) {
        b = collectAndPoll(c);
        if (b != null) {
          return b;
        }
      } else {
        // Over the soft limit only because of idle blocks of other sizes: free some of them
        // rather than collect (nothing unreachable need be holding memory).
        trimTo(softLimit - size);
      }
    }
    if (!reserve(size)) {
      // Over the cap: give back what the pool holds, then what the collector finds.
      trim();
      for (int attempt = 0; !reserve(size); attempt++) {
        if (attempt == 10) {
          throw new OutOfMemoryError(
              "cpu-simd could not allocate "
                  + bytes
                  + " bytes off-heap: "
                  + allocatedBytes.get()
                  + " bytes in use, cap arbor.cpu.maxBytes="
                  + maxBytes
                  + "; release tensors sooner with Arbor.scope() or raise the cap");
        }
        if (attempt == 0) {
          System.gc();
        }
        sleep(1L << attempt);
        b = poll(c);
        if (b != null) {
          return b;
        }
        trim();
      }
    }
    try {
      return allocate(c);
    } catch (OutOfMemoryError e) {
      allocatedBytes.addAndGet(-size);
      trim();
      throw new OutOfMemoryError(
          "cpu-simd could not allocate "
              + bytes
              + " bytes off-heap ("
              + allocatedBytes.get()
              + " bytes in use); release tensors sooner with Arbor.scope()");
    }
  }

  /**
   * Past the soft limit with no pooled block of this class: unreachable tensors probably hold
   * blocks (off-heap memory does not trigger collections), so collect and wait briefly for the
   * Cleaner to bring one back, instead of growing the footprint (fresh memory costs page faults,
   * and far more on a virtual machine whose host has not backed it yet). If the collection brings
   * little back, the live set really is that large: the soft limit doubles past it, so a growing
   * live set costs a logarithmic number of collections, not one per allocation.
   */
  private Block collectAndPoll(int c) {
    synchronized (gcLock) {
      Block b = poll(c);
      if (b != null || allocatedBytes.get() - pooledBytes.get() + (1L << c) <= softLimit) {
        return b;
      }
      collections.incrementAndGet();
      System.gc();
      for (int attempt = 0; attempt < 6 && b == null; attempt++) {
        sleep(1L << attempt);
        b = poll(c);
      }
      long inUse = allocatedBytes.get() - pooledBytes.get();
      softLimit = Math.max(gcBytes, 2 * inUse);
      return b;
    }
  }

  private Block poll(int c) {
    Block b = free.get(c).pollFirst();
    if (b != null) {
      pooledBytes.addAndGet(-(1L << c));
    }
    return b;
  }

  /** Counts {@code size} more bytes allocated if that stays within the cap. */
  private boolean reserve(long size) {
    while (true) {
      long now = allocatedBytes.get();
      if (now + size > maxBytes && now > 0) {
        return false;
      }
      if (allocatedBytes.compareAndSet(now, now + size)) {
        return true;
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutOfMemoryError("interrupted while waiting for cpu-simd memory to be released");
    }
  }

  private Block allocate(int c) {
    long size = 1L << c;
    Arena arena = Arena.ofShared();
    try {
      MemorySegment seg =
          source == Source.NATIVE ? Native.allocate(size, arena) : arena.allocate(size, ALIGN);
      return new Block(arena, seg, c);
    } catch (RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  /** Returns a block: pooled if there is room, freed otherwise. */
  void give(Block b) {
    if (b.sizeClass() < 0) {
      return;
    }
    long size = 1L << b.sizeClass();
    if (pooledBytes.addAndGet(size) <= maxPooledBytes) {
      free.get(b.sizeClass()).addFirst(b);
    } else {
      pooledBytes.addAndGet(-size);
      drop(b);
    }
  }

  private void drop(Block b) {
    b.arena().close();
    allocatedBytes.addAndGet(-(1L << b.sizeClass()));
  }

  /** Frees every pooled block. */
  void trim() {
    trimTo(0);
  }

  /** Frees pooled blocks, largest first, until the footprint is at most {@code bytes}. */
  private void trimTo(long bytes) {
    for (int c = CLASSES - 1; c >= 0 && allocatedBytes.get() > bytes; c--) {
      Block b;
      while (allocatedBytes.get() > bytes && (b = poll(c)) != null) {
        drop(b);
      }
    }
  }

  /** How many collections this pool has asked for past its soft limit (tests). */
  long collections() {
    return collections.get();
  }

  /** Where this pool's blocks come from. */
  Source source() {
    return source;
  }

  /** Bytes held by the pool for reuse. */
  long pooledBytes() {
    return pooledBytes.get();
  }

  /** Bytes allocated off-heap and not freed (in use plus pooled). */
  long allocatedBytes() {
    return allocatedBytes.get();
  }

  /** libc allocation through FFM, initialized only when used (it needs native access). */
  @SuppressWarnings("restricted") // used only when the module has native access
  private static final class Native {
    private static final int MADV_HUGEPAGE = 14;
    private static final MethodHandle POSIX_MEMALIGN;
    private static final MethodHandle FREE;
    private static final MethodHandle MADVISE;

    static {
      Linker linker = Linker.nativeLinker();
      var libc = linker.defaultLookup();
      POSIX_MEMALIGN =
          linker.downcallHandle(
              libc.find("posix_memalign").orElseThrow(),
              FunctionDescriptor.of(
                  ValueLayout.JAVA_INT,
                  ValueLayout.ADDRESS,
                  ValueLayout.JAVA_LONG,
                  ValueLayout.JAVA_LONG));
      FREE =
          linker.downcallHandle(
              libc.find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
      MADVISE =
          libc.find("madvise")
              .map(
                  a ->
                      linker.downcallHandle(
                          a,
                          FunctionDescriptor.of(
                              ValueLayout.JAVA_INT,
                              ValueLayout.ADDRESS,
                              ValueLayout.JAVA_LONG,
                              ValueLayout.JAVA_INT)))
              .orElse(null);
    }

    /**
     * posix_memalign's out-parameter, one per thread, in a session with no owner thread. (Not a
     * confined arena per call: every segment access checks its session, and once the JDK's shared
     * {@code MemorySessionImpl.checkValidStateRaw} has seen a confined session, C2 hoisted its
     * owner-thread test out of the generated fusion loops, whose shared-session segments then
     * failed it on every call: the loops were deoptimized and recompiled over and over.)
     */
    private static final ThreadLocal<MemorySegment> OUT =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(ValueLayout.ADDRESS));

    private Native() {}

    /** {@code size} bytes from libc, freed when {@code arena} closes. */
    static MemorySegment allocate(long size, Arena arena) {
      boolean huge = size >= HUGE;
      MemorySegment address;
      try {
        MemorySegment out = OUT.get();
        int rc = (int) POSIX_MEMALIGN.invokeExact(out, huge ? HUGE_ALIGN : ALIGN, size);
        if (rc != 0) {
          throw new OutOfMemoryError("posix_memalign(" + size + ") failed with error " + rc);
        }
        address = out.get(ValueLayout.ADDRESS, 0);
      } catch (OutOfMemoryError e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException("posix_memalign downcall failed", t);
      }
      if (huge && MADVISE != null) {
        try {
          // Advice only: fewer page faults on first touch; failure changes nothing else.
          int unused = (int) MADVISE.invokeExact(address, size, MADV_HUGEPAGE);
        } catch (Throwable t) {
          // ignored: the memory is usable without the advice
        }
      }
      return address.reinterpret(size, arena, Native::free);
    }

    private static void free(MemorySegment s) {
      try {
        FREE.invokeExact(s);
      } catch (Throwable t) {
        throw new IllegalStateException("free downcall failed", t);
      }
    }
  }
}
