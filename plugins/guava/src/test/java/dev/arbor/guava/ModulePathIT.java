package dev.arbor.guava;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.arbor.tree.Trees;
import io.github.classgraph.ClassGraph;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Core and this plugin as JPMS modules, in a forked JVM: {@code provides}/{@code uses} find the
 * node types on the module path, and a record in a package not opened to Arbor fails with an error
 * that names the {@code opens} line to add.
 */
class ModulePathIT {
  @TempDir Path tmp;

  private static Path where(Class<?> c) throws Exception {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static String modulePath() throws Exception {
    List<String> entries = new ArrayList<>();
    for (Class<?> c :
        List.of(
            Trees.class, // arbor-core
            ImmutableListNodeType.class, // this plugin
            ImmutableList.class, // guava
            com.google.common.util.concurrent.internal.InternalFutureFailureAccess.class,
            ClassGraph.class)) {
      String p = where(c).toString();
      if (!entries.contains(p)) {
        entries.add(p);
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  private String run(boolean opens) throws Exception {
    Path src = tmp.resolve(opens ? "open" : "closed");
    Files.createDirectories(src.resolve("app"));
    Files.writeString(
        src.resolve("module-info.java"),
        "module app { requires dev.arbor; requires com.google.common; "
            + (opens ? "opens app to dev.arbor; " : "")
            + "}");
    Files.writeString(
        src.resolve("app/Main.java"),
        """
        package app;
        import com.google.common.collect.ImmutableList;
        import dev.arbor.tree.Trees;
        public class Main {
          record Dense(Object w, Object b) {}
          public static void main(String[] args) {
            var tree = ImmutableList.of(new Dense(1, 2), 3);
            System.out.println("structure=" + Trees.structure(tree));
            System.out.println("mapped=" + Trees.map(x -> (Integer) x * 10, tree));
            System.out.println("module=" + Trees.class.getModule().getName());
          }
        }
        """);
    Path out = src.resolve("out");
    String mp = modulePath();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc =
        ToolProvider.getSystemJavaCompiler()
            .run(
                null,
                null,
                diagnostics,
                "--module-path",
                mp,
                "-d",
                out.toString(),
                src.resolve("module-info.java").toString(),
                src.resolve("app/Main.java").toString());
    assertEquals(0, rc, "compile failed: " + diagnostics);
    Path log = src.resolve("run.txt");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path",
                mp + File.pathSeparator + out,
                "-m",
                "app/app.Main")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "forked JVM timed out");
    return "exit=" + p.exitValue() + "\n" + Files.readString(log);
  }

  @Test
  void nodeTypesResolveThroughProvidesAndUses() throws Exception {
    String out = run(true);
    assertTrue(out.startsWith("exit=0"), out);
    assertTrue(out.contains("structure=ImmutableList[Record Dense{w: *, b: *}, *]"), out);
    assertTrue(out.contains("mapped=[Dense[w=10, b=20], 30]"), out);
    assertTrue(out.contains("module=dev.arbor"), out);
  }

  @Test
  void aPackageNotOpenedToArborGetsAnErrorNamingTheFix() throws Exception {
    String out = run(false);
    assertTrue(out.startsWith("exit=1"), out);
    assertTrue(out.contains("add 'opens app to dev.arbor;' to that module-info.java"), out);
  }
}
