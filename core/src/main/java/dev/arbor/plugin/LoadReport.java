package dev.arbor.plugin;

import java.nio.file.Path;
import java.util.List;

/**
 * What one {@code Arbor.loadPlugins(dir)} call did.
 *
 * @param loaded the jars loaded now, in file-name order
 * @param alreadyLoaded jars skipped because the same bytes were loaded before (a no-op)
 * @param problems the jars refused, one problem each; each left the registries unchanged
 */
public record LoadReport(
    List<LoadedPlugin> loaded, List<Path> alreadyLoaded, List<PluginProblem> problems) {
  /** Copies the lists. */
  public LoadReport {
    loaded = List.copyOf(loaded);
    alreadyLoaded = List.copyOf(alreadyLoaded);
    problems = List.copyOf(problems);
  }

  /** Whether no jar was refused. */
  public boolean ok() {
    return problems.isEmpty();
  }
}
