package dev.arbor.transform.jit;

import dev.arbor.array.Tensor;
import java.util.List;

/**
 * A function on a flat list of tensors plus static (non-tensor) arguments, as {@link Jit} stages
 * it. The pytree layer flattens a user function's arguments into the tensor leaves ({@code args})
 * and a static key ({@code statics}: the tree structure and the non-tensor leaves), and reports the
 * output's tree structure as {@link FlatResult#structure()}.
 *
 * @param <S> the static key's type; it must have value {@code equals}/{@code hashCode}
 */
@FunctionalInterface
public interface FlatFunction<S> {
  /**
   * Computes the outputs. While staged, {@code args} are tracers: branch on them only through
   * primitives ({@code Ops.where}, structured control flow), never through Java control flow.
   */
  FlatResult apply(List<Tensor> args, S statics);
}
