/** The {@code arbor} command line: {@code info}, {@code demo}, {@code bench}. */
module dev.arbor.cli {
  requires dev.arbor;
  requires info.picocli;

  exports dev.arbor.cli;

  // picocli reads the command classes' annotations and sets their fields reflectively.
  opens dev.arbor.cli to
      info.picocli;
}
