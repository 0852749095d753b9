package com.example.arbor.softplus;

import dev.arbor.array.Tensor;
import dev.arbor.module.Module;

/**
 * A dense layer with a softplus activation: {@code softplus(x @ w + b)}. A record, so it is a
 * pytree whose leaves are its parameters: {@code Arbor.grad} of a loss over it returns a {@code
 * SoftplusDense} of gradients.
 *
 * @param w weights, {@code [in, out]}
 * @param b bias, {@code [out]}
 */
public record SoftplusDense(Tensor w, Tensor b) implements Module<Tensor, Tensor> {
  @Override
  public Tensor call(Tensor x) {
    return Softplus.softplus(x.matmul(w).add(b));
  }
}
