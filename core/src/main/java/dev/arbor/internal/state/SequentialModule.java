package dev.arbor.internal.state;

import dev.arbor.module.Module;
import java.util.List;

/**
 * {@code State.sequential}: each layer's output feeds the next. Layers are called with {@code
 * apply}, so their state updates without instrumentation.
 *
 * @param layers the modules, in order
 */
public record SequentialModule(List<Module<?, ?>> layers) implements Module<Object, Object> {
  /** Copies {@code layers}. */
  public SequentialModule {
    layers = List.copyOf(layers);
  }

  @Override
  public Object call(Object input) {
    return StateFrames.intercept(this, input, this::run, false);
  }

  @SuppressWarnings("unchecked")
  private Object run(Object input) {
    Object x = input;
    for (Module<?, ?> layer : layers) {
      x = ((Module<Object, Object>) layer).apply(x);
    }
    return x;
  }
}
