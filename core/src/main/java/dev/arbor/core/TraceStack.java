package dev.arbor.core;

import java.util.ArrayDeque;

/** The per-thread stack of active traces, which assigns levels. */
final class TraceStack {
  private static final ThreadLocal<ArrayDeque<Trace>> STACK =
      ThreadLocal.withInitial(ArrayDeque::new);

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

  static int depth() {
    return STACK.get().size();
  }
}
