package dev.arbor.nn.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.nn.Activation;
import dev.arbor.nn.MLP;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.random.Key;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
  @TempDir Path dir;

  record Mixed(Tensor f32, Tensor f64, Tensor i32, Tensor i64, Tensor bool, List<Tensor> list) {}

  static Mixed mixed() {
    return new Mixed(
        Tensor.of(new float[][] {{1.5f, -2}, {3, 4.25f}}),
        Tensor.of(Math.PI, -1e-300),
        Tensor.of(7, -8, Integer.MAX_VALUE),
        Tensor.of(Long.MAX_VALUE, -3L),
        Tensor.of(1, 0, 1).astype(DType.BOOL),
        List.of(Tensor.scalar(2.5)));
  }

  @Test
  void roundTripsEveryDtypeExactly() throws IOException {
    Path f = dir.resolve("m.safetensors");
    Mixed m = mixed();
    Checkpoints.save(f, m, Map.of("format", "arbor"));
    Mixed r = Checkpoints.load(f, m);
    assertEquals(Shape.of(2, 2), r.f32().shape());
    assertArrayEquals(m.f32().toFloatArray(), r.f32().toFloatArray());
    assertArrayEquals(m.f64().toDoubleArray(), r.f64().toDoubleArray(), 0);
    assertArrayEquals(m.i32().toLongArray(), r.i32().toLongArray());
    assertArrayEquals(new long[] {Long.MAX_VALUE, -3}, r.i64().toLongArray());
    assertEquals(DType.BOOL, r.bool().dtype());
    assertArrayEquals(m.bool().toLongArray(), r.bool().toLongArray());
    assertEquals(Shape.of(), r.list().get(0).shape());
  }

  @Test
  void theFileFollowsTheSafetensorsLayout() throws IOException {
    Path f = dir.resolve("m.safetensors");
    Checkpoints.save(f, mixed());
    byte[] bytes = Files.readAllBytes(f);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long n = b.getLong();
    assertEquals(0, (8 + n) % 8, "data section 8-byte aligned");
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8).strip();
    assertTrue(
        header.contains("\".f32\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}"),
        header);
    assertTrue(header.contains("\".list[0]\":{\"dtype\":\"F32\",\"shape\":[],"), header);
    // .f32's first element, little-endian, at the start of the data section
    assertEquals(1.5f, b.getFloat(8 + (int) n));
    Map<String, Tensor> all = Checkpoints.read(f);
    assertEquals(
        List.of(".f32", ".f64", ".i32", ".i64", ".bool", ".list[0]"), List.copyOf(all.keySet()));
  }

  @Test
  void aModelAndItsOptimizerStateRoundTrip() throws IOException {
    MLP model = MLP.init(Key.of(1), Activation.RELU, 4, 3, 2);
    var state = Optimizers.adam(1e-3).init(model);
    record Checkpoint(MLP model, Optimizers.AdamState opt) {}
    Path f = dir.resolve("ckpt.safetensors");
    Checkpoints.save(f, new Checkpoint(model, state));
    Checkpoint r =
        Checkpoints.load(f, new Checkpoint(MLP.init(Key.of(2), Activation.RELU, 4, 3, 2), state));
    assertArrayEquals(
        model.layers().get(1).weight().toFloatArray(),
        r.model().layers().get(1).weight().toFloatArray());
    assertEquals(Activation.RELU, r.model().activation());
    assertEquals(DType.I32, r.opt().count().dtype());
    // a template of another shape is refused, naming the leaf
    var e =
        assertThrows(
            IOException.class,
            () ->
                Checkpoints.load(
                    f, new Checkpoint(MLP.init(Key.of(2), Activation.RELU, 4, 5, 2), state)));
    assertTrue(e.getMessage().contains(".model.layers[0].weight"), e.getMessage());
  }

  @Test
  void readsHalfPrecisionAndBytesWrittenByOtherTools() throws IOException {
    // As safetensors.torch.save_file writes them: F16 [1.0, -2.0], BF16 [0.5], U8 [255]
    String header =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
            + "\"u\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[6,7]}}";
    ByteBuffer data = ByteBuffer.allocate(7).order(ByteOrder.LITTLE_ENDIAN);
    data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3F00).put((byte) -1);
    Path f = file(header, data.array());
    Map<String, Tensor> all = Checkpoints.read(f);
    assertArrayEquals(new float[] {1, -2}, all.get("h").toFloatArray());
    assertArrayEquals(new float[] {0.5f}, all.get("b").toFloatArray());
    assertArrayEquals(new long[] {255}, all.get("u").toLongArray());
  }

  Path file(String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    Path f = Files.createTempFile(dir, "t", ".safetensors");
    Files.write(f, b.array());
    return f;
  }

  Path raw(byte[] bytes) throws IOException {
    Path f = Files.createTempFile(dir, "r", ".safetensors");
    Files.write(f, bytes);
    return f;
  }

  void assertRejected(Path f, String expected) {
    var e = assertThrows(IOException.class, () -> Checkpoints.read(f));
    assertTrue(e.getMessage().contains("not a valid safetensors file"), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void everyTruncationOfAValidFileFailsWithAClearError() throws IOException {
    Path good = dir.resolve("good.safetensors");
    Checkpoints.save(good, mixed());
    byte[] all = Files.readAllBytes(good);
    for (int cut = 0; cut < all.length; cut += 1) {
      Path f = raw(Arrays.copyOf(all, cut));
      var e = assertThrows(IOException.class, () -> Checkpoints.read(f), "cut at " + cut);
      assertTrue(e.getMessage().contains("not a valid safetensors file"), e.getMessage());
      Files.delete(f);
    }
  }

  @Test
  void malformedHeadersAreRejectedBeforeAnyAllocation() throws IOException {
    // a header length near 2^63 (or negative as a signed long) must not be allocated
    ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    huge.putLong(Long.MAX_VALUE - 3).putLong(0);
    assertRejected(raw(huge.array()), "header length");
    ByteBuffer neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    neg.putLong(-8).putLong(0);
    assertRejected(raw(neg.array()), "header length");
    assertRejected(raw(new byte[5]), "truncated");
    // a shape of 2^31 x 2^31 floats: its byte count overflows a long
    assertRejected(
        file(
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647],\"data_offsets\":[0,4]}}",
            new byte[4]),
        "overflows");
    // a large shape with small offsets: the byte count does not match
    assertRejected(
        file(
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[1000,1000],\"data_offsets\":[0,4]}}",
            new byte[4]),
        "needs 4000000 bytes");
    assertRejected(
        file(
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[1000000],\"data_offsets\":[0,4000000]}}",
            new byte[8]),
        "outside the data section");
    assertRejected(
        file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,0]}}", new byte[8]),
        "outside the data section");
    assertRejected(
        file(
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            new byte[8]),
        "overlaps");
    assertRejected(
        file("{\"x\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]),
        "C64");
    assertRejected(
        file("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]),
        "dimension");
    assertRejected(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "data_offsets");
    assertRejected(
        file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", new byte[4]),
        "JSON");
    assertRejected(file("[1,2]", new byte[0]), "not a JSON object");
    assertRejected(file("{\"x\":1,\"x\":2}", new byte[0]), "duplicate key");
    assertRejected(file("[".repeat(100) + "]".repeat(100), new byte[0]), "deeper");
  }

  @Test
  void onlyTreesOfTensorsCanBeSaved() {
    record Bad(Tensor w, String label) {}
    record Worse(Tensor w, Object thing) {}
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Checkpoints.save(dir.resolve("x"), new Worse(Tensor.of(1f), new StringBuilder())));
    assertTrue(e.getMessage().contains(".thing"), e.getMessage());
    // a String component is static configuration, not a leaf: saving works
    assertEquals(1, Checkpoints.tensorsByName(new Bad(Tensor.of(1f), "x")).size());
  }
}
