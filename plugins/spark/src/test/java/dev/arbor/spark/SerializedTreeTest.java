package dev.arbor.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SerializedTreeTest {
  enum Act {
    TANH,
    RELU
  }

  /** Not Serializable, holds an enum (aux data), an int, a list, a map and an Optional. */
  record Layer(Tensor w, Act act, int width, List<Tensor> extra, Optional<Tensor> bias) {}

  private record Hidden(Layer inner, Map<String, Tensor> named) {}

  /** Not a record and not Serializable: cannot be shipped. */
  static final class Opaque {
    final Tensor t = Tensor.of(1f);
  }

  @SuppressWarnings("unchecked")
  private static <T> T viaJava(T o) throws Exception {
    var bytes = new ByteArrayOutputStream();
    try (var out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    try (var in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  @Test
  void nonSerializableRecordsRoundTripThroughTheirConstructors() throws Exception {
    var tree =
        new Hidden(
            new Layer(
                Tensor.of(1f, 2f),
                Act.RELU,
                7,
                List.of(Tensor.of(3, 4)),
                Optional.of(Tensor.scalar(0.5))),
            Map.of("a", Tensor.of(9.0)));
    SerializedTree<Hidden> shipped = viaJava(SerializedTree.of(tree));
    Hidden back = shipped.get();
    assertEquals(Act.RELU, back.inner().act());
    assertEquals(7, back.inner().width());
    assertArrayEquals(new float[] {1f, 2f}, back.inner().w().toFloatArray());
    assertArrayEquals(new long[] {3, 4}, back.inner().extra().get(0).toLongArray());
    assertEquals(0.5, back.inner().bias().orElseThrow().item());
    assertEquals(9.0, back.named().get("a").item());
    assertSame(back, shipped.get(), "deserialized once, then cached");
    assertTrue(shipped.byteSize() > 0);
  }

  @Test
  void anOpaqueNodeFailsNamingTheClassAndTheFix() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> SerializedTree.of(List.of(new Opaque())));
    assertTrue(e.getMessage().contains("Opaque"), e.getMessage());
    assertTrue(e.getMessage().contains("implement Serializable"), e.getMessage());
  }
}
