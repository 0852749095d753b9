package dev.arbor.gpu.device;

import dev.arbor.core.AbstractValue;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Primitive;
import java.util.List;
import java.util.StringJoiner;

/**
 * Entry-point names that say what a kernel does ({@code arbor_tanh_f32}, {@code
 * arbor_fused_mul_tanh_add_f32}): seen in profilers and driver errors. Names need not be unique:
 * programs are cached by their whole source.
 */
final class KernelNames {
  private static final int MAX_PARTS = 6;

  private KernelNames() {}

  static String of(Primitive p, List<AbstractValue> out) {
    return "arbor_" + p.name() + "_" + out.get(0).dtype().shortName();
  }

  static String of(Graph cluster) {
    StringJoiner j = new StringJoiner("_", "arbor_fused_", "");
    List<Equation> eqs = cluster.equations();
    for (int k = 0; k < eqs.size() && k < MAX_PARTS; k++) {
      j.add(eqs.get(k).primitive().name());
    }
    if (eqs.size() > MAX_PARTS) {
      j.add("etc");
    }
    return j + "_" + cluster.outputs().get(0).aval().dtype().shortName();
  }
}
