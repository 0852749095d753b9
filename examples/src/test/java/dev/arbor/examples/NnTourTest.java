package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.module.State;
import dev.arbor.nn.Layers;
import dev.arbor.nn.MLP;
import dev.arbor.nn.Sequential;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NnTourTest {
  @TempDir Path dir;

  @Test
  void theConvnetRunsInTrainingAndInference() {
    Sequential net = NnTour.convnet(Key.of(0));
    Tensor images = Random.normal(Key.of(1), 2, 28, 28, 1);
    Sequential updated = State.update(net, images);
    assertEquals(Shape.of(2, 10), Layers.inferenceMode(updated, true).call(images).shape());
  }

  @Test
  void theTrainingLoopLowersTheLoss() {
    double[] losses = NnTour.train(15);
    assertTrue(losses[1] < losses[0] * 0.7, losses[0] + " -> " + losses[1]);
  }

  @Test
  void theCheckpointRoundTripRestoresTheSavedModel() throws IOException {
    MLP restored = NnTour.checkpointRoundTrip(dir.resolve("m.safetensors"));
    assertArrayEquals(
        NnTour.mlp(Key.of(1)).layers().get(2).weight().toFloatArray(),
        restored.layers().get(2).weight().toFloatArray());
  }
}
