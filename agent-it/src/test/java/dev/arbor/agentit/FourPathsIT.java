package dev.arbor.agentit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link Program} in forked JVMs: with {@code -javaagent}, with self-attach, with classes
 * instrumented at build time by byte-buddy-maven-plugin, and with explicit {@code apply} and no
 * instrumentation. All four must print the same lines.
 */
class FourPathsIT {
  private static final String NO_INSTRUMENTATION = "no module instrumentation is active";

  private static String plainClasses;
  private static String transformedClasses;
  private static String coreJar;
  private static String agentJar;
  private static Run reference;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void paths() throws Exception {
    plainClasses = property("arbor.it.plainClasses");
    transformedClasses = property("arbor.it.transformedClasses");
    coreJar = property("arbor.it.coreJar");
    agentJar = property("arbor.it.agentJar");
    reference = java(List.of("-Darbor.selfAttach=false"), cp(plainClasses, coreJar), "apply");
    assertEquals(0, reference.exit, reference.err);
  }

  private static String property(String name) {
    String v = System.getProperty(name);
    assertTrue(v != null && new File(v).exists(), name + " must name an existing path, got " + v);
    return v;
  }

  private static String cp(String... entries) {
    return String.join(File.pathSeparator, entries);
  }

  static Run java(List<String> jvmArgs, String classPath, String mode)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xshare:off");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(Program.class.getName());
    cmd.add(mode);
    Path out = Files.createTempFile("arbor-it", ".out");
    Path err = Files.createTempFile("arbor-it", ".err");
    try {
      Process p =
          new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "forked JVM timed out: " + cmd);
      return new Run(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static int count(String haystack, String needle) {
    int n = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  private static void assertSameAsReference(Run run) {
    assertEquals(0, run.exit, run.err);
    assertEquals(reference.out, run.out);
    assertFalse(run.err.contains(NO_INSTRUMENTATION), run.err);
    assertFalse(run.err.contains("sun.misc.Unsafe"), run.err);
  }

  @Test
  void explicitApplyWarnsOnceThatNothingIsInstrumented() {
    assertTrue(reference.out.startsWith("counter 1 2 1\n"), reference.out);
    assertTrue(reference.out.contains("outer 0 Count[n=1]"), reference.out);
    assertEquals(1, count(reference.err, NO_INSTRUMENTATION), reference.err);
    assertTrue(reference.err.contains("-Darbor.selfAttach=false"), reference.err);
  }

  @Test
  void javaagent() throws Exception {
    Run run = java(List.of("-javaagent:" + agentJar), cp(plainClasses, coreJar), "plain");
    assertSameAsReference(run);
    assertFalse(run.err.contains("loaded dynamically"), run.err);
  }

  @Test
  void selfAttach() throws Exception {
    Run run =
        java(
            List.of("-XX:+EnableDynamicAgentLoading"),
            cp(plainClasses, coreJar, agentJar),
            "plain");
    assertSameAsReference(run);
    assertFalse(run.err.contains("loaded dynamically"), run.err);
  }

  @Test
  void selfAttachWithoutTheFlagWorksWithTheJdkWarning() throws Exception {
    Run run = java(List.of(), cp(plainClasses, coreJar, agentJar), "plain");
    assertSameAsReference(run);
    assertTrue(run.err.contains("loaded dynamically"), "JEP 451 warning expected: " + run.err);
  }

  @Test
  void buildTimeInstrumentation() throws Exception {
    byte[] transformed =
        Files.readAllBytes(Path.of(transformedClasses, "dev/arbor/agentit/Program$Counter.class"));
    byte[] plain =
        Files.readAllBytes(Path.of(plainClasses, "dev/arbor/agentit/Program$Counter.class"));
    String marker = "dev/arbor/instrument/Instrumented";
    assertTrue(new String(transformed, StandardCharsets.ISO_8859_1).contains(marker));
    assertFalse(new String(plain, StandardCharsets.ISO_8859_1).contains(marker));
    Run run = java(List.of("-Darbor.selfAttach=false"), cp(transformedClasses, coreJar), "plain");
    assertSameAsReference(run);
  }

  @Test
  void plainCallsWithoutInstrumentationFailAndNameTheFix() throws Exception {
    Run run = java(List.of("-Darbor.selfAttach=false"), cp(plainClasses, coreJar), "plain");
    assertNotEquals(0, run.exit);
    assertTrue(run.err.contains("no variable 'count' to assign in Outer"), run.err);
    assertTrue(run.err.contains("inner.apply(x)"), run.err);
  }

  @Test
  void forbiddenDynamicLoadingGivesOneWarningNamingTheFix() throws Exception {
    Run run =
        java(
            List.of("-XX:-EnableDynamicAgentLoading"),
            cp(plainClasses, coreJar, agentJar),
            "apply");
    assertEquals(0, run.exit, run.err);
    assertEquals(reference.out, run.out);
    assertEquals(1, count(run.err, "WARNING: Arbor"), run.err);
    assertTrue(run.err.contains("-javaagent:" + agentJar), run.err);
    assertTrue(run.err.contains("-XX:+EnableDynamicAgentLoading"), run.err);
  }
}
