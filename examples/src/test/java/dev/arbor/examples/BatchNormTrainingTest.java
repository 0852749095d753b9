package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.nn.BatchNorm;
import org.junit.jupiter.api.Test;

class BatchNormTrainingTest {
  @Test
  void runningStatisticsAreThreadedThroughTrainingAndServeInference() {
    BatchNormTraining.Trained t = BatchNormTraining.train(60);
    BatchNorm bn = (BatchNorm) t.model().layers().get(1);
    // the inputs have a feature around 50: the running mean must have moved far from its initial 0
    double max = 0;
    for (double v : bn.runningMean().toDoubleArray()) {
      max = Math.max(max, Math.abs(v));
    }
    assertTrue(max > 1, "running mean still near 0: " + bn.runningMean());
    // inference normalizes with the running statistics; with stale ones it would misclassify
    assertTrue(t.accuracy() > 0.9, "accuracy in inference mode " + t.accuracy());
  }
}
