package dev.arbor.core.primitives;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.JvpResult;
import java.util.Arrays;
import java.util.List;

/**
 * Primitives with no operands that build values from their parameters. With no operands, {@code
 * bind} always reaches the eval trace (a constant under every transformation), so they need no
 * batching rule: {@code BatchTrace} never sees them.
 */
public final class Generators {
  private Generators() {}

  /**
   * {@code iota[dtype=D, shape=S, dimension=K]}: each element is its index along axis {@code K}
   * ({@code lax.broadcasted_iota}).
   */
  public static final Primitive IOTA =
      Primitive.single("iota")
          .shapeRule(
              (in, p) -> {
                Shapes.arity("iota", in, 0);
                int[] shape = p.ints("shape");
                int dim = p.intValue("dimension");
                DType t = p.get("dtype", DType.class);
                if (dim < 0 || dim >= shape.length) {
                  throw new IllegalArgumentException(
                      "'iota': dimension "
                          + dim
                          + " is out of range for shape "
                          + Arrays.toString(shape));
                }
                if (t == DType.BOOL) {
                  throw new IllegalArgumentException("'iota' needs a numeric dtype, got BOOL");
                }
                return List.of(new AbstractValue(Shape.of(shape), t));
              })
          .reference(
              (in, p, out) -> {
                int[] shape = p.ints("shape");
                int dim = p.intValue("dimension");
                HostArray r = HostArray.zeros(out.get(0));
                int[] idx = new int[shape.length];
                for (int k = 0; k < r.size(); k++) {
                  Shapes.unravel(k, shape, idx);
                  r.setLong(k, idx[dim]);
                }
                return List.of(r);
              });

  static {
    IOTA.jvp((x, t, p) -> JvpResult.of(IOTA.bind1(p), null));
  }

  /** Indices along {@code dimension} of an array of {@code shape}. */
  public static Tensor iota(DType dtype, int[] shape, int dimension) {
    return IOTA.bind1(Params.of("dtype", dtype, "shape", shape, "dimension", dimension));
  }
}
