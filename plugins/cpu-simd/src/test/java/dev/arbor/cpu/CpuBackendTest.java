package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Scope;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.core.primitives.Reductions;
import org.junit.jupiter.api.Test;

/** Discovery, buffers (layout, pooling, release, leaks), kernel table and fallbacks. */
class CpuBackendTest {
  private final Backend cpu = Backends.get(CpuBackend.NAME);

  @Test
  void discoveredRankedAboveReferenceAndAvailable() {
    assertTrue(cpu instanceof CpuBackend);
    assertTrue(cpu.isAvailable());
    assertEquals("", cpu.unavailableReason());
    assertTrue(cpu.rank() > Backends.get("reference").rank());
    assertTrue(Backends.describe().get(CpuBackend.NAME).contains("available"));
  }

  @Test
  void uploadDownloadRoundTripsEveryDtype() {
    for (DType t : DType.values()) {
      AbstractValue aval = new AbstractValue(Shape.of(3, 7), t);
      HostArray h = HostArray.zeros(aval);
      for (int i = 0; i < h.size(); i++) {
        h.setDouble(i, t == DType.BOOL ? i % 2 : (i - 10) * 1.5);
      }
      CpuBuffer b = (CpuBuffer) cpu.upload(h);
      try {
        assertEquals(21L * t.byteSize(), b.byteSize(), "native layout of " + t);
        assertEquals(0, b.segment().address() % 64, "64-byte alignment");
        assertArrayEquals(h.toDoubles(), cpu.download(b).toDoubles(), t.toString());
      } finally {
        b.release();
      }
    }
  }

  @Test
  void releaseIsIdempotentAndUseAfterReleaseFails() {
    long before = CpuBuffer.live();
    CpuBuffer b = CpuBuffer.allocate(new AbstractValue(Shape.of(100), DType.F32));
    assertEquals(before + 1, CpuBuffer.live());
    b.release();
    b.release();
    assertTrue(b.isReleased());
    assertEquals(before, CpuBuffer.live());
    assertThrows(IllegalStateException.class, b::segment);
  }

  @Test
  void poolReusesReleasedBlocks() {
    AbstractValue aval = new AbstractValue(Shape.of(1000), DType.F64);
    CpuBuffer a = CpuBuffer.allocate(aval);
    long address = a.segment().address();
    a.release();
    CpuBuffer b = CpuBuffer.allocate(new AbstractValue(Shape.of(990), DType.F64));
    try {
      assertEquals(address, b.segment().address(), "same size class comes from the pool");
    } finally {
      b.release();
    }
    assertEquals(7, BufferPool.sizeClass(100));
    assertEquals(6, BufferPool.sizeClass(1));
    assertEquals(10, BufferPool.sizeClass(1024));
    assertEquals(11, BufferPool.sizeClass(1025));
  }

  @Test
  void scopeReleasesEveryIntermediateBuffer() {
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(CpuBackend.NAME);
    try {
      Tensor w = Tensor.fromArray(new float[64 * 64], 64, 64);
      Tensor x = Tensor.fromArray(new float[8 * 64], 8, 64);
      long before = CpuBuffer.live();
      try (Scope s = Scope.open()) {
        assertEquals(0, s.trackedCount());
        for (int i = 0; i < 5; i++) {
          Tensor y = Ops.sum(Ops.tanh(Ops.matmul(x, w)), 1);
          assertEquals(CpuBackend.NAME, ((ConcreteTensor) y).backend().name());
        }
        assertTrue(CpuBuffer.live() > before);
      }
      // The Cleaner may release earlier tests' garbage meanwhile (the pool's cap calls
      // System.gc()), so the count may drop below its starting value, never stay above it.
      assertTrue(CpuBuffer.live() <= before, "no cpu-simd buffer outlives the scope");
    } finally {
      Backends.setDefault(prev.name());
    }
  }

  @Test
  void hotPrimitivesHaveKernels() {
    for (var p :
        new dev.arbor.core.Primitive[] {
          Elementwise.ADD,
          Elementwise.TANH,
          Elementwise.EXP,
          Elementwise.SELECT,
          Elementwise.CONVERT,
          Reductions.REDUCE_SUM,
          Reductions.REDUCE_MAX,
          LinearAlgebra.DOT_GENERAL
        }) {
      assertTrue(cpu.kernel(p).isPresent(), p.name());
    }
  }

  @Test
  void tensorsMoveBetweenBackends() {
    Tensor r = Tensor.of(1.0, 2.0, 3.0).to("reference");
    Tensor c = r.to(CpuBackend.NAME);
    assertEquals(CpuBackend.NAME, ((ConcreteTensor) c).backend().name());
    Tensor sum = Ops.add(c, c);
    assertArrayEquals(new double[] {2, 4, 6}, sum.toDoubleArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.add(r, c));
    assertTrue(e.getMessage().contains("to(\""), e.getMessage());
  }

  @Test
  void threadsAreConfigurable() {
    assertTrue(CpuBackend.threads() >= 1);
    String old = System.getProperty("arbor.threads");
    try {
      System.setProperty("arbor.threads", "3");
      assertEquals(3, CpuThreads.configuredThreads());
      System.setProperty("arbor.threads", "0");
      assertThrows(IllegalArgumentException.class, CpuThreads::configuredThreads);
      System.setProperty("arbor.threads", "many");
      assertThrows(IllegalArgumentException.class, CpuThreads::configuredThreads);
    } finally {
      if (old == null) {
        System.clearProperty("arbor.threads");
      } else {
        System.setProperty("arbor.threads", old);
      }
    }
    assertFalse(CpuThreads.configuredThreads() < 1);
  }

  @Test
  void integerDivisionByZeroFailsLikeTheReferenceAndLeaksNothing() {
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(CpuBackend.NAME);
    try {
      Tensor a = Tensor.fromArray(new double[] {7, -7, Integer.MIN_VALUE}, 3).astype(DType.I32);
      Tensor ok = Tensor.fromArray(new double[] {2, 2, -1}, 3).astype(DType.I32);
      assertArrayEquals(new long[] {3, -3, Integer.MIN_VALUE}, Ops.div(a, ok).toLongArray());
      assertArrayEquals(new long[] {1, -1, 0}, Elementwise.REM.bind1(a, ok).toLongArray());
      Tensor zero = Tensor.fromArray(new double[] {1, 0, 1}, 3).astype(DType.I32);
      long live = CpuBuffer.live();
      ArithmeticException e = assertThrows(ArithmeticException.class, () -> Ops.div(a, zero));
      assertEquals("integer division by zero in 'div'", e.getMessage());
      e = assertThrows(ArithmeticException.class, () -> Elementwise.REM.bind1(a, zero));
      assertEquals("integer remainder by zero in 'rem'", e.getMessage());
      assertEquals(live, CpuBuffer.live(), "the failed kernels' outputs were released");
    } finally {
      Backends.setDefault(prev.name());
    }
  }
}
