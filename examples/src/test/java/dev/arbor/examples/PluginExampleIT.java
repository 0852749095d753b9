package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds {@code examples/plugin-example} the way a third party would — its own Maven project, no
 * Arbor parent, depending on the published {@code arbor-core} and (optionally) {@code arbor-cpu}
 * artifacts — and runs its demo in forked JVMs, on the class path and on the module path, checking
 * {@code grad}, {@code vmap} and {@code jit} of the plugin's primitive and layer against values
 * computed here by hand:
 *
 * <ul>
 *   <li>on the reference backend <em>without</em> {@code arbor-cpu} (the plugin's optional cpu-simd
 *       kernel must not get in the way: no problem reported, the kernel never runs);
 *   <li>on {@code cpu-simd} ({@code arbor-cpu} added, {@code --add-modules jdk.incubator.vector},
 *       {@code -Darbor.backend=cpu-simd}), where every {@code grad}/{@code vmap}/{@code jit} line
 *       must have run the plugin's cpu-simd kernel (the demo's call counter) and agree with the
 *       reference run.
 * </ul>
 *
 * <p>How it stays fast and offline: this build's {@code arbor-core} jar and POMs are copied into a
 * fresh local repository, which Maven (the one running this build) uses with this build's own local
 * repository as a read-only tail ({@code maven.repo.local.tail}, Maven 3.9+), in offline mode: the
 * plugins and dependencies it needs are the ones this build already resolved.
 */
class PluginExampleIT {
  private static final String VERSION = "0.1.0-SNAPSHOT";
  private static final String MAIN = "com.example.arbor.softplus.Demo";

  /** The demo's lines that compute with softplus; each must have used the cpu-simd kernel. */
  private static final List<String> SOFTPLUS_KEYS =
      List.of(
          "softplus",
          "grad",
          "vmap",
          "jit",
          "vmapGrad",
          "softplusF32",
          "layer",
          "layerVmap",
          "layerJit",
          "layerGradW",
          "layerJitLoss");

  /** Every numeric line of the demo. */
  private static final List<String> VALUE_KEYS =
      Stream.concat(SOFTPLUS_KEYS.stream(), Stream.of("layerGradB", "layerJitGradW")).toList();

  @TempDir static Path tmp;
  private static Path pluginJar;
  private static List<Path> arbor;
  private static Path cpuJar;
  private static final Map<String, String> OUTPUTS = new HashMap<>();

  private static Path where(String className) throws Exception {
    // Not initialized: arbor-cpu's classes need the Vector API module, which this JVM lacks.
    Class<?> c = Class.forName(className, false, PluginExampleIT.class.getClassLoader());
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static Path property(String name) {
    String v = System.getProperty(name);
    assertTrue(v != null && !v.isBlank(), "system property " + name + " is not set (see pom.xml)");
    return Path.of(v);
  }

  @BeforeAll
  static void buildThePluginLikeAnOutsider() throws Exception {
    Path root = property("arbor.root");
    Path coreJar = where("dev.arbor.tree.Trees");
    assertTrue(
        coreJar.toString().endsWith(".jar"),
        "arbor-core must be a packaged jar here (run through the reactor's verify), got "
            + coreJar);
    arbor =
        List.of(
            coreJar,
            where("com.google.common.collect.ImmutableList"),
            where("com.google.common.util.concurrent.internal.InternalFutureFailureAccess"),
            where("io.github.classgraph.ClassGraph"));

    // "Publish" Arbor into a fresh local repository.
    Path repo = tmp.resolve("repo");
    install(repo, "arbor-parent", root.resolve("pom.xml"), null);
    install(repo, "arbor-core", root.resolve("core/pom.xml"), coreJar);
    cpuJar = where("dev.arbor.cpu.CpuBuffer");
    install(repo, "arbor-cpu", root.resolve("plugins/cpu-simd/pom.xml"), cpuJar);

    Path project = tmp.resolve("plugin-example");
    copyTree(root.resolve("examples/plugin-example"), project);
    Path maven = property("maven.home").resolve("bin/mvn");
    List<String> command =
        List.of(
            maven.toString(),
            "-B",
            "-q",
            "-o",
            "-Dmaven.repo.local=" + repo,
            "-Dmaven.repo.local.tail=" + property("arbor.localRepository"),
            "package");
    ProcessBuilder pb = new ProcessBuilder(command).directory(project.toFile());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("MAVEN_OPTS");
    Path log = tmp.resolve("maven.log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the plugin's Maven build timed out");
    assertEquals(0, p.exitValue(), "the plugin's Maven build failed:\n" + Files.readString(log));
    pluginJar = project.resolve("target/arbor-softplus-plugin-1.0.0.jar");
    assertTrue(Files.isRegularFile(pluginJar), "no " + pluginJar);
  }

  private static void install(Path repo, String artifact, Path pom, Path jar) throws IOException {
    Path dir = repo.resolve("dev/arbor/" + artifact + "/" + VERSION);
    Files.createDirectories(dir);
    Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
    if (jar != null) {
      Files.copy(jar, dir.resolve(artifact + "-" + VERSION + ".jar"));
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path rel = from.relativize(f);
        if (rel.startsWith("target")) {
          continue;
        }
        Path dest = to.resolve(rel.toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** The demo's output on the class or module path, on the reference backend or on cpu-simd. */
  private static synchronized String run(boolean modulePath, boolean cpuSimd) throws Exception {
    String name = (modulePath ? "module-path" : "class-path") + (cpuSimd ? "-cpu-simd" : "");
    String cached = OUTPUTS.get(name);
    if (cached != null) {
      return cached;
    }
    List<String> entries = new ArrayList<>();
    arbor.forEach(p -> entries.add(p.toString()));
    if (cpuSimd) {
      entries.add(cpuJar.toString());
    }
    entries.add(pluginJar.toString());
    String path = String.join(File.pathSeparator, entries);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xshare:off");
    if (cpuSimd) {
      command.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Darbor.backend=cpu-simd"));
    }
    if (modulePath) {
      command.addAll(List.of("--module-path", path, "-m", "com.example.arbor.softplus/" + MAIN));
    } else {
      command.addAll(List.of("-cp", path, MAIN));
    }
    Path out = tmp.resolve(name + ".txt");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the demo timed out");
    String text = Files.readString(out);
    assertEquals(0, p.exitValue(), text);
    OUTPUTS.put(name, text);
    return text;
  }

  private static double[] values(String output, String key) {
    String line =
        output
            .lines()
            .filter(l -> l.startsWith(key + "="))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no " + key + "= in\n" + output));
    String list = line.substring(key.length() + 2, line.length() - 1);
    return Arrays.stream(list.split(", ")).mapToDouble(Double::parseDouble).toArray();
  }

  private static double softplus(double x) {
    return Math.log(1 + Math.exp(x));
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  private static long value(String output, String key) {
    String prefix = key + "=";
    return output
        .lines()
        .filter(l -> l.startsWith(prefix))
        .mapToLong(l -> Long.parseLong(l.substring(prefix.length())))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + prefix + " in\n" + output));
  }

  /** The numerically stable softplus, for the F32 line's large arguments. */
  private static double stableSoftplus(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  private static void check(String output, String backend) {
    double[] x = {-2, 0, 3};
    double[] sp = Arrays.stream(x).map(PluginExampleIT::softplus).toArray();
    assertArrayClose(sp, values(output, "softplus"));
    assertArrayClose(
        Arrays.stream(x).map(PluginExampleIT::sigmoid).toArray(), values(output, "grad"));
    assertArrayClose(Arrays.stream(sp).map(v -> 2 * v).toArray(), values(output, "jit"));
    double[][] rows = {{-1, 0, 1}, {2, 3, 4}};
    double[] rowSums = new double[2];
    List<Double> rowGrads = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      for (double v : rows[i]) {
        rowSums[i] += softplus(v);
        rowGrads.add(sigmoid(v));
      }
    }
    assertArrayClose(rowSums, values(output, "vmap"));
    assertArrayClose(
        rowGrads.stream().mapToDouble(Double::doubleValue).toArray(), values(output, "vmapGrad"));

    // The layer softplus(X W + b) and the gradient of its sum.
    double[][] w = {{0.5, -1}, {1, 2}};
    double[] b = {0.1, 0.2};
    double[][] batch = {{1, 2}, {0, -1}, {3, 0.5}};
    double[] out = new double[6];
    double[] gw = new double[4];
    double[] gb = new double[2];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 2; j++) {
        double z = batch[i][0] * w[0][j] + batch[i][1] * w[1][j] + b[j];
        out[i * 2 + j] = softplus(z);
        gb[j] += sigmoid(z);
        gw[j] += batch[i][0] * sigmoid(z);
        gw[2 + j] += batch[i][1] * sigmoid(z);
      }
    }
    for (String key : List.of("layer", "layerVmap", "layerJit")) {
      assertArrayClose(out, values(output, key));
    }
    assertArrayClose(gw, values(output, "layerGradW"));
    assertArrayClose(gw, values(output, "layerJitGradW"));
    assertArrayClose(new double[] {Arrays.stream(out).sum()}, values(output, "layerJitLoss"));
    assertArrayClose(gb, values(output, "layerGradB"));

    // F32: 37 values from -90 to 90, past the vector width, with a masked tail.
    double[] wide = new double[37];
    for (int k = 0; k < wide.length; k++) {
      wide[k] = stableSoftplus(-90 + 5 * k);
    }
    assertArrayClose(wide, values(output, "softplusF32"), 1e-6);

    assertTrue(output.contains("backend=" + backend + "\n"), output);
    assertTrue(output.contains("primitive=" + pluginJar + "\n"), output);
    // Registered wherever the plugin is (it costs nothing where cpu-simd is absent).
    assertTrue(output.contains("cpuSimdKernel=" + pluginJar + "\n"), output);
    assertFalse(output.contains("problem="), output);
    for (String key : SOFTPLUS_KEYS) {
      long calls = value(output, key + ".simdCalls");
      if (backend.equals("cpu-simd")) {
        assertTrue(calls > 0, key + " did not run the plugin's cpu-simd kernel:\n" + output);
      } else {
        assertEquals(0, calls, key + " ran the cpu-simd kernel on " + backend + ":\n" + output);
      }
    }
    assertTrue(output.contains("structure=Interval[*, Node Scaled{value: *, scale=3.0}]"), output);
    assertTrue(output.contains("mapped=[[0.0], [2.0, 4.0]]"), output);
    assertTrue(
        output.contains("registered=com.example.arbor.softplus.Interval SERVICE_LOADER"), output);
    assertTrue(output.contains("registered=com.example.arbor.softplus.Scaled SCANNED"), output);
  }

  private static void assertArrayClose(double[] expected, double[] actual) {
    assertArrayClose(expected, actual, 1e-12);
  }

  private static void assertArrayClose(double[] expected, double[] actual, double rtol) {
    assertEquals(expected.length, actual.length, Arrays.toString(actual));
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], rtol * Math.max(1, Math.abs(expected[i])), "at " + i);
    }
  }

  /** Every number of the cpu-simd run agrees with the reference run of the same demo. */
  private static void assertAgree(String reference, String cpuSimd) {
    for (String key : VALUE_KEYS) {
      assertArrayClose(
          values(reference, key), values(cpuSimd, key), key.endsWith("F32") ? 1e-6 : 1e-12);
    }
  }

  @Test
  void onTheClassPath() throws Exception {
    check(run(false, false), "reference");
  }

  @Test
  void onTheModulePath() throws Exception {
    check(run(true, false), "reference");
  }

  @Test
  void onCpuSimdOnTheClassPath() throws Exception {
    String out = run(false, true);
    check(out, "cpu-simd");
    assertAgree(run(false, false), out);
  }

  @Test
  void onCpuSimdOnTheModulePath() throws Exception {
    String out = run(true, true);
    check(out, "cpu-simd");
    assertAgree(run(true, false), out);
  }
}
