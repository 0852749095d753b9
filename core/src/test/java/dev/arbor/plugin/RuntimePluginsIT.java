package dev.arbor.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.testing.ForkedJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Arbor.loadPlugins(dir)} in forked JVMs, one per scenario: a good plugin's node type,
 * {@code @PytreeNode} class, primitive, backend and kernel are usable at once; loading twice is a
 * no-op; and each kind of broken or hostile jar is refused with its name in the report, leaves the
 * registries unchanged, and does not stop the good jar beside it.
 */
class RuntimePluginsIT {
  @TempDir Path tmp;

  private Path plugins() throws IOException {
    return Files.createDirectories(tmp.resolve("plugins"));
  }

  /** Loads {@code dir} in a fresh JVM with core alone on the class path. */
  private ForkedJvm.Result load(Path dir) throws Exception {
    List<Path> cp = new ArrayList<>(ForkedJvm.coreClassPath());
    Path main =
        ForkedJvm.compile(tmp.resolve("main"), Map.of("Main", PluginSources.loadingMain()), cp);
    cp.add(main);
    return ForkedJvm.runWithArgs("Main", cp, tmp, List.of(dir.toString())).assertSuccess();
  }

  /** Asserts the good jar loaded and works, next to whatever else was in the folder. */
  private static void assertGoodWorks(ForkedJvm.Result r) {
    assertEquals(
        List.of("a-good.jar [g.Interval] [g.Scaled] [cube] [toy] [toy/cube]"),
        r.lines("loaded="),
        r.stdout());
    assertEquals(List.of("[1.0, 8.0, -27.0]"), r.lines("eager="));
    assertEquals(List.of("[3.0, 12.0, 27.0]"), r.lines("grad="));
    assertEquals(List.of("[9.0, 91.0]"), r.lines("vmap="));
    assertEquals(List.of("[2.0, 9.0, -26.0]"), r.lines("jit="));
  }

  @Test
  void aGoodPluginIsUsableAtOnceAndLoadingItTwiceIsANoOp() throws Exception {
    Path dir = plugins();
    Path jar = PluginSources.goodJar(tmp, dir, "a-good.jar");
    var r = load(dir);
    assertEquals(List.of("false 0"), r.lines("before="));
    assertGoodWorks(r);
    assertEquals(List.of(), r.lines("problem="));
    assertEquals(List.of("0 1 0"), r.lines("again="));
    assertEquals(List.of(jar.toString()), r.lines("cubeFrom="));
    assertEquals(
        List.of(
            "g.Interval <- g.IntervalNodeType (PLUGIN, " + jar + ")",
            "g.Scaled <- @PytreeNode (PLUGIN, " + jar + ")"),
        r.lines("registered="));
    assertEquals(List.of("Interval(iv)[*, *] [10, 20]"), r.lines("interval="));
    assertEquals(List.of("Node Scaled{value: *, scale=0.5}"), r.lines("scaled="));
    // The toy backend has no kernel for 'cube': the plugin's KernelProvider supplied it.
    assertEquals(List.of("[1.0, 8.0, -27.0] calls=1"), r.lines("toy="));
    assertEquals(List.of("true"), r.lines("jsonHasPlugin="));
    String describe = r.lines("describe=").getFirst();
    assertTrue(describe.contains("cube: jvp batch reference"), describe);
    assertTrue(describe.contains("toy=plugin: " + jar), describe);
    assertTrue(describe.contains("| from " + jar), describe);
  }

  /** Runs the folder {@code good + bad} and returns the single problem, which names bad. */
  private String refused(Path bad) throws Exception {
    PluginSources.goodJar(tmp, bad.getParent(), "a-good.jar");
    var r = load(bad.getParent());
    assertGoodWorks(r);
    List<String> problems = r.lines("problem=");
    assertEquals(1, problems.size(), r.stdout());
    String p = problems.getFirst();
    assertTrue(
        p.startsWith(bad + ": plugin refused, nothing of it was registered: "), p + "\n" + bad);
    // Refused jars are tried again (and refused again); nothing of them is registered.
    assertEquals(List.of("0 1 1"), r.lines("again="));
    assertEquals(List.of("[cube]"), r.lines("primitiveNames="), r.stdout());
    assertEquals(
        List.of(), r.lines("registered=").stream().filter(l -> l.startsWith("z.")).toList());
    return p;
  }

  /** A bad plugin in package z: a node type, a primitive 'dup_only', plus {@code extra}. */
  private Path badJar(
      String name, Map<String, String> extraSources, Map<String, String> services, String requires)
      throws IOException {
    Map<String, String> sources = new java.util.LinkedHashMap<>(extraSources);
    sources.put("z.Extra", PluginSources.cubePrimitive("z", "Extra", "dup_only"));
    sources.put(
        "z.Thing", "package z; public final class Thing { public Object a; public Object b; }");
    sources.put(
        "z.ThingNodeType",
        """
        package z;
        import dev.arbor.tree.spi.NodeType;
        import java.util.List;
        public class ThingNodeType implements NodeType<Thing> {
          public Class<Thing> type() { return Thing.class; }
          public Children flatten(Thing t) { return new Children(List.of(t.a, t.b), null); }
          public Thing unflatten(Object aux, List<?> c) { return new Thing(); }
        }
        """);
    Map<String, String> files = new java.util.LinkedHashMap<>(services);
    files.merge(PluginSources.NODE_TYPE_SERVICE, "z.ThingNodeType\n", (a, b) -> b + a);
    files.merge(PluginSources.PRIMITIVE_SERVICE, "z.Extra\n", (a, b) -> b + a);
    Path classes =
        ForkedJvm.compile(tmp.resolve("bad-classes"), sources, ForkedJvm.coreClassPath());
    return ForkedJvm.jar(
        plugins().resolve(name),
        classes,
        files,
        requires == null ? Map.of() : Map.of("Arbor-Requires", requires));
  }

  @Test
  void aServiceFileNamingAMissingClass() throws Exception {
    Path bad =
        badJar(
            "missing-class.jar",
            Map.of(),
            Map.of(PluginSources.NODE_TYPE_SERVICE, "z.NotThere\n"),
            null);
    String p = refused(bad);
    assertTrue(p.contains("class z.NotThere is named by the jar but not in it"), p);
  }

  @Test
  void aProviderWhoseConstructorThrows() throws Exception {
    Path bad =
        badJar(
            "throwing.jar",
            Map.of(
                "z.Throwing",
                """
                package z;
                public final class Throwing extends ThingNodeType {
                  public Throwing() { throw new IllegalStateException("boom in a constructor"); }
                }
                """),
            Map.of(PluginSources.NODE_TYPE_SERVICE, "z.Throwing\n"),
            null);
    String p = refused(bad);
    assertTrue(p.contains("NodeType provider z.Throwing"), p);
    assertTrue(p.contains("boom in a constructor"), p);
  }

  @Test
  void twoPluginsRegisteringTheSamePrimitiveOrNodeType() throws Exception {
    // Sorts after a-good.jar: its 'cube' clashes with the good plugin's.
    Path dupPrimitive =
        badJar(
            "m-dup-primitive.jar",
            Map.of("z.Cube2", PluginSources.cubePrimitive("z", "Cube2", "cube")),
            Map.of(PluginSources.PRIMITIVE_SERVICE, "z.Cube2\n"),
            null);
    // A NodeType for a class the good plugin already registered a NodeType for: java.util.BitSet
    // is visible to both, so register one for it in two jars.
    String bitSet =
        """
        package %s;
        import dev.arbor.tree.spi.NodeType;
        import java.util.BitSet;
        import java.util.List;
        public final class BitSetNodeType implements NodeType<BitSet> {
          public Class<BitSet> type() { return BitSet.class; }
          public Children flatten(BitSet b) { return new Children(List.of(), b.toString()); }
          public BitSet unflatten(Object aux, List<?> c) { return new BitSet(); }
        }
        """;
    Path first =
        ForkedJvm.jar(
            plugins().resolve("n1-bitset.jar"),
            ForkedJvm.compile(
                tmp.resolve("n1"),
                Map.of("n1.BitSetNodeType", bitSet.formatted("n1")),
                ForkedJvm.coreClassPath()),
            Map.of(PluginSources.NODE_TYPE_SERVICE, "n1.BitSetNodeType\n"),
            Map.of());
    Path second =
        ForkedJvm.jar(
            plugins().resolve("n2-bitset.jar"),
            ForkedJvm.compile(
                tmp.resolve("n2"),
                Map.of("n2.BitSetNodeType", bitSet.formatted("n2")),
                ForkedJvm.coreClassPath()),
            Map.of(PluginSources.NODE_TYPE_SERVICE, "n2.BitSetNodeType\n"),
            Map.of());
    PluginSources.goodJar(tmp, plugins(), "a-good.jar");
    var r = load(plugins());
    List<String> problems = r.lines("problem=");
    assertEquals(2, problems.size(), r.stdout());
    String p1 = problems.get(0);
    assertTrue(p1.startsWith(dupPrimitive + ": plugin refused"), p1);
    assertTrue(
        p1.contains(
            "primitive 'cube' is already declared by g.Cube (" + plugins() + "/a-good.jar)"),
        p1);
    String p2 = problems.get(1);
    assertTrue(p2.startsWith(second + ": plugin refused"), p2);
    assertTrue(
        p2.contains(
            "a NodeType for java.util.BitSet is already registered: n1.BitSetNodeType (PLUGIN, "
                + first
                + ")"),
        p2);
    // The good jar and the first BitSet jar loaded; the refused ones left nothing behind.
    assertEquals(2, r.lines("loaded=").size(), r.stdout());
    assertEquals(List.of("[1.0, 8.0, -27.0]"), r.lines("eager="));
    assertEquals(List.of("[cube]"), r.lines("primitiveNames="), r.stdout());
    assertEquals(
        List.of(), r.lines("registered=").stream().filter(l -> l.startsWith("z.")).toList());
  }

  @Test
  void aPluginCompiledForANewerJava() throws Exception {
    Path bad = badJar("newer-java.jar", Map.of(), Map.of(), null);
    // Bump the class file major version of one class to this JVM's + 1.
    int major = 44 + Runtime.version().feature() + 1;
    Path rewritten = tmp.resolve("rewritten.jar");
    try (var in = new java.util.jar.JarFile(bad.toFile());
        var out =
            new java.util.jar.JarOutputStream(Files.newOutputStream(rewritten), in.getManifest())) {
      for (var e : java.util.Collections.list(in.entries())) {
        if (e.getName().equals("META-INF/MANIFEST.MF")) {
          continue;
        }
        byte[] bytes = in.getInputStream(e).readAllBytes();
        if (e.getName().equals("z/Thing.class")) {
          bytes[6] = (byte) (major >> 8);
          bytes[7] = (byte) major;
        }
        out.putNextEntry(new java.util.jar.JarEntry(e.getName()));
        out.write(bytes);
        out.closeEntry();
      }
    }
    Files.move(rewritten, bad, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String p = refused(bad);
    assertTrue(
        p.contains(
            "z/Thing.class is compiled for Java "
                + (Runtime.version().feature() + 1)
                + " (class file version "
                + major
                + "), but this JVM is Java "
                + Runtime.version().feature()),
        p);
  }

  @Test
  void aJarThatIsNotAZip() throws Exception {
    Path bad = Files.writeString(plugins().resolve("not-a-zip.jar"), "this is not a zip file\n");
    String p = refused(bad);
    assertTrue(p.contains("not a readable jar (zip) file"), p);
  }

  @Test
  void aPluginThatNeedsANewerArbor() throws Exception {
    Path bad = badJar("needs-newer.jar", Map.of(), Map.of(), "0.2");
    String p = refused(bad);
    assertTrue(
        p.contains(
            "it requires Arbor 0.2 (manifest Arbor-Requires) but this is Arbor 0.1.0-SNAPSHOT"),
        p);
  }
}
