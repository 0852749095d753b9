package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuickstartTest {
  @Test
  void trainingReducesTheLoss() {
    double start = Quickstart.train(0, false);
    double end = Quickstart.train(150, false);
    assertTrue(end < start / 3, "loss went from " + start + " to " + end);
  }
}
