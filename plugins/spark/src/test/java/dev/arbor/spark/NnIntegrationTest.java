package dev.arbor.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.nn.optim.Optimizer;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.nn.optim.Optimizers.AdamState;
import dev.arbor.spark.Training.Mlp;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** arbor-nn's optimizers as update rules and its safetensors checkpoints as the store. */
class NnIntegrationTest {
  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) throws Exception {
    var bytes = new ByteArrayOutputStream();
    try (var out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    try (var in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  @Test
  void optimizerRuleSurvivesSerializationAndMatchesTheOptimizer() throws Exception {
    UpdateRule<Mlp, AdamState> rule =
        roundTrip(UpdateRule.<Mlp, AdamState>of(() -> Optimizers.adam(0.01)));
    Optimizer<AdamState> adam = Optimizers.adam(0.01);
    Training.Batch batch = Training.data(3, 16);
    Mlp params = Training.init(1);
    Mlp expected = params;
    AdamState state = rule.init(params);
    AdamState expectedState = adam.init(expected);
    var vg = Arbor.valueAndGrad(Training::loss);
    for (int k = 0; k < 3; k++) {
      var step = rule.apply(params, vg.apply(params, batch).grad(), state);
      params = step.params();
      state = step.state();
      var ref = adam.update(vg.apply(expected, batch).grad(), expectedState, expected);
      expected = Optimizers.applyUpdates(expected, ref.updates());
      expectedState = ref.state();
    }
    Training.assertClose(expected, params, 0);
    assertEquals(3, state.count().item(), 0);
  }

  @Test
  void safetensorsStoreRoundTripsParamsAndOptimizerState(@TempDir Path dir) throws Exception {
    UpdateRule<Mlp, AdamState> rule = UpdateRule.of(() -> Optimizers.adam(0.01));
    Mlp params = Training.init(2);
    var vg = Arbor.valueAndGrad(Training::loss);
    var step = rule.apply(params, vg.apply(params, Training.data(4, 8)).grad(), rule.init(params));
    var saved = new TrainingState(step.params(), step.state(), Tensor.scalar(5, DType.I64));
    CheckpointStore store = roundTrip(new SafetensorsStore(dir.resolve("ckpt").toString()));
    assertTrue(store.load("run", saved).isEmpty());
    store.save("run", saved);
    assertTrue(dir.resolve("ckpt/run.safetensors").toFile().isFile());
    var like = new TrainingState(Training.init(9), rule.init(params), Tensor.scalar(0, DType.I64));
    TrainingState back = store.load("run", like).orElseThrow();
    Training.assertClose(step.params(), (Mlp) back.params(), 0);
    AdamState s = (AdamState) back.optState();
    Training.assertClose((Mlp) step.state().mu(), (Mlp) s.mu(), 0);
    Training.assertClose((Mlp) step.state().nu(), (Mlp) s.nu(), 0);
    assertEquals(1, s.count().item(), 0);
    assertEquals(5, back.stepsDone().item(), 0);
  }
}
