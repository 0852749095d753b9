package dev.arbor.transform.jit;

import dev.arbor.core.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Variable substitution shared by the graph passes. */
final class Rewrites {
  private Rewrites() {}

  /** {@code v} renamed by {@code subst} (identity map), or {@code v}. */
  static Var rename(Map<Var, Var> subst, Var v) {
    Var r = subst.get(v);
    return r == null ? v : r;
  }

  /** Every variable of {@code vs} renamed; the same list when nothing changes. */
  static List<Var> rename(Map<Var, Var> subst, List<Var> vs) {
    if (subst.isEmpty()) {
      return vs;
    }
    List<Var> out = null;
    for (int k = 0; k < vs.size(); k++) {
      Var r = subst.get(vs.get(k));
      if (r != null && out == null) {
        out = new ArrayList<>(vs);
      }
      if (r != null) {
        out.set(k, r);
      }
    }
    return out == null ? vs : out;
  }
}
