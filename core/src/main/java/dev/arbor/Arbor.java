package dev.arbor;

import dev.arbor.core.Scope;

/** The user entry points of Arbor. */
public final class Arbor {
  private Arbor() {}

  /**
   * Opens a memory scope on this thread: tensors created inside {@code try (var scope =
   * Arbor.scope()) { … }} have their buffers released when the block ends, except those passed to
   * {@link Scope#keep}. Use it in hot loops that should not wait for the garbage collector (which
   * releases unreachable tensors' buffers anyway). Scopes nest; a kept tensor moves to the
   * enclosing scope. Using a released tensor fails with an {@link IllegalStateException} that names
   * {@code keep}.
   */
  public static Scope scope() {
    return Scope.open();
  }

  /** Returns Arbor's version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    String v = Arbor.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}
