package dev.arbor.core;

import java.util.ArrayDeque;

/** The per-thread stack of active traces, which assigns levels. */
final class TraceStack {
  private static final ThreadLocal<ArrayDeque<Trace>> STACK =
      ThreadLocal.withInitial(ArrayDeque::new);

  /** Stack depth at or below which traces are hidden from {@link #staging} (eval contexts). */
  private static final ThreadLocal<int[]> BARRIER = ThreadLocal.withInitial(() -> new int[1]);

  private TraceStack() {}

  static int push(Trace t) {
    ArrayDeque<Trace> s = STACK.get();
    s.push(t);
    return s.size();
  }

  static void pop(Trace t) {
    ArrayDeque<Trace> s = STACK.get();
    if (s.peek() != t) {
      throw new AssertionError("trace stack out of order: ending " + t + " but top is " + s.peek());
    }
    s.pop();
  }

  /** The innermost active trace that claims {@code p} (see {@link Trace#claims}), or null. */
  static Trace claiming(Primitive p, Params params) {
    for (Trace t : STACK.get()) {
      if (t.claims(p, params)) {
        return t;
      }
    }
    return null;
  }

  /**
   * The innermost active trace that stages operations on constants ({@link Trace#stagesConstants}),
   * or null: then such operations run now. Traces started before the innermost {@link #evalContext}
   * do not count.
   */
  static Trace staging() {
    ArrayDeque<Trace> s = STACK.get();
    if (s.isEmpty()) {
      return null; // eager code: the common case, one thread-local read
    }
    int visible = s.size() - BARRIER.get()[0];
    for (Trace t : s) {
      if (visible-- <= 0) {
        return null;
      }
      if (t.stagesConstants()) {
        return t;
      }
    }
    return null;
  }

  /**
   * Until the returned handle is closed, operations on constants alone run at once even while a
   * {@code jit} is staging (traces started inside still stage their own). For work that must be
   * concrete while an outer transformation traces, such as constant folding during a nested
   * compile.
   */
  static Trace.EvalContext evalContext() {
    int[] barrier = BARRIER.get();
    int saved = barrier[0];
    barrier[0] = STACK.get().size();
    return () -> barrier[0] = saved;
  }

  static int depth() {
    return STACK.get().size();
  }
}
