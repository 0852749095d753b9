package dev.arbor.examples.fashion;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar redrawn with {@code \r} (at most every 100 ms) when the output is a
 * terminal; otherwise only the final line is printed, so logs stay clean. Kept in ~60 lines rather
 * than pulling a progress-bar library (and its terminal library) into the examples.
 */
final class ProgressBar {
  private static final int WIDTH = 30;

  private final PrintStream out;
  private final String label;
  private final int total;
  private final boolean live;
  private final long start = System.nanoTime();
  private long lastDraw;
  private long stoppedAt;

  ProgressBar(PrintStream out, String label, int total, boolean live) {
    this.out = out;
    this.label = label;
    this.total = total;
    this.live = live;
  }

  /** Whether stdout is an interactive terminal. */
  static boolean terminal() {
    var c = System.console();
    return c != null && c.isTerminal();
  }

  void step(int done, String status) {
    long now = System.nanoTime();
    if (done == total) {
      stoppedAt = now; // the bar's time is the loop's, not what runs before finish()
    }
    if (live && (now - lastDraw > 100_000_000L || done == total)) {
      lastDraw = now;
      out.print("\r" + line(done, status));
      out.flush();
    }
  }

  void finish(String status) {
    out.println((live ? "\r" : "") + line(total, status));
  }

  private String line(int done, String status) {
    int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
    String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
    long end = stoppedAt != 0 ? stoppedAt : System.nanoTime();
    double secs = (end - start) / 1e9;
    return String.format(
        Locale.ROOT, "%s [%s] %d/%d %5.1fs %s", label, bar, done, total, secs, status);
  }
}
