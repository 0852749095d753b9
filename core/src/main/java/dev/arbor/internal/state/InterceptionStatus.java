package dev.arbor.internal.state;

import dev.arbor.instrument.ModuleCalls;
import dev.arbor.instrument.SelfAttacher;
import java.util.Iterator;
import java.util.ServiceLoader;

/**
 * Self-attach on first module use, and the one warning when plain nested calls are not intercepted.
 * Both happen at most once per JVM.
 */
public final class InterceptionStatus {
  private static final System.Logger LOG = System.getLogger("dev.arbor.module");

  /** Why no instrumentation is active, or {@code null} while unknown / when it is. */
  private static String whyNot;

  private static volatile boolean attachTried;
  private static volatile boolean warned;

  private InterceptionStatus() {}

  /**
   * Why no agent instrumentation is active, once self-attach was tried ({@code null} while it has
   * not been tried, or when the agent is active). For {@code Arbor.describe()}.
   */
  public static synchronized String whyNotAttached() {
    return whyNot;
  }

  /** Whether self-attach was tried in this JVM (it is tried on first module use). */
  public static boolean attachTried() {
    return attachTried;
  }

  /** On first module use: self-attach unless disabled or already instrumented. */
  static void beforeFirstUse() {
    if (!attachTried) {
      tryAttach();
    }
  }

  /** At the first {@code callAndUpdate}: warn once if calls of {@code moduleClass} are plain. */
  static void beforeFirstUpdate(Class<?> moduleClass) {
    beforeFirstUse();
    if (!warned) {
      warnIfPlain(moduleClass);
    }
  }

  private static synchronized void tryAttach() {
    if (attachTried) {
      return;
    }
    try {
      if (ModuleCalls.agentActive()) {
        return;
      }
      if ("false".equalsIgnoreCase(System.getProperty("arbor.selfAttach", "true"))) {
        whyNot = "self-attach is off (-Darbor.selfAttach=false)";
        return;
      }
      SelfAttacher attacher = findAttacher();
      if (attacher == null) {
        whyNot = "arbor-agent is not on the class path, so Arbor cannot self-attach";
        return;
      }
      try {
        attacher.install();
      } catch (RuntimeException | LinkageError e) {
        whyNot = "self-attach failed: " + e.getMessage();
        warnOnce(whyNot);
      }
    } finally {
      attachTried = true;
    }
  }

  private static SelfAttacher findAttacher() {
    ServiceLoader<SelfAttacher> loader =
        ServiceLoader.load(SelfAttacher.class, InterceptionStatus.class.getClassLoader());
    Iterator<SelfAttacher> it = loader.iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          return null;
        }
        return it.next();
      } catch (java.util.ServiceConfigurationError e) {
        LOG.log(System.Logger.Level.WARNING, "Arbor: skipping a broken SelfAttacher: " + e);
      }
    }
  }

  private static synchronized void warnIfPlain(Class<?> moduleClass) {
    if (warned || ModuleCalls.isIntercepted(moduleClass)) {
      warned = true;
      return;
    }
    warnOnce(whyNot == null ? "no agent is installed" : whyNot);
  }

  private static synchronized void warnOnce(String reason) {
    if (warned) {
      return;
    }
    warned = true;
    LOG.log(
        System.Logger.Level.WARNING,
        "Arbor: no module instrumentation is active ("
            + reason
            + "), so a nested module's plain call(x) inside callAndUpdate does not update the"
            + " outer module. Fix one of: start the JVM with -javaagent:arbor-agent.jar; allow"
            + " self-attach (arbor-agent on the class path, and -XX:+EnableDynamicAgentLoading);"
            + " instrument at build time (byte-buddy-maven-plugin, see docs/agent.md); or call"
            + " nested modules with inner.apply(x).");
  }
}
