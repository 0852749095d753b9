package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** {@link Layout}'s stride-0 (broadcast) fills keep every bit pattern. */
class LayoutTest {
  @Test
  void broadcastFillsKeepSignalingNanAndOtherBitPatterns() {
    int[] ints = {0x7fa00001, 0xffc00123, 0x80000000, -1, 0x00000001};
    long[] longs = {0x7ff4000000000001L, 0xfff8000000000123L, Long.MIN_VALUE, -1L};
    try (Arena arena = Arena.ofShared()) {
      for (int v : ints) {
        MemorySegment src = arena.allocate(4);
        src.set(ValueLayout.JAVA_INT, 0, v);
        MemorySegment dst = arena.allocate(4L * 37);
        Layout.copyRow(src, 0, 0, dst, 0, 37, 4);
        for (long k = 0; k < 37; k++) {
          assertEquals(v, dst.getAtIndex(ValueLayout.JAVA_INT, k), "4-byte lane " + k);
        }
      }
      for (long v : longs) {
        MemorySegment src = arena.allocate(8);
        src.set(ValueLayout.JAVA_LONG, 0, v);
        MemorySegment dst = arena.allocate(8L * 19);
        Layout.copyRow(src, 0, 0, dst, 0, 19, 8);
        for (long k = 0; k < 19; k++) {
          assertEquals(v, dst.getAtIndex(ValueLayout.JAVA_LONG, k), "8-byte lane " + k);
        }
      }
    }
  }
}
