/**
 * Plugin discovery and its diagnostics.
 *
 * <p>Plugins arrive as jars on the class or module path: {@link java.util.ServiceLoader} entries,
 * and (for jars whose manifest says {@code Arbor-Plugin: true}) annotated classes found by a
 * restricted scan. A broken plugin never stops Arbor: it is skipped, a warning is logged through
 * {@link System.Logger} (logger {@code dev.arbor.plugin}), and a {@link
 * dev.arbor.plugin.PluginProblem} is recorded in {@link dev.arbor.plugin.PluginProblems} for {@code
 * Arbor.describe()} to print.
 */
package dev.arbor.plugin;
