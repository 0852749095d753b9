package dev.arbor.core.primitives;

import static dev.arbor.core.primitives.Shapes.arity;

import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.JvpResult;
import java.util.List;

/**
 * {@code stop_gradient}: the identity on values whose tangent is zero, so differentiation treats
 * its output as a constant. Elementwise for batching. It never appears in a linear graph (its JVP
 * yields no tangent), so it needs no transpose rule.
 */
public final class StopGradient {
  private StopGradient() {}

  public static final Primitive STOP_GRADIENT =
      Elementwise.elementwise("stop_gradient")
          .shapeRule(
              (in, p) -> {
                arity("stop_gradient", in, 1);
                return List.of(in.get(0));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                HostArray r = HostArray.zeros(out.get(0));
                for (int k = 0; k < r.size(); k++) {
                  r.copyElement(x, k, k);
                }
                return List.of(r);
              });

  static {
    STOP_GRADIENT.jvp((x, t, p) -> JvpResult.of(STOP_GRADIENT.bind1(p, x.get(0)), null));
  }

  /** {@code x} with a zero derivative. */
  public static Tensor stopGradient(Tensor x) {
    return STOP_GRADIENT.bind1(x);
  }
}
