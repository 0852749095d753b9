package dev.arbor.plugin;

import java.util.Objects;

/**
 * Something that went wrong while loading or registering a plugin contribution, and was skipped.
 *
 * @param source where it came from: a jar path, a provider class, or {@code "runtime"}; non-null
 * @param message what happened and what to do about it; non-null
 * @param cause the exception behind it, or {@code null}
 */
public record PluginProblem(String source, String message, Throwable cause) {
  /** Checks that source and message are present. */
  public PluginProblem {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return source
        + ": "
        + message
        + (cause == null
            ? ""
            : " (" + cause.getClass().getName() + ": " + cause.getMessage() + ")");
  }
}
