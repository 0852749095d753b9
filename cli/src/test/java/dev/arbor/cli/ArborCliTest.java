package dev.arbor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ArborCliTest {
  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cmd = new CommandLine(new ArborCli());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int status = cmd.execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void infoPrintsTheDiagnostics() {
    Run r = run("info");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("Arbor 0.1.0-SNAPSHOT on Java "), r.out());
    // Every backend Arbor ships is listed, available or with its reason; which one is the
    // default depends on the machine (PoCL, a GPU, the Vector API module), so only one is.
    assertTrue(r.out().contains("  reference: rank 0, available"), r.out());
    for (String b :
        new String[] {"  cuda: rank 100, ", "  cpu-simd: rank 10, ", "  opencl: rank 5, "}) {
      assertTrue(r.out().contains(b), b + " missing:\n" + r.out());
    }
    assertEquals(1, r.out().split(", default ", -1).length - 1, r.out());
    assertTrue(r.out().contains("com.google.common.collect.ImmutableList <- "), r.out());
    assertTrue(
        r.out()
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("  tanh: jvp batch reference | kernels: ")
                        && l.contains("reference=own")),
        r.out());
    assertTrue(r.out().contains("\nagent: not attached"), r.out());
  }

  @Test
  void infoJsonIsTheSameReportAsJson() {
    Run r = run("info", "--json");
    assertEquals(0, r.status(), r.err());
    String json = r.out();
    assertTrue(json.startsWith("{\n  \"arbor\": \"0.1.0-SNAPSHOT\","), json);
    for (String key :
        new String[] {"backends", "nodeTypes", "primitives", "agent", "plugins", "problems"}) {
      assertTrue(json.contains("\n  \"" + key + "\": "), key + " missing:\n" + json);
    }
    assertTrue(json.contains("\"name\": \"reference\",\n      \"available\": true"), json);
    assertTrue(json.contains("\"chosen\": true"), json);
    assertTrue(json.contains("\"attached\": false"), json);
  }

  @Test
  void infoLoadsPluginsFromAFolder(@TempDir Path empty) {
    Run r = run("info", "--plugins", empty.toString());
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("loaded 0 plugin jar(s) from " + empty + ", 0 refused"), r.out());
  }

  @Test
  void demoClassIsNamedInOnePlace() throws Exception {
    assertEquals("dev.arbor.examples.fashion.FashionMnistDemo", ArborCli.demoClass());
    Class.forName(ArborCli.demoClass()).getMethod("main", String[].class);
  }

  @Test
  void benchWithoutTheJarSaysHowToBuildIt(@TempDir Path root) {
    Run r = run("bench", "--root", root.toString());
    assertEquals(2, r.status());
    assertTrue(
        r.err().contains(root.resolve("bench/target/benchmarks.jar") + " is not built"), r.err());
    assertTrue(r.err().contains("./arbor mvn -pl bench -am package -DskipTests"), r.err());
  }

  @Test
  void usageListsTheCommands() {
    Run r = run("--help");
    assertEquals(0, r.status());
    for (String c : new String[] {"info", "demo", "bench"}) {
      assertTrue(r.out().contains("  " + c + " "), r.out());
    }
  }
}
