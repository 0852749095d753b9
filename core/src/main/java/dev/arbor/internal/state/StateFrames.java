package dev.arbor.internal.state;

import dev.arbor.module.Module;
import dev.arbor.module.Updated;
import java.util.Map;
import java.util.function.Function;

/**
 * The per-thread stack of state frames: which module's {@code call} is running and what it
 * assigned. One {@code ThreadLocal} holds the innermost frame; frames link to their parent.
 *
 * <p>Public only so that {@code dev.arbor.module} and {@code dev.arbor.instrument} can reach it;
 * the package is not exported.
 */
public final class StateFrames {
  private static final ThreadLocal<Frame> CURRENT = new ThreadLocal<>();

  private StateFrames() {}

  static Frame current() {
    return CURRENT.get();
  }

  static void set(Frame frame) {
    CURRENT.set(frame);
  }

  /** Advice entry: pushes a frame for {@code self} if an outer context is active. */
  public static Object enter(Object self) {
    Frame top = CURRENT.get();
    if (top == null || top.module == self) {
      return null;
    }
    Frame frame = new Frame((Module<?, ?>) self, top, null);
    CURRENT.set(frame);
    return frame;
  }

  /** Advice exit: pops the frame and, on normal exit, reports the updated module to the outer. */
  public static void exit(Object token, boolean normal) {
    Frame frame = (Frame) token;
    CURRENT.set(frame.parent);
    if (normal) {
      frame.parent.acceptChild(frame.module, frame.updatedModule());
    }
  }

  /** {@link Module#callAndUpdate}: a fresh context that does not report to any outer one. */
  public static <I, O> Updated<O, Module<I, O>> callAndUpdate(Module<I, O> m, I input) {
    InterceptionStatus.beforeFirstUpdate(m.getClass());
    Frame top = CURRENT.get();
    Frame frame = new Frame(m, top, null);
    CURRENT.set(frame);
    O out;
    try {
      out = m.call(input);
    } finally {
      CURRENT.set(top);
    }
    @SuppressWarnings("unchecked")
    Module<I, O> updated = (Module<I, O>) frame.updatedModule();
    return new Updated<>(out, updated);
  }

  /** {@link Module#apply}: the explicit form of an intercepted call. */
  public static <I, O> O apply(Module<I, O> m, I input) {
    return intercept(m, input, m::call, false);
  }

  /**
   * Runs {@code body} as {@code m}'s intercepted call: inside an outer context, in a frame of its
   * own whose updated module is assigned into the outer. {@code alwaysFrame} gives a frame even
   * with no outer context (functional modules read their stored variables from it).
   */
  static <I, O> O intercept(Module<I, O> m, I input, Function<I, O> body, boolean alwaysFrame) {
    Frame top = CURRENT.get();
    if ((top == null && !alwaysFrame) || (top != null && top.module == m)) {
      return body.apply(input);
    }
    Frame frame = new Frame(m, top, null);
    CURRENT.set(frame);
    O out;
    try {
      out = body.apply(input);
    } finally {
      CURRENT.set(top);
    }
    if (top != null) {
      top.acceptChild(m, frame.updatedModule());
    }
    return out;
  }

  /** {@code State.assign}. */
  public static <T> T assign(String name, T value) {
    Frame top = CURRENT.get();
    if (top != null) {
      top.assign(name, value);
    }
    return value;
  }

  /** {@code State.variable}. */
  public static <T> T variable(String name, T initialValue) {
    Frame top = CURRENT.get();
    if (top == null) {
      return initialValue;
    }
    if (top.init != null) {
      top.init.declare(name, initialValue, "State.variable(\"" + name + "\", ...)");
      return initialValue;
    }
    if (top.module instanceof FunctionalModule<?, ?> fm) {
      @SuppressWarnings("unchecked")
      T stored = (T) fm.stored(name);
      return stored;
    }
    throw new IllegalStateException(
        "State.variable(\""
            + name
            + "\", ...) inside "
            + Describe.module(top.module)
            + ".call: State.variable declares variables of functional modules (State.init);"
            + " in a record or class module declare '"
            + name
            + "' as a component or field and update it with State.assign");
  }

  /** {@link Module#variables} for records, classes and functional modules. */
  public static Map<String, Object> variables(Module<?, ?> m) {
    if (m instanceof FunctionalModule<?, ?> fm) {
      return fm.variables();
    }
    return ModuleStructure.variables(m);
  }
}
