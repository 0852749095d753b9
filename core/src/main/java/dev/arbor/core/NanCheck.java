package dev.arbor.core;

import dev.arbor.array.Tensor;
import java.util.List;

/**
 * The NaN checker: with {@code -Darbor.debugNans=true}, every primitive evaluated eagerly checks
 * its floating outputs and fails at the first NaN, naming the primitive and the user code that
 * called it. Off by default (it copies results to the host).
 */
public final class NanCheck {
  private static volatile boolean enabled = Boolean.getBoolean("arbor.debugNans");

  private NanCheck() {}

  /** Turns the checker on or off at run time (tests, notebooks). */
  public static void setEnabled(boolean on) {
    enabled = on;
  }

  /** Whether the checker is on. */
  public static boolean isEnabled() {
    return enabled;
  }

  static void check(Primitive p, List<Tensor> outs) {
    if (!enabled) {
      return;
    }
    for (Tensor t : outs) {
      if (t instanceof ConcreteTensor c && c.dtype().isFloating()) {
        for (double d : c.host().doubles()) {
          if (Double.isNaN(d)) {
            throw new ArithmeticException(
                "NaN produced by '" + p.name() + "' " + c.aval() + ", called from " + callSite());
          }
        }
      }
    }
  }

  /** The first stack frame outside Arbor's own packages. */
  static String callSite() {
    return StackWalker.getInstance()
        .walk(
            s ->
                s.filter(f -> !f.getClassName().startsWith("dev.arbor.") || isTest(f))
                    .findFirst()
                    .map(f -> f.getClassName() + "." + f.getMethodName() + ":" + f.getLineNumber())
                    .orElse("<unknown>"));
  }

  private static boolean isTest(StackWalker.StackFrame f) {
    return f.getClassName().endsWith("Test") || f.getClassName().contains("examples");
  }
}
