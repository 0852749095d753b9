package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import java.util.List;
import org.junit.jupiter.api.Test;

class FunctionalModulesTest {
  @Test
  void namedInnerModulesAreOneVariableUnnamedOnesAreFlat() {
    Tensor x = Random.normal(Key.of(1), 4, 3);
    Module<Tensor, Tensor> m = FunctionalModules.build(x);
    assertEquals(List.of("hidden", "calls", "mean", "out"), List.copyOf(m.variables().keySet()));
    assertTrue(m.variables().get("hidden") instanceof Module<?, ?>);
    Module<?, ?> hidden = (Module<?, ?>) m.variables().get("hidden");
    assertEquals(List.of("w", "b"), List.copyOf(hidden.variables().keySet()));
    Module<Tensor, Tensor> twice = m.update(x).update(x);
    assertEquals(2.0, ((Tensor) twice.variables().get("calls")).item());
    assertEquals(0.0, ((Tensor) m.variables().get("calls")).item(), "the original is unchanged");
    assertEquals(0, ((Tensor) twice.variables().get("mean")).item(), 1.0);
    assertEquals(m.call(x).shape(), twice.call(x).shape());
  }
}
