package dev.arbor.internal.state;

import dev.arbor.module.Module;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code State.parallel}: every branch gets the same input; the output lists their outputs.
 *
 * @param branches the modules, in order
 * @param <I> the input type
 */
public record ParallelModule<I>(List<Module<I, ?>> branches) implements Module<I, List<Object>> {
  /** Copies {@code branches}. */
  public ParallelModule {
    branches = List.copyOf(branches);
  }

  @Override
  public List<Object> call(I input) {
    return StateFrames.intercept(this, input, this::run, false);
  }

  private List<Object> run(I input) {
    List<Object> out = new ArrayList<>(branches.size());
    for (Module<I, ?> branch : branches) {
      out.add(branch.apply(input));
    }
    return Collections.unmodifiableList(out);
  }
}
