package dev.arbor.nn;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import dev.arbor.random.Key;
import java.util.ArrayList;
import java.util.List;

/**
 * A multi-layer perceptron: {@link Linear} layers with {@code activation} between them (none after
 * the last one: it returns logits or regression outputs).
 *
 * <pre>{@code
 * MLP mlp = MLP.init(Key.of(0), Activation.RELU, 784, 256, 128, 10);
 * Tensor logits = mlp.call(images);       // [batch, 784] -> [batch, 10]
 * }</pre>
 *
 * @param layers the dense layers, at least one; consecutive sizes must match
 * @param activation applied after every layer but the last
 */
public record MLP(List<Linear> layers, Activation activation) implements Module<Tensor, Tensor> {
  public MLP {
    if (layers == null || layers.isEmpty() || activation == null) {
      throw new IllegalArgumentException("MLP needs at least one Linear layer and an activation");
    }
    layers = List.copyOf(layers);
    // Sizes are checked by each layer's call: transformations rebuild MLPs with batched leaves.
  }

  /**
   * An MLP with layer sizes {@code sizes} (input, hidden..., output), He-normal weights (suited to
   * ReLU) and zero-mean uniform biases.
   */
  public static MLP init(Key key, Activation activation, int... sizes) {
    if (sizes.length < 2) {
      throw new IllegalArgumentException(
          "MLP.init needs at least an input and an output size, e.g. (key, RELU, 784, 128, 10)");
    }
    Key[] keys = key.split(sizes.length - 1);
    List<Linear> layers = new ArrayList<>();
    for (int i = 0; i + 1 < sizes.length; i++) {
      layers.add(Linear.init(keys[i], sizes[i], sizes[i + 1], WeightInit.HE_NORMAL, true));
    }
    return new MLP(layers, activation);
  }

  @Override
  public Tensor call(Tensor x) {
    for (int i = 0; i < layers.size(); i++) {
      x = layers.get(i).call(x);
      if (i + 1 < layers.size()) {
        x = activation.apply(x);
      }
    }
    return x;
  }
}
