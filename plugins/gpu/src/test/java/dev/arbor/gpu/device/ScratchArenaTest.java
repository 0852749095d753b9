package dev.arbor.gpu.device;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ScratchArenaTest {
  @Test
  void reusesItsBlockInLifoOrderAlignedAndZeroed() {
    long first;
    try (ScratchArena a = ScratchArena.open()) {
      MemorySegment p = a.allocate(JAVA_LONG);
      first = p.address();
      p.set(JAVA_LONG, 0, 42);
      try (ScratchArena inner = ScratchArena.open()) {
        MemorySegment q = inner.allocate(3, 1);
        MemorySegment r = inner.allocate(16, 16);
        assertNotEquals(first, q.address());
        assertEquals(0, r.address() % 16);
      }
      assertEquals(42, p.get(JAVA_LONG, 0)); // the inner arena did not touch the outer's memory
    }
    try (ScratchArena a = ScratchArena.open()) {
      MemorySegment p = a.allocate(JAVA_LONG);
      assertEquals(first, p.address()); // given back and reused
      assertEquals(0, p.get(JAVA_LONG, 0)); // zeroed like any arena's memory
    }
  }

  @Test
  void largeRequestsAndOtherThreadsAreHandled() throws Exception {
    try (ScratchArena a = ScratchArena.open()) {
      MemorySegment big = a.allocate(1 << 20, 64);
      assertEquals(1 << 20, big.byteSize());
      Throwable[] seen = new Throwable[1];
      Thread t = new Thread(() -> seen[0] = catching(() -> a.allocate(8, 8)));
      t.start();
      t.join();
      assertEquals(IllegalStateException.class, seen[0].getClass());
    }
    assertThrows(IllegalArgumentException.class, () -> ScratchArena.open().allocate(8, 3));
  }

  private static Throwable catching(Runnable r) {
    try {
      r.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }
}
