package dev.arbor.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Concrete tensors, and trees of them, round-trip through Java serialization (Spark's format). */
class TensorSerializationTest {
  record Dense(Tensor w, Tensor b) implements Serializable {}

  private static byte[] write(Object o) throws IOException {
    var bytes = new ByteArrayOutputStream();
    try (var out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T o) throws IOException, ClassNotFoundException {
    try (var in = new ObjectInputStream(new ByteArrayInputStream(write(o)))) {
      return (T) in.readObject();
    }
  }

  @Test
  void everyDtypeAndShapeRoundTrips() throws Exception {
    List<Tensor> tensors =
        List.of(
            Tensor.of(new float[][] {{1.5f, -2f, 3f}, {4f, 5f, Float.NaN}}),
            Tensor.of(1e-300, 2.0),
            Tensor.of(1, -2, Integer.MAX_VALUE),
            Tensor.of(Long.MIN_VALUE, 7L),
            Tensor.of(1, 0, 3).astype(DType.BOOL),
            Tensor.scalar(0.25),
            Tensor.zeros(0, 3));
    for (Tensor t : tensors) {
      Tensor back = roundTrip(t);
      assertNotSame(t, back);
      assertInstanceOf(ConcreteTensor.class, back);
      assertEquals(t.dtype(), back.dtype(), t.toString());
      assertEquals(t.shape(), back.shape(), t.toString());
      assertArrayEquals(t.toDoubleArray(), back.toDoubleArray(), 0.0, t.toString());
      assertArrayEquals(t.toLongArray(), back.toLongArray(), t.toString());
    }
  }

  @Test
  void readsBackOntoTheDefaultBackendAndComputes() throws Exception {
    Tensor back = roundTrip(Tensor.of(1f, 2f, 3f));
    assertEquals(Arbor.backend(), ((ConcreteTensor) back).backend().name());
    assertArrayEquals(new float[] {2f, 4f, 6f}, back.mul(2.0).toFloatArray());
  }

  @Test
  void serializableRecordsListsAndMapsOfTensorsRoundTrip() throws Exception {
    Map<String, Object> tree =
        Map.of(
            "dense",
            new Dense(Tensor.ones(2, 3), Tensor.of(0.5f, 1f, 2f)),
            "list",
            List.of(Tensor.arange(4), Tensor.scalar(3.0, DType.F64)));
    Map<String, Object> back = roundTrip(tree);
    Dense d = (Dense) back.get("dense");
    assertEquals(Shape.of(2, 3), d.w().shape());
    assertArrayEquals(new float[] {0.5f, 1f, 2f}, d.b().toFloatArray());
    @SuppressWarnings("unchecked")
    List<Tensor> list = (List<Tensor>) back.get("list");
    assertArrayEquals(new long[] {0, 1, 2, 3}, list.get(0).toLongArray());
    assertEquals(DType.F64, list.get(1).dtype());
  }

  @Test
  void aSharedTensorStaysSharedWithinOneStream() throws Exception {
    Tensor t = Tensor.of(1f, 2f);
    List<Tensor> back = roundTrip(List.of(t, t));
    assertSame(back.get(0), back.get(1));
  }

  @Test
  @SuppressWarnings("try") // the scope is used only for its close()
  void aReleasedTensorFailsWithTheScopeError() {
    Tensor t;
    try (var scope = Arbor.scope()) {
      t = Tensor.of(1f, 2f).mul(2.0);
    }
    Tensor released = t;
    var e = assertThrows(IllegalStateException.class, () -> write(released));
    assertTrue(e.getMessage().contains("scope.keep"), e.getMessage());
  }

  @Test
  void aTracerIsNotSerializable() {
    Arbor.grad(
            (Tensor x) -> {
              assertThrows(NotSerializableException.class, () -> write(x));
              return x.sum();
            })
        .apply(Tensor.of(1f));
  }

  @Test
  void aCorruptStreamIsRejected() throws Exception {
    // A serial form whose data does not match its shape: 3 values for shape [2].
    byte[] bytes = write(new TensorSerialForm(DType.F32, new int[] {2}, new double[3], null));
    var e =
        assertThrows(
            InvalidObjectException.class,
            () -> new ObjectInputStream(new ByteArrayInputStream(bytes)).readObject());
    assertTrue(e.getMessage().contains("corrupt tensor"), e.getMessage());
  }
}
