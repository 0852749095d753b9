package dev.arbor.instrument;

import dev.arbor.internal.state.StateFrames;

/**
 * The entry points that instrumented {@code Module.call} methods invoke. The agent and the
 * build-time plugin inline advice equivalent to:
 *
 * <pre>{@code
 * Object token = ModuleCalls.enter(this);      // null: no outer state context, or re-entrant
 * try { ...original body... }
 * finally { ModuleCalls.exit(token, thrown); } // assigns the updated module into the outer
 * }</pre>
 *
 * <p>Cost: with no state context active, {@link #enter} is one {@code ThreadLocal} lookup and
 * allocates nothing. Not for application code: call {@code Module.apply} for the explicit form.
 *
 * <p>Thread-safety: state contexts are per thread; all methods are safe to call from any thread.
 */
public final class ModuleCalls {
  private static volatile boolean agentActive;
  private static volatile String agentHow;
  private static final java.util.concurrent.atomic.AtomicInteger INSTRUMENTED =
      new java.util.concurrent.atomic.AtomicInteger();
  private static final java.util.Queue<String> FIRST_INSTRUMENTED =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** How many instrumented class names {@link #instrumentedClasses()} keeps. */
  public static final int LISTED_CLASSES = 200;

  private ModuleCalls() {}

  /**
   * Called on entry to an instrumented {@code call}. Returns a token to pass to {@link #exit}:
   * {@code null} when there is no outer state context or {@code self}'s call is already running (a
   * {@code super.call()}, a bridge, or the call inside {@code callAndUpdate}).
   */
  public static Object enter(Object self) {
    return StateFrames.enter(self);
  }

  /**
   * Called on every exit of an instrumented {@code call} with the token of {@link #enter}; a {@code
   * null} token does nothing. On normal exit ({@code thrown == null}) assigns the updated module
   * into the outer context; on an exception only restores the context.
   */
  public static void exit(Object token, Throwable thrown) {
    if (token != null) {
      StateFrames.exit(token, thrown == null);
    }
  }

  /** Records that the agent instrumentation is installed in this JVM (called by the agent). */
  public static void markAgentActive() {
    markAgentActive("unknown");
  }

  /**
   * Records that the agent instrumentation is installed, and how: {@code "-javaagent"}, {@code
   * "late attach"} or {@code "self-attach"} (called by the agent; shown by {@code Arbor.describe}).
   */
  public static void markAgentActive(String how) {
    agentHow = how;
    agentActive = true;
  }

  /** How the agent was installed, or {@code null} if it is not. */
  public static String agentHow() {
    return agentActive ? agentHow : null;
  }

  /** Records that the agent instrumented {@code className} (called by the agent). */
  public static void recordInstrumented(String className) {
    if (INSTRUMENTED.incrementAndGet() <= LISTED_CLASSES) {
      FIRST_INSTRUMENTED.add(className);
    }
  }

  /** How many classes the agent instrumented in this JVM so far. */
  public static int instrumentedCount() {
    return INSTRUMENTED.get();
  }

  /** The first {@value #LISTED_CLASSES} classes the agent instrumented, in order. */
  public static java.util.List<String> instrumentedClasses() {
    return java.util.List.copyOf(FIRST_INSTRUMENTED);
  }

  /** Whether the agent (from {@code -javaagent} or self-attach) is installed in this JVM. */
  public static boolean agentActive() {
    return agentActive;
  }

  /**
   * Whether plain {@code call}s of instances of {@code moduleClass} are intercepted: the agent is
   * active, or the class was instrumented at build time (it carries {@link Instrumented}).
   */
  public static boolean isIntercepted(Class<?> moduleClass) {
    return agentActive || moduleClass.isAnnotationPresent(Instrumented.class);
  }
}
