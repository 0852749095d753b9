package dev.arbor.nn;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;
import java.util.List;

/**
 * Layers applied in order, each output feeding the next. A record over the list: its one variable
 * is {@code layers}, and the new state of stateful layers ({@link BatchNorm}, {@link Dropout})
 * flows into {@code State.update(sequential, x)} — each layer is called with {@code apply}, the
 * explicit form of an intercepted call, so this works with and without the agent.
 *
 * <pre>{@code
 * Sequential net = Sequential.of(
 *     Linear.init(k[0], 784, 128), BatchNorm.of(128), Activation.RELU.layer(),
 *     Linear.init(k[1], 128, 10));
 * Sequential next = State.update(net, batch);   // BatchNorm's running statistics moved
 * }</pre>
 *
 * @param layers the layers; not null, no null element
 */
public record Sequential(List<Module<Tensor, Tensor>> layers) implements Module<Tensor, Tensor> {
  public Sequential {
    if (layers == null || layers.contains(null)) {
      throw new IllegalArgumentException("Sequential needs a list of layers without nulls");
    }
    layers = List.copyOf(layers);
  }

  /** A sequential model of {@code layers}. */
  @SafeVarargs
  public static Sequential of(Module<Tensor, Tensor>... layers) {
    List<Module<Tensor, Tensor>> list = new java.util.ArrayList<>(layers.length);
    for (Module<Tensor, Tensor> layer : layers) {
      list.add(layer);
    }
    return new Sequential(list);
  }

  @Override
  public Tensor call(Tensor x) {
    for (Module<Tensor, Tensor> layer : layers) {
      x = layer.apply(x);
    }
    return x;
  }
}
