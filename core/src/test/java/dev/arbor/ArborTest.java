package dev.arbor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ArborTest {
  @Test
  void versionIsSet() {
    assertTrue(Arbor.version().startsWith("0.1.0"));
  }
}
