package dev.arbor.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.Tensor;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Primitive;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BackendsTest {
  /** A second host backend (the reference kernels under another name) for multi-backend tests. */
  static final class CopyBackend implements Backend {
    private final ReferenceBackend ref = new ReferenceBackend();

    @Override
    public String name() {
      return "test-copy";
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public int rank() {
      return -1;
    }

    @Override
    public Buffer upload(HostArray data) {
      return data.dtype().isFloating()
          ? HostArray.ofDoubles(data.aval(), data.toDoubles())
          : HostArray.ofLongs(data.aval(), data.toLongs());
    }

    @Override
    public HostArray download(Buffer buffer) {
      return (HostArray) buffer;
    }

    @Override
    public Optional<Kernel> kernel(Primitive p) {
      return ref.kernel(p);
    }
  }

  static final class Unavailable extends ReferenceBackendLike {
    @Override
    public String name() {
      return "test-missing-device";
    }

    @Override
    public boolean isAvailable() {
      return false;
    }

    @Override
    public String unavailableReason() {
      return "no device here";
    }
  }

  abstract static class ReferenceBackendLike implements Backend {
    @Override
    public int rank() {
      return 100;
    }

    @Override
    public Buffer upload(HostArray data) {
      return data;
    }

    @Override
    public HostArray download(Buffer buffer) {
      return (HostArray) buffer;
    }

    @Override
    public Optional<Kernel> kernel(Primitive p) {
      return Optional.empty();
    }
  }

  @BeforeAll
  static void register() {
    Backends.register(new CopyBackend());
    Backends.register(new Unavailable());
  }

  @Test
  void theReferenceBackendIsTheDefaultAndUnavailableOnesAreSkipped() {
    assertEquals("reference", Backends.defaultBackend().name());
    assertTrue(
        Backends.describe().get("test-missing-device").contains("unavailable: no device here"),
        Backends.describe().toString());
  }

  @Test
  void toCopiesBetweenBackendsAndResultsStayThere() {
    Tensor a = Tensor.of(1f, 2f, 3f);
    Tensor b = a.to("test-copy");
    assertEquals("test-copy", ((ConcreteTensor) b).backend().name());
    Tensor placed = a.to("reference");
    assertTrue(((ConcreteTensor) placed).isCommitted());
    assertSame(placed, placed.to("reference"));
    Tensor c = b.add(b);
    assertEquals("test-copy", ((ConcreteTensor) c).backend().name());
    assertArrayEquals(new float[] {2, 4, 6}, c.toFloatArray());
  }

  @Test
  void mixingCommittedBackendsNamesTheFix() {
    Tensor a = Tensor.of(1f, 2f).to("reference");
    Tensor b = a.to("test-copy");
    var e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
    assertTrue(e.getMessage().contains("to(\""), e.getMessage());
    assertTrue(e.getMessage().contains("test-copy"), e.getMessage());
  }

  @Test
  void uncommittedTensorsFollowCommittedOnes() {
    // Tensor factories make uncommitted tensors (as JAX's jnp.array): an op with a tensor placed
    // on another backend moves them there, and the result is committed to that backend.
    Tensor placed = Tensor.of(1f, 2f).to("test-copy");
    Tensor c = Tensor.of(10f, 20f).add(placed);
    assertEquals("test-copy", ((ConcreteTensor) c).backend().name());
    assertTrue(((ConcreteTensor) c).isCommitted());
    assertArrayEquals(new float[] {11, 22}, c.toFloatArray());
    // grad's ones-cotangent (made on the default backend) meets a function on another backend
    Tensor g = dev.arbor.Arbor.grad((Tensor x) -> x.mul(x).sum()).apply(placed);
    assertEquals("test-copy", ((ConcreteTensor) g).backend().name());
    assertArrayEquals(new float[] {2, 4}, g.toFloatArray());
  }

  @Test
  void unknownOrUnavailableNamesListTheAvailableOnes() {
    var e = assertThrows(IllegalArgumentException.class, () -> Backends.get("tpu"));
    assertTrue(e.getMessage().contains("unknown backend 'tpu'"), e.getMessage());
    assertTrue(e.getMessage().contains("reference"), e.getMessage());
    var u = assertThrows(IllegalArgumentException.class, () -> Backends.get("test-missing-device"));
    assertTrue(u.getMessage().contains("no device here"), u.getMessage());
  }
}
