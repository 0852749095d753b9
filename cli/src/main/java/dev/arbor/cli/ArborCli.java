package dev.arbor.cli;

import dev.arbor.Arbor;
import dev.arbor.plugin.LoadReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code arbor} command. {@code ./arbor info}, {@code ./arbor demo} and {@code ./arbor bench}
 * build and run it.
 */
@Command(
    name = "arbor",
    mixinStandardHelpOptions = true,
    versionProvider = ArborCli.Version.class,
    description = "Arbor: pytrees, modules and composable transformations for the JVM.",
    subcommands = {ArborCli.Info.class, ArborCli.Demo.class, ArborCli.Bench.class})
public final class ArborCli implements Runnable {
  /** The resource (in arbor-examples) that names the demo's main class: the one place. */
  public static final String DEMO_PROPERTIES = "dev/arbor/examples/demo.properties";

  @Spec CommandLine.Model.CommandSpec spec;

  /** For picocli. */
  public ArborCli() {}

  /** Runs the command line; exits with its status. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit status (for tests). */
  public static int execute(String... args) {
    return new CommandLine(new ArborCli()).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code arbor --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"Arbor " + Arbor.version() + " on Java " + Runtime.version()};
    }
  }

  /** {@code arbor info}: what Arbor found in this JVM. */
  @Command(
      name = "info",
      mixinStandardHelpOptions = true,
      description =
          "Backends (available, rank, chosen, why), node types and their jars, primitives with"
              + " their rules and kernels per backend, the agent's state and plugin problems.")
  static final class Info implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(
        names = "--plugins",
        paramLabel = "DIR",
        description = "Load the plugin jars in DIR first (Arbor.loadPlugins).")
    Path plugins;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      if (plugins != null) {
        LoadReport report = Arbor.loadPlugins(plugins);
        if (!json) {
          out.printf(
              "loaded %d plugin jar(s) from %s, %d refused%n",
              report.loaded().size(), plugins, report.problems().size());
        }
      }
      out.print(json ? Arbor.describeJson() : Arbor.describe());
      out.flush();
      return 0;
    }
  }

  /** {@code arbor demo}: runs the examples' demo. */
  @Command(
      name = "demo",
      mixinStandardHelpOptions = true,
      description = "Run the demo (the class named in arbor-examples' " + DEMO_PROPERTIES + ").")
  static final class Demo implements Callable<Integer> {
    @Parameters(paramLabel = "ARGS", description = "Arguments for the demo.")
    List<String> args = new ArrayList<>();

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      String main = demoClass();
      Method m = Class.forName(main).getMethod("main", String[].class);
      try {
        m.invoke(null, (Object) args.toArray(new String[0]));
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof Exception ex) {
          throw ex;
        }
        throw e;
      }
      return 0;
    }
  }

  /**
   * The demo's main class, from {@value #DEMO_PROPERTIES} on the class path.
   *
   * @throws IllegalStateException if arbor-examples is not on the class path
   */
  public static String demoClass() throws IOException {
    try (InputStream in = ArborCli.class.getClassLoader().getResourceAsStream(DEMO_PROPERTIES)) {
      if (in == null) {
        throw new IllegalStateException(
            DEMO_PROPERTIES
                + " not found: put arbor-examples on the class path (./arbor demo does)");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("mainClass").trim();
    }
  }

  /** {@code arbor bench}: runs the JMH benchmarks jar if it is built. */
  @Command(
      name = "bench",
      mixinStandardHelpOptions = true,
      description = "Run the JMH benchmarks (bench/target/benchmarks.jar), passing ARGS to JMH.")
  static final class Bench implements Callable<Integer> {
    @Parameters(paramLabel = "ARGS", description = "JMH arguments, e.g. a benchmark regex or -h.")
    List<String> args = new ArrayList<>();

    @Option(
        names = "--root",
        paramLabel = "DIR",
        description = "The Arbor checkout (default: -Darbor.root, else the current directory).")
    Path root;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      Path base = root != null ? root : Path.of(System.getProperty("arbor.root", "."));
      Path jar = base.resolve("bench/target/benchmarks.jar");
      if (!Files.isRegularFile(jar)) {
        PrintWriter err = spec.commandLine().getErr();
        err.println(
            "arbor bench: "
                + jar
                + " is not built. Build it with:\n"
                + "  ./arbor mvn -pl bench -am package -DskipTests\n"
                + "then run ./arbor bench again (JMH arguments go after 'bench', e.g. -h).");
        err.flush();
        return 2;
      }
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(List.of("-jar", jar.toString()));
      command.addAll(args);
      return new ProcessBuilder(command).inheritIO().start().waitFor();
    }
  }
}
