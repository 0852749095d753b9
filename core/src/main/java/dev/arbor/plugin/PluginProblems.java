package dev.arbor.plugin;

import java.util.ArrayList;
import java.util.List;

/**
 * The problems met while loading plugins in this JVM, oldest first.
 *
 * <p>Thread-safe. Bounded: after {@value #CAPACITY} problems, further ones are still logged but
 * only counted ({@link #dropped()}).
 */
public final class PluginProblems {
  /** How many problems are kept. */
  public static final int CAPACITY = 1000;

  private static final System.Logger LOG = System.getLogger("dev.arbor.plugin");
  private static final List<PluginProblem> PROBLEMS = new ArrayList<>();
  private static int dropped;

  private PluginProblems() {}

  /**
   * Records a problem and logs it as a warning.
   *
   * @param source where it came from (a jar path, a class name, {@code "runtime"}); non-null
   * @param message what happened and the fix; non-null
   * @param cause the exception behind it, or {@code null}
   * @return the recorded problem
   */
  public static PluginProblem report(String source, String message, Throwable cause) {
    PluginProblem p = new PluginProblem(source, message, cause);
    LOG.log(System.Logger.Level.WARNING, p.toString());
    synchronized (PROBLEMS) {
      if (PROBLEMS.size() < CAPACITY) {
        PROBLEMS.add(p);
      } else {
        dropped++;
      }
    }
    return p;
  }

  /** A snapshot of the recorded problems, oldest first; unmodifiable. */
  public static List<PluginProblem> list() {
    synchronized (PROBLEMS) {
      return List.copyOf(PROBLEMS);
    }
  }

  /** How many problems arrived after the list was full. */
  public static int dropped() {
    synchronized (PROBLEMS) {
      return dropped;
    }
  }
}
