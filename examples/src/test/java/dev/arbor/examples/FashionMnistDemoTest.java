package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.examples.fashion.FashionMnist;
import dev.arbor.examples.fashion.FashionMnistDemo;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FashionMnistDemoTest {
  @TempDir Path dir;

  static FashionMnist.Splits bundled() throws IOException {
    return FashionMnist.load(Path.of("bundled"));
  }

  @Test
  void theBundledSubsetIsThereAndBalanced() throws IOException {
    FashionMnist.Splits s = bundled();
    assertEquals(6000, s.train().size());
    assertEquals(1000, s.test().size());
    int[] counts = new int[10];
    for (int l : s.train().labels()) {
      counts[l]++;
    }
    for (int c : counts) {
      assertTrue(c > 500, "every class is present: " + java.util.Arrays.toString(counts));
    }
    assertTrue(FashionMnist.class.getResource(FashionMnist.BUNDLED + "LICENSE") != null);
  }

  @Test
  void aShortMlpTrainingLearns() throws IOException {
    FashionMnist.Splits s = bundled();
    var out = new ByteArrayOutputStream();
    FashionMnistDemo.Result r =
        FashionMnistDemo.train(
            FashionMnistDemo.ModelKind.mlp,
            s.train().head(1024),
            s.test(),
            1,
            64,
            1e-3,
            0,
            new PrintStream(out, true, StandardCharsets.UTF_8));
    // 16 steps on 1,024 images: far above the 10% of chance
    assertTrue(r.finalTestAccuracy() > 0.55, "test accuracy " + r.finalTestAccuracy());
    assertTrue(r.stepLoss().get(15) < r.stepLoss().get(0));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("epoch  1/1 [=====") && printed.contains("test acc"), printed);
  }

  @Test
  void aShortConvnetTrainingRuns() throws IOException {
    FashionMnist.Splits s = bundled();
    FashionMnistDemo.Result r =
        FashionMnistDemo.train(
            FashionMnistDemo.ModelKind.conv,
            s.train().head(64),
            s.test().head(100),
            1,
            32,
            1e-3,
            0,
            new PrintStream(OutputStream.nullOutputStream()));
    assertEquals(2, r.stepLoss().size());
    assertTrue(Double.isFinite(r.stepLoss().get(1)));
  }

  /** Writes tiny IDX files (4 images) in the standard layout. */
  void writeIdx(String base, int n, boolean gzip) throws IOException {
    Path images = dir.resolve(base.replace("X", "images-idx3") + "-ubyte" + (gzip ? ".gz" : ""));
    Path labels = dir.resolve(base.replace("X", "labels-idx1") + "-ubyte" + (gzip ? ".gz" : ""));
    try (var im = new DataOutputStream(open(images, gzip));
        var lb = new DataOutputStream(open(labels, gzip))) {
      im.writeInt(0x803);
      im.writeInt(n);
      im.writeInt(28);
      im.writeInt(28);
      lb.writeInt(0x801);
      lb.writeInt(n);
      for (int i = 0; i < n; i++) {
        for (int p = 0; p < 784; p++) {
          im.writeByte((i * 31 + p) % 256);
        }
        lb.writeByte(i % 10);
      }
    }
  }

  static OutputStream open(Path p, boolean gzip) throws IOException {
    OutputStream o = Files.newOutputStream(p);
    return gzip ? new GZIPOutputStream(o) : o;
  }

  @Test
  void theCommandLineReadsDataWritesThePlotAndPrintsTheResult() throws IOException {
    writeIdx("train-X", 64, true);
    writeIdx("t10k-X", 16, false);
    Path png = dir.resolve("curves.png");
    var out = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code =
          new CommandLine(new FashionMnistDemo())
              .setCaseInsensitiveEnumValuesAllowed(true)
              .execute(
                  "--data",
                  dir.toString(),
                  "--epochs",
                  "2",
                  "--batch-size",
                  "32",
                  "--plot",
                  png.toString(),
                  "--model",
                  "MLP");
    } finally {
      System.setOut(saved);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, printed);
    assertTrue(printed.contains("64 train / 16 test images"), printed);
    assertTrue(printed.contains("epoch  2/2"), printed);
    assertTrue(printed.contains("test accuracy"), printed);
    var img = ImageIO.read(png.toFile());
    assertEquals(1000, img.getWidth());
    // a missing folder is a clear error
    var err = new ByteArrayOutputStream();
    int bad =
        new CommandLine(new FashionMnistDemo())
            .setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8))
            .execute("--data", dir.resolve("nothing").toString(), "--epochs", "1");
    assertTrue(bad != 0);
  }
}
