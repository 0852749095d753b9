package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.Tensor;
import dev.arbor.nn.Losses;
import dev.arbor.nn.MLP;
import dev.arbor.random.Key;
import org.junit.jupiter.api.Test;

class EnsembleTest {
  @Test
  void eachMemberEqualsTheModelTrainedAloneFromItsKey() {
    Tensor[] d = Ensemble.data(16);
    int steps = 20;
    MLP ensemble = Ensemble.train(3, steps, d[0], d[1]);
    Tensor preds = Ensemble.predict(ensemble, d[0]);
    Key[] keys = Key.of(42).split(3);
    for (int m = 0; m < 3; m++) {
      MLP alone = Ensemble.trainOne(keys[m], steps, d[0], d[1]);
      assertArrayEquals(alone.call(d[0]).toDoubleArray(), preds.get(m).toDoubleArray(), 1e-4);
    }
    // members differ (independent initializations) and learned something
    assertTrue(Losses.mse(preds.get(0), preds.get(1)).item() > 1e-6);
    MLP untrained = Ensemble.trainOne(keys[0], 0, d[0], d[1]);
    assertTrue(
        Losses.mse(preds.get(0), d[1]).item() < Losses.mse(untrained.call(d[0]), d[1]).item());
  }
}
