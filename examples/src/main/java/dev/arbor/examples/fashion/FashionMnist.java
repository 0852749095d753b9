package dev.arbor.examples.fashion;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST (or any MNIST-format data) read from the standard IDX files: 28x28 grey images as
 * floats in [0, 1], row-major, and labels 0-9.
 *
 * @param images {@code n * 784} pixels
 * @param labels {@code n} labels
 */
public record FashionMnist(float[] images, int[] labels) {
  /** Pixels per image. */
  public static final int PIXELS = 28 * 28;

  /** The class names, by label. */
  public static final String[] CLASSES = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
  };

  /** Where the Debian package {@code dataset-fashion-mnist} installs the files. */
  public static final Path SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** The bundled subset (6,000 train / 1,000 test images), a class-path resource folder. */
  public static final String BUNDLED = "/dev/arbor/examples/fashion/data/";

  /** Number of examples. */
  public int size() {
    return labels.length;
  }

  /** A train and a test split, and where they came from. */
  public record Splits(FashionMnist train, FashionMnist test, String source) {}

  /**
   * Loads {@code train-*} and {@code t10k-*} from {@code dir} (gzip'd or not); with {@code dir ==
   * null}, from {@link #SYSTEM_DIR} when it is there, else from the bundled subset; {@code dir} =
   * {@code bundled} forces the bundled subset.
   */
  public static Splits load(Path dir) throws IOException {
    boolean forceBundled = dir != null && dir.toString().equals("bundled");
    if (dir == null && Files.isDirectory(SYSTEM_DIR)) {
      dir = SYSTEM_DIR;
    }
    if (dir == null || forceBundled) {
      return new Splits(
          read(resource("train-images-idx3-ubyte.gz"), resource("train-labels-idx1-ubyte.gz")),
          read(resource("t10k-images-idx3-ubyte.gz"), resource("t10k-labels-idx1-ubyte.gz")),
          "bundled subset (6,000 train / 1,000 test; install dataset-fashion-mnist for all 70,000)");
    }
    return new Splits(
        read(open(dir, "train-images-idx3-ubyte"), open(dir, "train-labels-idx1-ubyte")),
        read(open(dir, "t10k-images-idx3-ubyte"), open(dir, "t10k-labels-idx1-ubyte")),
        dir.toString());
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = FashionMnist.class.getResourceAsStream(BUNDLED + name);
    if (in == null) {
      throw new IOException("the bundled Fashion-MNIST subset is missing " + BUNDLED + name);
    }
    return new GZIPInputStream(in);
  }

  private static InputStream open(Path dir, String base) throws IOException {
    Path gz = dir.resolve(base + ".gz");
    if (Files.exists(gz)) {
      return new GZIPInputStream(Files.newInputStream(gz));
    }
    Path plain = dir.resolve(base);
    if (Files.exists(plain)) {
      return Files.newInputStream(plain);
    }
    throw new IOException(
        "no " + base + "(.gz) in " + dir + "; --data needs the four standard IDX files");
  }

  /** Reads an IDX3 image file and an IDX1 label file (closing both). */
  public static FashionMnist read(InputStream imagesIn, InputStream labelsIn) throws IOException {
    try (DataInputStream images = new DataInputStream(imagesIn);
        DataInputStream labels = new DataInputStream(labelsIn)) {
      int magic = images.readInt();
      if (magic != 0x00000803) {
        throw new IOException("not an IDX3 image file (magic " + Integer.toHexString(magic) + ")");
      }
      int n = images.readInt();
      int rows = images.readInt();
      int cols = images.readInt();
      if (rows != 28 || cols != 28 || n < 0 || n > 10_000_000) {
        throw new IOException("expected n 28x28 images, got " + n + " of " + rows + "x" + cols);
      }
      if (labels.readInt() != 0x00000801) {
        throw new IOException("not an IDX1 label file");
      }
      int nl = labels.readInt();
      if (nl != n) {
        throw new IOException(n + " images but " + nl + " labels");
      }
      byte[] px = new byte[n * PIXELS];
      images.readFully(px);
      byte[] lb = new byte[n];
      labels.readFully(lb);
      float[] f = new float[px.length];
      for (int k = 0; k < px.length; k++) {
        f[k] = (px[k] & 0xFF) / 255f;
      }
      int[] l = new int[n];
      for (int k = 0; k < n; k++) {
        l[k] = lb[k];
        if (l[k] < 0 || l[k] > 9) {
          throw new IOException("label " + l[k] + " at " + k + " is not 0-9");
        }
      }
      return new FashionMnist(f, l);
    } catch (EOFException e) {
      throw new IOException("truncated IDX file", e);
    }
  }

  /** The first {@code n} examples (or all, if there are fewer). */
  public FashionMnist head(int n) {
    if (n >= size()) {
      return this;
    }
    float[] im = new float[n * PIXELS];
    System.arraycopy(images, 0, im, 0, im.length);
    int[] lb = new int[n];
    System.arraycopy(labels, 0, lb, 0, n);
    return new FashionMnist(im, lb);
  }
}
