package dev.arbor.testing;

import dev.arbor.array.Tensor;
import dev.arbor.core.primitives.Structural;
import dev.arbor.transform.ad.Ad;
import dev.arbor.transform.batching.BatchTrace;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Flat-list grad and vmap for tests (the pytree-level API lives in {@code Arbor}). */
public final class Transforms {
  private Transforms() {}

  /** The gradient of a scalar-valued {@code f} with respect to every input. */
  public static List<Tensor> grad(Function<List<Tensor>, Tensor> f, List<Tensor> xs) {
    Ad.Linearized lin = Ad.linearize(l -> List.of(f.apply(l)), xs, "grad");
    Tensor y = lin.primals().get(0);
    if (y.rank() != 0) {
      throw new IllegalArgumentException("grad needs a scalar output, got " + y.shape());
    }
    return lin.transpose(List.of(Tensor.full(1, y.dtype())));
  }

  /** {@code f} with its gradient as the function: a list-to-list function for RuleChecks. */
  public static Function<List<Tensor>, List<Tensor>> gradFn(Function<List<Tensor>, Tensor> f) {
    return xs -> grad(f, xs);
  }

  /** vmap over axis {@code dims[i]} of input {@code i} (-1: unbatched); outputs batched at 0. */
  public static List<Tensor> vmap(
      Function<List<Tensor>, List<Tensor>> f, List<Tensor> xs, int[] dims) {
    int size = -1;
    for (int k = 0; k < dims.length; k++) {
      if (dims[k] >= 0) {
        size = xs.get(k).shape().dim(dims[k]);
      }
    }
    BatchTrace t = new BatchTrace("vmap", null, size);
    List<Tensor> outs = new ArrayList<>();
    try {
      List<Tensor> in = new ArrayList<>();
      for (int k = 0; k < xs.size(); k++) {
        in.add(t.tracer(xs.get(k), dims[k]));
      }
      for (Tensor o : f.apply(in)) {
        var b = t.unwrap(o);
        outs.add(Structural.batchAxisToFront(b.outputs().get(0), b.dims()[0], size));
      }
    } finally {
      t.end();
    }
    return outs;
  }
}
