/**
 * The {@code arbor} command ({@link dev.arbor.cli.ArborCli}): {@code arbor info [--json] [--plugins
 * DIR]}, {@code arbor demo [ARGS]}, {@code arbor bench [JMH ARGS]}. Run it through the launcher:
 * {@code ./arbor info}.
 */
package dev.arbor.cli;
