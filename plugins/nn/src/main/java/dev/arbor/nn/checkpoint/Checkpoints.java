package dev.arbor.nn.checkpoint;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.tree.KeyPath;
import dev.arbor.tree.Trees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and loads pytrees of tensors as <a
 * href="https://github.com/huggingface/safetensors">safetensors</a> files: an 8-byte little-endian
 * header length, a JSON header mapping each tensor's name to {@code {"dtype", "shape",
 * "data_offsets": [begin, end]}} (offsets relative to the data section), then the raw little-endian
 * data. Names are the leaves' key paths ({@code .layers[0].weight}; a bare tensor is {@code
 * value}), so the files open with {@code safetensors.torch.load_file} or {@code
 * safetensors.numpy.load_file}.
 *
 * <pre>{@code
 * Checkpoints.save(Path.of("model.safetensors"), model);
 * MLP restored = Checkpoints.load(Path.of("model.safetensors"), template);  // same structure
 * }</pre>
 *
 * <p>Reading never trusts the file: the header length is bounded by the file size (and 100 MB),
 * every entry's dtype, shape and offsets are checked (the byte count must match the shape, ranges
 * must lie inside the data section and not overlap) before anything is allocated for it; a
 * truncated or malformed file fails with an {@link IOException} that says what is wrong. Writes go
 * to a temporary file that is moved into place, so a crash never leaves half a checkpoint.
 *
 * <p>dtypes written: F32, F64, I32, I64, BOOL. Also read: F16 and BF16 (as F32), I8, U8, I16 (as
 * I32).
 */
public final class Checkpoints {
  private Checkpoints() {}

  /** The largest header accepted (the reference implementation's limit). */
  static final long MAX_HEADER = 100L << 20;

  /** The name of the tensor of a tree that is a single tensor. */
  public static final String ROOT_NAME = "value";

  /** Saves every leaf of {@code tree} (all must be tensors) under its key path. */
  public static void save(Path file, Object tree) throws IOException {
    save(file, tree, Map.of());
  }

  /** Saves {@code tree} with string {@code metadata} (the header's {@code __metadata__}). */
  public static void save(Path file, Object tree, Map<String, String> metadata) throws IOException {
    write(file, tensorsByName(tree), metadata);
  }

  /** The leaves of {@code tree} by key-path name, in leaf order. */
  public static Map<String, Tensor> tensorsByName(Object tree) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<KeyPath, Object> e : Trees.leavesWithPath(tree)) {
      String name = name(e.getKey());
      if (!(e.getValue() instanceof Tensor t)) {
        throw new IllegalArgumentException(
            "checkpoint: the leaf at "
                + name
                + " is "
                + (e.getValue() == null ? "null" : "a " + e.getValue().getClass().getName())
                + ", not a Tensor; only pytrees of tensors can be saved (mark configuration @Static)");
      }
      if (out.put(name, t) != null) {
        throw new IllegalArgumentException(
            "checkpoint: two leaves have the name " + name + "; names must be unique");
      }
    }
    return out;
  }

  private static String name(KeyPath p) {
    return p.isRoot() ? ROOT_NAME : p.toString();
  }

  /** Writes named tensors (in map order) with optional metadata. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    StringBuilder h = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      h.append(Json.quote("__metadata__")).append(":{");
      String sep = "";
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        h.append(sep).append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
        sep = ",";
      }
      h.append('}');
    }
    long offset = 0;
    String sep = metadata.isEmpty() ? "" : ",";
    List<Tensor> order = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor t = e.getValue();
      long bytes = t.size() * itemSize(t.dtype());
      h.append(sep)
          .append(Json.quote(e.getKey()))
          .append(":{\"dtype\":\"")
          .append(fileDtype(t.dtype()))
          .append("\",\"shape\":[");
      int[] d = t.shape().dims();
      for (int k = 0; k < d.length; k++) {
        h.append(k == 0 ? "" : ",").append(d[k]);
      }
      h.append("],\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(offset + bytes)
          .append("]}");
      offset += bytes;
      sep = ",";
      order.add(t);
    }
    h.append('}');
    byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (header.length + 7) / 8 * 8; // data starts 8-byte aligned, as the spec advises
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(padded).put(header);
      while (head.hasRemaining()) {
        head.put((byte) ' ');
      }
      head.flip();
      writeFully(ch, head);
      for (Tensor t : order) {
        writeFully(ch, encode(t));
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /**
   * Loads a checkpoint into the structure of {@code like}: each leaf is replaced by the tensor
   * named by its key path, which must exist and have the leaf's shape (the dtype is converted to
   * the leaf's). Tensors in the file that {@code like} does not name are an error too.
   */
  public static <T> T load(Path file, T like) throws IOException {
    Map<String, Tensor> stored = read(file);
    List<Map.Entry<KeyPath, Object>> leaves = Trees.leavesWithPath(like);
    List<Object> values = new ArrayList<>(leaves.size());
    for (Map.Entry<KeyPath, Object> e : leaves) {
      String name = name(e.getKey());
      Tensor t = stored.remove(name);
      if (t == null) {
        throw new IOException(
            file + ": no tensor named " + name + " (the file has " + namesOf(file) + ")");
      }
      if (e.getValue() instanceof Tensor l) {
        if (!l.shape().equals(t.shape())) {
          throw new IOException(
              file
                  + ": tensor "
                  + name
                  + " has shape "
                  + t.shape()
                  + " but the template's leaf has "
                  + l.shape());
        }
        values.add(t.dtype() == l.dtype() ? t : t.astype(l.dtype()));
      } else {
        values.add(t);
      }
    }
    if (!stored.isEmpty()) {
      throw new IOException(
          file
              + ": tensors "
              + stored.keySet()
              + " are not leaves of the template "
              + like.getClass().getSimpleName());
    }
    return Trees.unflatten(Trees.structure(like), values);
  }

  private static String namesOf(Path file) {
    try {
      return read(file).keySet().toString();
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** Every tensor of a safetensors file, by name, in data order. */
  public static Map<String, Tensor> read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw bad(
            file,
            "truncated: "
                + size
                + " bytes, but a safetensors file starts with an 8-byte header length");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0, file);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen < 2 || headerLen > size - 8 || headerLen > MAX_HEADER) {
        throw bad(
            file,
            "header length "
                + Long.toUnsignedString(headerLen)
                + " is impossible for a file of "
                + size
                + " bytes (truncated, or not a safetensors file)");
      }
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      readFully(ch, hb, 8, file);
      String text = new String(hb.array(), StandardCharsets.UTF_8);
      Object parsed;
      try {
        parsed = Json.parse(text);
      } catch (IllegalArgumentException e) {
        throw bad(file, e.getMessage());
      }
      if (!(parsed instanceof Map<?, ?> header)) {
        throw bad(file, "the header is not a JSON object");
      }
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      List<Entry> entries = new ArrayList<>();
      for (Map.Entry<?, ?> e : header.entrySet()) {
        String name = (String) e.getKey();
        if (name.equals("__metadata__")) {
          continue;
        }
        entries.add(entry(file, name, e.getValue(), dataLen));
      }
      entries.sort(Comparator.comparingLong(Entry::begin));
      long end = 0;
      for (Entry e : entries) {
        if (e.begin() < end) {
          throw bad(file, "tensor " + e.name() + " overlaps the previous tensor's data");
        }
        end = e.end();
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (Entry e : entries) {
        ByteBuffer b =
            ByteBuffer.allocate((int) (e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b, dataStart + e.begin(), file);
        out.put(e.name(), decode(b.flip(), e.dtype(), e.shape()));
      }
      return out;
    }
  }

  private record Entry(String name, String dtype, int[] shape, long begin, long end) {}

  private static Entry entry(Path file, String name, Object v, long dataLen) throws IOException {
    if (!(v instanceof Map<?, ?> m)) {
      throw bad(file, "entry " + name + " is not an object");
    }
    if (!(m.get("dtype") instanceof String dtype)) {
      throw bad(file, "entry " + name + " has no string \"dtype\"");
    }
    long item = fileItemSize(dtype);
    if (item < 0) {
      throw bad(
          file,
          "entry "
              + name
              + " has dtype "
              + dtype
              + ", which Arbor does not read (F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
    }
    if (!(m.get("shape") instanceof List<?> shapeList) || shapeList.size() > 32) {
      throw bad(file, "entry " + name + " has no \"shape\" list (of at most 32 dims)");
    }
    int[] shape = new int[shapeList.size()];
    long count = 1;
    for (int k = 0; k < shape.length; k++) {
      if (!(shapeList.get(k) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
        throw bad(file, "entry " + name + " has a bad dimension " + shapeList.get(k));
      }
      shape[k] = (int) (long) d;
      count = multiply(file, name, count, d);
    }
    if (!(m.get("data_offsets") instanceof List<?> off)
        || off.size() != 2
        || !(off.get(0) instanceof Long begin)
        || !(off.get(1) instanceof Long end)) {
      throw bad(file, "entry " + name + " needs \"data_offsets\": [begin, end]");
    }
    long bytes = multiply(file, name, count, item);
    if (begin < 0 || end < begin || end > dataLen) {
      throw bad(
          file,
          "entry "
              + name
              + " has data_offsets ["
              + begin
              + ", "
              + end
              + "] outside the data section of "
              + dataLen
              + " bytes (truncated file?)");
    }
    if (end - begin != bytes) {
      throw bad(
          file,
          "entry "
              + name
              + ": shape "
              + Shape.of(shape)
              + " of "
              + dtype
              + " needs "
              + bytes
              + " bytes but data_offsets span "
              + (end - begin));
    }
    if (bytes > Integer.MAX_VALUE - 8) {
      throw bad(
          file, "entry " + name + " is larger than 2 GB, which Arbor cannot hold in one tensor");
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static long multiply(Path file, String name, long a, long b) throws IOException {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw bad(file, "entry " + name + " has a shape whose size overflows");
    }
  }

  private static IOException bad(Path file, String what) {
    return new IOException("not a valid safetensors file: " + file + ": " + what);
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path file)
      throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos);
      if (n < 0) {
        throw bad(file, "unexpected end of file at byte " + pos);
      }
      pos += n;
    }
  }

  // ------------------------------------------------------------ dtypes and encoding

  private static String fileDtype(DType t) {
    return switch (t) {
      case F32 -> "F32";
      case F64 -> "F64";
      case I32 -> "I32";
      case I64 -> "I64";
      case BOOL -> "BOOL";
    };
  }

  private static int itemSize(DType t) {
    return switch (t) {
      case F32, I32 -> 4;
      case F64, I64 -> 8;
      case BOOL -> 1;
    };
  }

  private static long fileItemSize(String dtype) {
    return switch (dtype) {
      case "F64", "I64" -> 8;
      case "F32", "I32" -> 4;
      case "F16", "BF16", "I16" -> 2;
      case "I8", "U8", "BOOL" -> 1;
      default -> -1;
    };
  }

  private static ByteBuffer encode(Tensor t) {
    int n = (int) t.size();
    ByteBuffer b = ByteBuffer.allocate(n * itemSize(t.dtype())).order(ByteOrder.LITTLE_ENDIAN);
    switch (t.dtype()) {
      case F32 -> {
        for (float v : t.toFloatArray()) {
          b.putFloat(v);
        }
      }
      case F64 -> {
        for (double v : t.toDoubleArray()) {
          b.putDouble(v);
        }
      }
      case I32 -> {
        for (long v : t.toLongArray()) {
          b.putInt((int) v);
        }
      }
      case I64 -> {
        for (long v : t.toLongArray()) {
          b.putLong(v);
        }
      }
      case BOOL -> {
        for (long v : t.toLongArray()) {
          b.put((byte) (v != 0 ? 1 : 0));
        }
      }
    }
    return b.flip();
  }

  private static Tensor decode(ByteBuffer b, String dtype, int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    switch (dtype) {
      case "F32", "F16", "BF16" -> {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
          v[k] =
              switch (dtype) {
                case "F32" -> b.getFloat();
                case "F16" -> Float.float16ToFloat(b.getShort());
                default -> Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
              };
        }
        return Tensor.fromArray(v, shape);
      }
      case "F64" -> {
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
          v[k] = b.getDouble();
        }
        return Tensor.fromArray(v, shape);
      }
      case "I64" -> {
        long[] v = new long[n];
        for (int k = 0; k < n; k++) {
          v[k] = b.getLong();
        }
        return Tensor.of(v).reshape(shape);
      }
      default -> {
        int[] v = new int[n];
        for (int k = 0; k < n; k++) {
          v[k] =
              switch (dtype) {
                case "I32" -> b.getInt();
                case "I16" -> b.getShort();
                case "I8" -> b.get();
                default -> b.get() & 0xFF; // U8, BOOL
              };
        }
        Tensor t = Tensor.of(v).reshape(shape);
        return dtype.equals("BOOL") ? Ops.notEqual(t, Tensor.scalar(0, DType.I32)) : t;
      }
    }
  }
}
