package dev.arbor.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds small jars from source text during a test and runs programs in a forked JVM: what the
 * {@code *IT} tests use to prove class-path behaviour (service files, manifests, broken plugins).
 */
public final class ForkedJvm {
  private ForkedJvm() {}

  /**
   * Compiles {@code sources} (binary class name to source text) against {@code classPath} into
   * {@code out}.
   */
  public static Path compile(Path out, Map<String, String> sources, List<Path> classPath)
      throws IOException {
    Path src = Files.createTempDirectory(out.getParent(), "src");
    List<String> files = new ArrayList<>();
    for (var e : sources.entrySet()) {
      Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, e.getValue());
      files.add(file.toString());
    }
    Files.createDirectories(out);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> args = new ArrayList<>(List.of("-proc:none", "-d", out.toString()));
    if (!classPath.isEmpty()) {
      args.addAll(List.of("-classpath", join(classPath)));
    }
    args.addAll(files);
    StringWriter diagnostics = new StringWriter();
    int rc =
        javac.run(
            null,
            OutputStream.nullOutputStream(),
            new java.io.PrintStream(
                new OutputStream() {
                  @Override
                  public void write(int b) {
                    diagnostics.write(b);
                  }
                },
                true,
                StandardCharsets.UTF_8),
            args.toArray(new String[0]));
    assertEquals(0, rc, "test sources failed to compile:\n" + diagnostics);
    return out;
  }

  /**
   * Writes a jar of the files under {@code classes}, plus {@code resources} (path to text), with
   * the given main manifest attributes.
   */
  public static Path jar(
      Path jar, Path classes, Map<String, String> resources, Map<String, String> manifest)
      throws IOException {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.forEach((k, v) -> m.getMainAttributes().put(new Attributes.Name(k), v));
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m);
        Stream<Path> files = Files.walk(classes)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
        out.write(Files.readAllBytes(p));
        out.closeEntry();
      }
      for (var e : resources.entrySet()) {
        out.putNextEntry(new JarEntry(e.getKey()));
        out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return jar;
  }

  /**
   * The class path entries of Arbor core and its run-time dependencies in this build (where {@code
   * dev.arbor.tree.Trees}, ClassGraph and Guava were loaded from).
   */
  public static List<Path> coreClassPath() {
    List<Path> out = new ArrayList<>();
    for (String name :
        List.of(
            "dev.arbor.tree.Trees",
            "io.github.classgraph.ClassGraph",
            "com.google.common.collect.ImmutableList",
            // Guava's futures (jit's cache) need it at run time.
            "com.google.common.util.concurrent.internal.InternalFutureFailureAccess")) {
      try {
        Path p =
            Path.of(
                Class.forName(name).getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!out.contains(p)) {
          out.add(p);
        }
      } catch (ReflectiveOperationException | java.net.URISyntaxException e) {
        throw new AssertionError("cannot locate " + name, e);
      }
    }
    return out;
  }

  /** What a forked JVM printed. */
  public record Result(int exitCode, String stdout, String stderr) {
    /** Fails unless the program exited with 0. */
    public Result assertSuccess() {
      assertEquals(0, exitCode, "forked JVM failed.\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
      return this;
    }

    /** The stdout lines that start with {@code prefix}, prefix removed. */
    public List<String> lines(String prefix) {
      return stdout
          .lines()
          .filter(l -> l.startsWith(prefix))
          .map(l -> l.substring(prefix.length()))
          .toList();
    }
  }

  /** Runs {@code mainClass} in a new JVM (this JVM's {@code java}) with {@code classPath}. */
  public static Result run(String mainClass, List<Path> classPath, Path workDir)
      throws IOException, InterruptedException {
    return runWithArgs(mainClass, classPath, workDir, List.of());
  }

  /** Runs {@code mainClass} with program arguments in a new JVM with {@code classPath}. */
  public static Result runWithArgs(
      String mainClass, List<Path> classPath, Path workDir, List<String> args)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(List.of(java, "-Xshare:off", "-cp", join(classPath), mainClass));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    Path out = Files.createTempFile(workDir, "stdout", ".txt");
    Path err = Files.createTempFile(workDir, "stderr", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    assertTrue(done, "forked JVM did not finish in 120 s: " + Files.readString(err));
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static String join(List<Path> paths) {
    return String.join(java.io.File.pathSeparator, paths.stream().map(Path::toString).toList());
  }
}
