package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.nn.Activation;
import dev.arbor.nn.MLP;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.random.Key;
import dev.arbor.random.Random;
import dev.arbor.tree.Trees;
import java.util.List;
import org.junit.jupiter.api.Test;

class PerExampleGradientsTest {
  @Test
  void vmapOfGradEqualsALoopOfGrads() {
    Key[] k = Key.of(3).split(2);
    MLP model = MLP.init(k[0], Activation.TANH, 4, 5, 3);
    Tensor xs = Random.normal(k[1], 4, 4);
    Tensor labels = Tensor.of(2, 0, 1, 2);
    MLP batched = PerExampleGradients.perExampleGradients(model, xs, labels);
    assertEquals(Shape.of(4, 4, 5), batched.layers().get(0).weight().shape());
    for (int i = 0; i < 4; i++) {
      var e = new PerExampleGradients.Example(xs.get(i), labels.get(i));
      MLP one = Arbor.grad((MLP m) -> PerExampleGradients.loss(m, e)).apply(model);
      final int row = i;
      List<Object> expected = Trees.leaves(one);
      List<Object> got = Trees.leaves(Trees.map(t -> ((Tensor) t).get(row), batched));
      for (int j = 0; j < expected.size(); j++) {
        assertArrayEquals(
            ((Tensor) expected.get(j)).toDoubleArray(),
            ((Tensor) got.get(j)).toDoubleArray(),
            1e-5);
      }
    }
    MLP clipped = PerExampleGradients.clippedMeanGradient(batched, 0.01);
    assertTrue(Optimizers.globalNorm(clipped).item() <= 0.01 + 1e-6);
  }
}
