package dev.arbor.agent;

import dev.arbor.instrument.ModuleCalls;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;

/**
 * Arbor's Java agent: instruments every class implementing {@code dev.arbor.module.Module} so that
 * a plain {@code call} inside an outer module's state context updates the outer module (STATE.md
 * section 3), and is an ordinary call otherwise.
 *
 * <p>Three ways in: {@code java -javaagent:agent/target/arbor-agent.jar ...} (premain), a late
 * attach (agentmain), or {@link #install()} from the running program (self-attach; Arbor does this
 * on first module use unless {@code -Darbor.selfAttach=false}). See {@code docs/agent.md}.
 *
 * <p>Thread-safety: {@link #install} methods are synchronized and idempotent.
 */
public final class ArborAgent {
  private static boolean installed;

  private ArborAgent() {}

  /** Entry point for {@code -javaagent}. */
  public static void premain(String args, Instrumentation inst) {
    install(inst, "-javaagent");
  }

  /** Entry point for a late attach; retransforms module classes already loaded. */
  public static void agentmain(String args, Instrumentation inst) {
    install(inst, "late attach");
  }

  /** Whether this class installed the instrumentation in this JVM. */
  public static synchronized boolean isInstalled() {
    return installed;
  }

  /**
   * Attaches the agent to the running JVM and instruments module classes, including those already
   * loaded. Idempotent. Prints the JDK's JEP 451 warning unless the JVM runs with {@code
   * -XX:+EnableDynamicAgentLoading}.
   *
   * @throws IllegalStateException when the JVM forbids loading an agent at run time; the message
   *     names the {@code -javaagent} argument and the flag that fix it
   */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    useSafeByteBuddy();
    Instrumentation inst;
    try {
      inst = net.bytebuddy.agent.ByteBuddyAgent.install();
    } catch (RuntimeException | LinkageError e) {
      throw new IllegalStateException(
          "this JVM does not allow loading an agent at run time ("
              + attachProblem()
              + "); start it with "
              + javaagentArgument()
              + ", or with -XX:+EnableDynamicAgentLoading. Cause: "
              + e,
          e);
    }
    install(inst, "self-attach");
  }

  /** Instruments module classes through {@code inst}. Idempotent. */
  public static synchronized void install(Instrumentation inst) {
    install(inst, "Instrumentation");
  }

  private static synchronized void install(Instrumentation inst, String how) {
    if (installed) {
      return;
    }
    useSafeByteBuddy();
    ModuleTransformer.installOn(inst);
    installed = true;
    try {
      ModuleCalls.markAgentActive(how);
    } catch (LinkageError e) {
      // arbor-core is not on the class path: there are no modules to intercept.
    }
  }

  /** TECH-NOTES: without it, JDK 25 prints the sun.misc.Unsafe deprecation warning. */
  private static void useSafeByteBuddy() {
    if (System.getProperty("net.bytebuddy.safe") == null) {
      System.setProperty("net.bytebuddy.safe", "true");
    }
  }

  private static String attachProblem() {
    if (ModuleLayer.boot().findModule("jdk.attach").isEmpty()) {
      return "the jdk.attach module is missing from this runtime";
    }
    return "it was probably started with -XX:-EnableDynamicAgentLoading";
  }

  /** {@code -javaagent:<path of this jar>}, or a generic form when not run from a jar. */
  static String javaagentArgument() {
    try {
      Path p =
          Path.of(ArborAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (p.toString().endsWith(".jar")) {
        return "-javaagent:" + p;
      }
    } catch (Exception | LinkageError e) {
      // fall through to the generic form
    }
    return "-javaagent:/path/to/arbor-agent.jar";
  }
}
