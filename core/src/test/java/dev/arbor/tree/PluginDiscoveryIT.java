package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.testing.ForkedJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin discovery proven in forked JVMs, with plugin jars compiled and packed by the test:
 * ServiceLoader providers, the {@code Arbor-Plugin: true} scan, and broken plugins being reported
 * and skipped while the rest load.
 */
class PluginDiscoveryIT {
  private static final String SERVICE_FILE = "META-INF/services/dev.arbor.tree.spi.NodeType";

  @TempDir Path tmp;

  /** A main class that flattens {@code expr} and prints what the registry saw. */
  private static String main(String... exprs) {
    StringBuilder body = new StringBuilder();
    for (String e : exprs) {
      body.append("    Object t = ").append(e).append(";\n");
      body.append("    System.out.println(\"structure=\" + Trees.structure(t));\n");
      body.append("    System.out.println(\"leaves=\" + Trees.leaves(t));\n");
      body.append("    System.out.println(\"rebuilt=\" + Trees.leaves(Trees.map(x -> x, t)));\n");
      body = new StringBuilder("    {\n" + body + "    }\n");
    }
    return """
        import dev.arbor.tree.Trees;
        import dev.arbor.plugin.PluginProblems;
        public class Main {
          public static void main(String[] args) {
        %s
            Trees.registeredNodeTypes().forEach(r -> System.out.println("registered=" + r));
            PluginProblems.list().forEach(p -> System.out.println("problem=" + p));
          }
        }
        """
        .formatted(body);
  }

  private static String nodeType(String pkg, String name, String type, String aux) {
    return """
        package %s;
        import dev.arbor.tree.spi.NodeType;
        import java.util.List;
        public final class %s implements NodeType<%s> {
          public Class<%s> type() { return %s.class; }
          public Children flatten(%s b) { return new Children(List.of(b.a, b.b), "%s"); }
          public %s unflatten(Object aux, List<?> c) { return new %s(c.get(0), c.get(1)); }
        }
        """
        .formatted(pkg, name, type, type, type, type, aux, type, type);
  }

  private static String box(String pkg, String name) {
    return """
        package %s;
        public final class %s {
          public final Object a, b;
          public %s(Object a, Object b) { this.a = a; this.b = b; }
        }
        """
        .formatted(pkg, name, name);
  }

  private ForkedJvm.Result runMain(String mainSource, List<Path> jars) throws Exception {
    List<Path> cp = new ArrayList<>(ForkedJvm.coreClassPath());
    cp.addAll(jars);
    Path mainClasses = ForkedJvm.compile(tmp.resolve("main"), Map.of("Main", mainSource), cp);
    cp.add(mainClasses);
    return ForkedJvm.run("Main", cp, tmp);
  }

  @Test
  void serviceLoaderProvidersAreDiscovered() throws Exception {
    Path classes =
        ForkedJvm.compile(
            tmp.resolve("p1"),
            Map.of(
                "p1.Box",
                box("p1", "Box"),
                "p1.BoxNodeType",
                nodeType("p1", "BoxNodeType", "Box", "v1")),
            ForkedJvm.coreClassPath());
    Path jar =
        ForkedJvm.jar(
            tmp.resolve("box-plugin.jar"),
            classes,
            Map.of(SERVICE_FILE, "p1.BoxNodeType\n"),
            Map.of());
    var r = runMain(main("new p1.Box(1, java.util.List.of(2, 3))"), List.of(jar)).assertSuccess();
    assertEquals(List.of("Box(v1)[*, List[*, *]]"), r.lines("structure="));
    assertEquals(List.of("[1, 2, 3]"), r.lines("leaves="));
    assertEquals(List.of("[1, 2, 3]"), r.lines("rebuilt="));
    assertEquals(
        List.of("p1.Box <- p1.BoxNodeType (SERVICE_LOADER, " + jar + ")"), r.lines("registered="));
    assertEquals(List.of(), r.lines("problem="));
    assertEquals("", r.stderr());
  }

  @Test
  void onlyJarsWithArborPluginInTheirManifestAreScanned() throws Exception {
    String scanned =
        """
        package p2;
        @dev.arbor.tree.PytreeNode
        public class Scanned {
          Object w;
          private Scanned() {}
          public Scanned(Object w) { this.w = w; }
        }
        """;
    String noCtor =
        """
        package p2;
        @dev.arbor.tree.PytreeNode
        public class NoCtor {
          final Object w;
          public NoCtor(Object w) { this.w = w; }
        }
        """;
    String unscanned =
        """
        package p3;
        @dev.arbor.tree.PytreeNode
        public class Unscanned {
          Object w;
          private Unscanned() {}
          public Unscanned(Object w) { this.w = w; }
        }
        """;
    List<Path> core = ForkedJvm.coreClassPath();
    Path optedIn =
        ForkedJvm.jar(
            tmp.resolve("scan-plugin.jar"),
            ForkedJvm.compile(
                tmp.resolve("p2"), Map.of("p2.Scanned", scanned, "p2.NoCtor", noCtor), core),
            Map.of(),
            Map.of("Arbor-Plugin", "true"));
    Path plain =
        ForkedJvm.jar(
            tmp.resolve("plain.jar"),
            ForkedJvm.compile(tmp.resolve("p3"), Map.of("p3.Unscanned", unscanned), core),
            Map.of(),
            Map.of("Arbor-Plugin", "false"));
    var r =
        runMain(
                main("new p2.Scanned(java.util.List.of(1, 2))", "new p3.Unscanned(3)"),
                List.of(optedIn, plain))
            .assertSuccess();
    // Annotated classes are nodes either way; only the opted-in jar was scanned.
    assertEquals(
        List.of("Node Scanned{w: List[*, *]}", "Node Unscanned{w: *}"), r.lines("structure="));
    assertEquals(List.of("[1, 2]", "[3]"), r.lines("rebuilt="));
    assertEquals(
        List.of(
            "p2.NoCtor <- @PytreeNode (SCANNED, " + optedIn + ")",
            "p2.Scanned <- @PytreeNode (SCANNED, " + optedIn + ")"),
        r.lines("registered=").stream().sorted().toList());
    List<String> problems = r.lines("problem=");
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.getFirst().startsWith(optedIn.toString()), problems.getFirst());
    assertTrue(
        problems.getFirst().contains("p2.NoCtor flattens but cannot be rebuilt"),
        problems.getFirst());
  }

  @Test
  void brokenProvidersAreReportedWithTheirJarAndSkipped() throws Exception {
    String throwing =
        """
        package p4;
        public final class ThrowingNodeType extends GoodNodeType {
          public ThrowingNodeType() { throw new IllegalStateException("boom from a plugin"); }
        }
        """;
    List<Path> core = ForkedJvm.coreClassPath();
    Path classes =
        ForkedJvm.compile(
            tmp.resolve("p4"),
            Map.of(
                "p4.Good", box("p4", "Good"),
                "p4.GoodNodeType",
                    nodeType("p4", "GoodNodeType", "Good", "good").replace("final class", "class"),
                "p4.ThrowingNodeType", throwing),
            core);
    Path broken =
        ForkedJvm.jar(
            tmp.resolve("broken-plugin.jar"),
            classes,
            Map.of(
                SERVICE_FILE,
                "# a comment\np4.MissingNodeType\np4.ThrowingNodeType\np4.GoodNodeType\n"),
            Map.of());
    var r = runMain(main("new p4.Good(1, 2)"), List.of(broken)).assertSuccess();
    assertEquals(List.of("Good(good)[*, *]"), r.lines("structure="));
    assertEquals(List.of("[1, 2]"), r.lines("rebuilt="));
    List<String> problems = r.lines("problem=");
    assertEquals(2, problems.size(), String.join("\n", problems));
    for (String p : problems) {
      assertTrue(p.startsWith(broken.toString() + ": NodeType provider p4."), p);
    }
    assertTrue(
        problems.stream().anyMatch(p -> p.contains("p4.MissingNodeType not found")),
        problems.toString());
    assertTrue(
        problems.stream().anyMatch(p -> p.contains("boom from a plugin")), problems.toString());
    // And each was logged as a warning naming the jar.
    assertEquals(
        2, r.stderr().lines().filter(l -> l.startsWith("WARNING: " + broken)).count(), r.stderr());
  }

  @Test
  void twoServiceLoadedNodeTypesForOneClassFollowTheDocumentedRule() throws Exception {
    List<Path> core = ForkedJvm.coreClassPath();
    Path first =
        ForkedJvm.jar(
            tmp.resolve("zeta.jar"),
            ForkedJvm.compile(
                tmp.resolve("p5a"),
                Map.of(
                    "p5.Pair",
                    box("p5", "Pair"),
                    "p5.ZetaNodeType",
                    nodeType("p5", "ZetaNodeType", "Pair", "zeta")),
                core),
            Map.of(SERVICE_FILE, "p5.ZetaNodeType\n"),
            Map.of());
    List<Path> withFirst = new ArrayList<>(core);
    withFirst.add(first);
    Path second =
        ForkedJvm.jar(
            tmp.resolve("alpha.jar"),
            ForkedJvm.compile(
                tmp.resolve("p5b"),
                Map.of("p5.AlphaNodeType", nodeType("p5", "AlphaNodeType", "Pair", "alpha")),
                withFirst),
            Map.of(SERVICE_FILE, "p5.AlphaNodeType\n"),
            Map.of());
    // Zeta comes first on the class path; Alpha still wins: its provider class name sorts first.
    var r = runMain(main("new p5.Pair(1, 2)"), List.of(first, second)).assertSuccess();
    assertEquals(List.of("Pair(alpha)[*, *]"), r.lines("structure="));
    List<String> problems = r.lines("problem=");
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(
        problems.getFirst().contains("several service-loaded NodeTypes for p5.Pair"),
        problems.getFirst());
    assertTrue(
        problems.getFirst().contains("p5.ZetaNodeType (" + first + ")"), problems.getFirst());
  }
}
