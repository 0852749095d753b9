package dev.arbor.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Memory: {@code Arbor.scope()} releases buffers eagerly, kept tensors survive, released tensors
 * fail with the documented error, and the Cleaner releases unreachable tensors' buffers. Live
 * buffers are counted with {@link HostArray#live()}; the Cleaner may release earlier garbage at any
 * moment, so counts are compared with upper bounds, never for equality.
 */
class ScopeTest {
  private static Buffer bufferOf(Tensor t) {
    return ((ConcreteTensor) t).rawBuffer();
  }

  @Test
  void scopeReleasesEveryBufferButTheKeptOnes() {
    long before = HostArray.live();
    List<Tensor> intermediates = new ArrayList<>();
    Tensor kept;
    try (var scope = Arbor.scope()) {
      Tensor x = Tensor.ones(100);
      Tensor y = x;
      for (int k = 0; k < 50; k++) {
        y = y.mul(x).add(1.0).slice(0, 0, 100);
        intermediates.add(y);
      }
      assertTrue(HostArray.live() - before >= 50, "the loop allocates buffers");
      kept = scope.keep(y.sum());
    }
    long leaked = HostArray.live() - before;
    assertTrue(leaked <= 1, "only the kept tensor may stay live, " + leaked + " did");
    for (Tensor t : intermediates) {
      assertTrue(bufferOf(t).isReleased());
    }
    assertFalse(bufferOf(kept).isReleased());
    assertEquals(5100.0, kept.item(), 1e-9);
  }

  record Layer(Tensor w, List<Tensor> extra) {}

  @Test
  void keepWalksIntoRecordsAndNestedContainers() {
    Layer kept;
    try (var scope = Arbor.scope()) {
      kept = scope.keep(new Layer(Tensor.of(1f).mul(2.0), List.of(Tensor.of(3f).add(1.0))));
    }
    assertFalse(bufferOf(kept.w()).isReleased(), "a record component is kept");
    assertFalse(bufferOf(kept.extra().get(0)).isReleased(), "a list inside a record is kept");
    assertEquals(4.0, kept.extra().get(0).item(), 0);
  }

  @Test
  void releasedTensorsFailWithTheDocumentedError() {
    Tensor t;
    try (var scope = Arbor.scope()) {
      t = Tensor.of(1f, 2f);
      assertEquals(1, scope.trackedCount());
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, t::toDoubleArray);
    assertTrue(e.getMessage().contains("Arbor.scope()"), e.getMessage());
    assertTrue(e.getMessage().contains("keep"), e.getMessage());
    Tensor released = t;
    assertThrows(IllegalStateException.class, () -> released.add(released));
    assertEquals("Tensor(f32[2], released)", t.toString());
  }

  @Test
  void keptTensorsMoveToTheEnclosingScope() {
    Tensor inner;
    Tensor outerKept;
    try (var outer = Arbor.scope()) {
      try (var scope = Arbor.scope()) {
        inner = scope.keep(Tensor.of(3f, 4f).mul(2.0));
      }
      assertArrayEquals(new double[] {6, 8}, inner.toDoubleArray());
      outerKept = outer.keep(inner.add(1.0));
    }
    assertTrue(bufferOf(inner).isReleased(), "kept only by the inner scope");
    assertArrayEquals(new double[] {7, 9}, outerKept.toDoubleArray());
  }

  @Test
  void scopesMustCloseInOrder() {
    var outer = Arbor.scope();
    var inner = Arbor.scope();
    try {
      assertThrows(IllegalStateException.class, outer::close);
    } finally {
      inner.close();
    }
  }

  @Test
  void cleanerReleasesUnreachableTensors() throws InterruptedException {
    List<Buffer> buffers = new ArrayList<>();
    for (int k = 0; k < 20; k++) {
      buffers.add(bufferOf(Tensor.ones(1000).mul(2.0)));
    }
    // The tensors are unreachable now; only their buffers are held (the Cleaner holds them too).
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (buffers.stream().anyMatch(b -> !b.isReleased()) && System.nanoTime() < deadline) {
      System.gc();
      byte[][] garbage = new byte[64][];
      for (int k = 0; k < garbage.length; k++) {
        garbage[k] = new byte[64 * 1024];
      }
      Thread.sleep(20);
    }
    long released = buffers.stream().filter(Buffer::isReleased).count();
    assertEquals(buffers.size(), released, "buffers released by the Cleaner after GC");
  }
}
