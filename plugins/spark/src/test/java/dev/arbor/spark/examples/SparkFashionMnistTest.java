package dev.arbor.spark.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Smoke test: a few steps of SparkFashionMnist on a tiny slice of the bundled subset. */
class SparkFashionMnistTest {
  @Test
  void trainsOnATinySubsetInLocal2() throws Exception {
    var bytes = new ByteArrayOutputStream();
    var o =
        SparkFashionMnist.Options.parse(
            new String[] {"--train", "256", "--test", "100", "--shard", "32", "--lr", "3e-3"});
    SparkFashionMnist.Result r =
        SparkFashionMnist.run(o, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertEquals(4, r.losses().size(), "256 examples / (2 x 32) = 4 steps");
    assertTrue(r.losses().stream().allMatch(l -> Double.isFinite(l)), r.losses().toString());
    assertTrue(r.losses().get(3) < r.losses().get(0), "loss went down: " + r.losses());
    assertTrue(r.testAccuracy() > 0.2, "accuracy " + r.testAccuracy());
    assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("test accuracy"));
  }
}
