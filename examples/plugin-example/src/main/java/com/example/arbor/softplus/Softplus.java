package com.example.arbor.softplus;

import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Primitive;
import dev.arbor.core.PrimitiveProvider;
import dev.arbor.core.primitives.Elementwise;
import java.util.List;

/**
 * The {@code softplus} primitive, {@code log(1 + exp(x))}, declared once with all its rules: shape
 * rule, JVP, batching rule and reference kernel. It is not linear, so it needs no transpose rule:
 * reverse mode transposes the JVP's tangent expression, which uses only core primitives.
 *
 * <p>Also the plugin's {@link PrimitiveProvider}, so Arbor lists the primitive as soon as the jar
 * is loaded.
 */
public final class Softplus implements PrimitiveProvider {
  /** The primitive. Elementwise: fusion passes may group it with its neighbours. */
  public static final Primitive PRIMITIVE =
      Primitive.single("softplus").kind(Primitive.Kind.ELEMENTWISE);

  static {
    PRIMITIVE
        .shapeRule(
            (in, params) -> {
              if (in.size() != 1) {
                throw new IllegalArgumentException("softplus takes 1 operand, got " + in.size());
              }
              if (!in.get(0).dtype().isFloating()) {
                throw new IllegalArgumentException(
                    "softplus needs a floating-point tensor, got "
                        + in.get(0)
                        + "; convert it with x.astype(DType.F32)");
              }
              return List.of(in.get(0));
            })
        // d softplus(x) = sigmoid(x) dx: linear in the tangent, as reverse mode requires.
        .jvp(
            (x, t, params) -> {
              Tensor y = PRIMITIVE.bind1(params, x.get(0));
              Tensor dy = t.get(0) == null ? null : t.get(0).mul(Ops.sigmoid(x.get(0)));
              return Primitive.JvpResult.of(y, dy);
            })
        // Elementwise: move the batch axis to the front and apply once.
        .batch((args, dims, params) -> Elementwise.batchElementwise(PRIMITIVE, args, dims, params))
        .reference((in, params, out) -> List.of(reference(in.get(0), out.get(0))));
  }

  /** Public for ServiceLoader. */
  public Softplus() {}

  /** {@code log(1 + exp(x))} elementwise; differentiable, batchable and jittable. */
  public static Tensor softplus(Tensor x) {
    return PRIMITIVE.bind1(x);
  }

  @Override
  public List<Primitive> primitives() {
    return List.of(PRIMITIVE);
  }

  /** The reference kernel: scalar Java, numerically stable for large |x|. */
  static HostArray reference(HostArray x, AbstractValue out) {
    HostArray r = HostArray.zeros(out);
    double[] d = x.doubles();
    for (int k = 0; k < d.length; k++) {
      double v = d[k];
      r.setDouble(k, Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
    }
    return r;
  }
}
