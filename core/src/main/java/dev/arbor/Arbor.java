package dev.arbor;

/** The user entry points of Arbor. */
public final class Arbor {
  private Arbor() {}

  /** Returns Arbor's version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    String v = Arbor.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}
