package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link CpuThreads#forEachPart}: every part exactly once, from outside and inside the pool. */
class CpuThreadsTest {
  @ParameterizedTest(name = "parts = {0}")
  @ValueSource(ints = {0, 1, 2, 3, 7, 100})
  void runsEveryPartOnce(int parts) {
    AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(parts, 1));
    CpuThreads.forEachPart(parts, p -> runs.incrementAndGet(p));
    for (int p = 0; p < parts; p++) {
      assertEquals(1, runs.get(p), "part " + p);
    }
  }

  @Test
  void runsEveryPartOnceFromInsideThePool() {
    int outer = 8;
    int parts = 5;
    AtomicIntegerArray runs = new AtomicIntegerArray(outer * parts);
    CpuThreads.parallelFor(
        outer,
        1,
        1,
        (from, to) -> {
          for (long o = from; o < to; o++) {
            int base = (int) o * parts;
            CpuThreads.forEachPart(parts, p -> runs.incrementAndGet(base + p));
          }
        });
    for (int i = 0; i < outer * parts; i++) {
      assertEquals(1, runs.get(i), "run " + i);
    }
  }

  @ParameterizedTest(name = "failing part {0} of 6")
  @ValueSource(ints = {0, 3, 5})
  void rethrowsAPartsException(int bad) {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                CpuThreads.forEachPart(
                    6,
                    p -> {
                      if (p == bad) {
                        throw new IllegalStateException("part " + p);
                      }
                    }));
    assertTrue(e.getMessage().contains("part " + bad), e.getMessage());
  }
}
