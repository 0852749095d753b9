package dev.arbor.plugin;

import dev.arbor.testing.ForkedJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Source text of small plugins and the programs that load them, for the forked-JVM plugin tests.
 * The "good" plugin contributes one of everything: a {@code NodeType}, a {@code @PytreeNode} class,
 * a primitive ({@code cube}) with its rules, a backend ({@code toy}) and a kernel for {@code cube}
 * on that backend that counts its calls.
 */
final class PluginSources {
  private PluginSources() {}

  static final String NODE_TYPE_SERVICE = "META-INF/services/dev.arbor.tree.spi.NodeType";
  static final String PRIMITIVE_SERVICE = "META-INF/services/dev.arbor.core.PrimitiveProvider";
  static final String BACKEND_SERVICE = "META-INF/services/dev.arbor.backend.Backend";
  static final String KERNEL_SERVICE = "META-INF/services/dev.arbor.backend.KernelProvider";

  /** A primitive {@code name} computing x^3 elementwise, declared in class {@code pkg.cls}. */
  static String cubePrimitive(String pkg, String cls, String name) {
    return """
        package %1$s;
        import dev.arbor.backend.HostArray;
        import dev.arbor.core.Primitive;
        import dev.arbor.core.PrimitiveProvider;
        import dev.arbor.core.primitives.Elementwise;
        import java.util.List;
        public final class %2$s implements PrimitiveProvider {
          public static final Primitive CUBE =
              Primitive.single("%3$s").kind(Primitive.Kind.ELEMENTWISE);
          static {
            CUBE.shapeRule((in, p) -> List.of(in.get(0)))
                .jvp((x, t, p) -> Primitive.JvpResult.of(CUBE.bind1(p, x.get(0)),
                    t.get(0) == null ? null : t.get(0).mul(x.get(0).mul(x.get(0)).mul(3.0))))
                .batch((args, dims, p) -> Elementwise.batchElementwise(CUBE, args, dims, p))
                .reference((in, p, out) -> List.of(cube(in.get(0), out.get(0))));
          }
          static HostArray cube(HostArray x, dev.arbor.core.AbstractValue out) {
            HostArray r = HostArray.zeros(out);
            double[] d = x.doubles();
            for (int k = 0; k < d.length; k++) r.setDouble(k, d[k] * d[k] * d[k]);
            return r;
          }
          public List<Primitive> primitives() { return List.of(CUBE); }
        }
        """
        .formatted(pkg, cls, name);
  }

  /** The sources of the good plugin, package {@code g}. */
  static Map<String, String> good() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("g.Cube", cubePrimitive("g", "Cube", "cube"));
    s.put(
        "g.Interval",
        """
        package g;
        public final class Interval {
          public final Object lo, hi;
          public Interval(Object lo, Object hi) { this.lo = lo; this.hi = hi; }
        }
        """);
    s.put(
        "g.IntervalNodeType",
        """
        package g;
        import dev.arbor.tree.spi.NodeType;
        import java.util.List;
        public final class IntervalNodeType implements NodeType<Interval> {
          public Class<Interval> type() { return Interval.class; }
          public Children flatten(Interval i) { return new Children(List.of(i.lo, i.hi), "iv"); }
          public Interval unflatten(Object aux, List<?> c) { return new Interval(c.get(0), c.get(1)); }
        }
        """);
    s.put(
        "g.Scaled",
        """
        package g;
        @dev.arbor.tree.PytreeNode
        public class Scaled {
          Object value;
          @dev.arbor.tree.Static double scale;
          private Scaled() {}
          public Scaled(Object value, double scale) { this.value = value; this.scale = scale; }
        }
        """);
    s.put(
        "g.ToyBackend",
        """
        package g;
        import dev.arbor.backend.*;
        import dev.arbor.core.Primitive;
        import java.util.Optional;
        /** Host memory like the reference backend, but no kernel of its own for 'cube'. */
        public final class ToyBackend implements Backend {
          public String name() { return "toy"; }
          public boolean isAvailable() { return true; }
          public int rank() { return -1; }
          public Buffer upload(HostArray data) { return data; }
          public HostArray download(Buffer b) { return (HostArray) b; }
          public Optional<Kernel> kernel(Primitive p) {
            return p == Cube.CUBE ? Optional.empty() : Backends.get("reference").kernel(p);
          }
        }
        """);
    s.put(
        "g.ToyKernels",
        """
        package g;
        import dev.arbor.backend.*;
        import dev.arbor.core.Primitive;
        import java.util.List;
        import java.util.Map;
        import java.util.concurrent.atomic.AtomicInteger;
        public final class ToyKernels implements KernelProvider {
          public static final AtomicInteger CALLS = new AtomicInteger();
          public String backend() { return "toy"; }
          public Map<Primitive, Kernel> kernels() {
            return Map.of(Cube.CUBE, (in, inAvals, params, outAvals) -> {
              CALLS.incrementAndGet();
              return List.of(Cube.cube((HostArray) in.get(0), outAvals.get(0)));
            });
          }
        }
        """);
    return s;
  }

  static Map<String, String> goodServices() {
    return Map.of(
        NODE_TYPE_SERVICE, "g.IntervalNodeType\n",
        PRIMITIVE_SERVICE, "g.Cube\n",
        BACKEND_SERVICE, "g.ToyBackend\n",
        KERNEL_SERVICE, "g.ToyKernels\n");
  }

  /** Builds the good plugin jar as {@code dir/name}. */
  static Path goodJar(Path tmp, Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path classes =
        ForkedJvm.compile(tmp.resolve("good-classes"), good(), ForkedJvm.coreClassPath());
    return ForkedJvm.jar(
        dir.resolve(name),
        classes,
        goodServices(),
        Map.of("Arbor-Plugin", "true", "Arbor-Requires", "0.1"));
  }

  /**
   * A program that loads the plugins in {@code args[0]} (twice), prints the report, then uses the
   * good plugin's contributions.
   */
  static String loadingMain() {
    return """
        import dev.arbor.Arbor;
        import dev.arbor.array.Tensor;
        import dev.arbor.core.Primitive;
        import dev.arbor.core.Primitives;
        import dev.arbor.plugin.*;
        import dev.arbor.tree.Trees;
        import java.nio.file.Path;
        import java.util.Arrays;
        import java.util.function.Function;
        public class Main {
          public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            System.out.println("before=" + Primitives.get("cube").isPresent()
                + " " + Trees.registeredNodeTypes().size());
            LoadReport r = Arbor.loadPlugins(dir);
            for (LoadedPlugin p : r.loaded()) {
              System.out.println("loaded=" + p.jar().getFileName() + " " + p.nodeTypes() + " "
                  + p.annotatedClasses() + " " + p.primitives() + " " + p.backends() + " "
                  + p.kernels());
            }
            r.problems().forEach(p -> System.out.println("problem=" + p));
            LoadReport again = Arbor.loadPlugins(dir);
            System.out.println("again=" + again.loaded().size() + " " + again.alreadyLoaded().size()
                + " " + again.problems().size());
            Trees.registeredNodeTypes().forEach(n -> System.out.println("registered=" + n));
            System.out.println("primitiveNames=" + Primitives.all().stream()
                .map(Primitive::name).filter(n -> n.startsWith("cube") || n.contains("dup"))
                .toList());
            Primitive cube = Primitives.get("cube").orElse(null);
            if (cube == null) return;
            System.out.println("cubeFrom=" + cube.origin());
            Tensor x = Tensor.of(1.0, 2.0, -3.0);
            System.out.println("eager=" + Arrays.toString(cube.bind1(x).toDoubleArray()));
            Function<Tensor, Tensor> f = t -> cube.bind1(t).sum();
            System.out.println("grad=" + Arrays.toString(Arbor.grad(f).apply(x).toDoubleArray()));
            Tensor xs = Tensor.fromArray(new float[] {1, 2, 3, 4}, 2, 2);
            System.out.println("vmap=" + Arrays.toString(
                Arbor.vmap((Tensor t) -> cube.bind1(t).sum()).apply(xs).toDoubleArray()));
            System.out.println("jit=" + Arrays.toString(Arbor.jit((Tensor t) -> cube.bind1(t).add(1.0))
                .apply(x).toDoubleArray()));
            ClassLoader plugin = cube.declaredBy().getClassLoader();
            Object iv = Class.forName("g.Interval", true, plugin)
                .getConstructor(Object.class, Object.class).newInstance(1, 2);
            System.out.println("interval=" + Trees.structure(iv) + " " + Trees.leaves(Trees.map(
                v -> (Integer) v * 10, iv)));
            Object sc = Class.forName("g.Scaled", true, plugin)
                .getConstructor(Object.class, double.class).newInstance(5, 0.5);
            System.out.println("scaled=" + Trees.structure(sc));
            Tensor onToy = x.to("toy");
            System.out.println("toy=" + Arrays.toString(cube.bind1(onToy).toDoubleArray())
                + " calls=" + Class.forName("g.ToyKernels", true, plugin).getField("CALLS").get(null));
            String json = Arbor.describeJson();
            System.out.println("jsonHasPlugin=" + (json.contains("\\"toy/cube\\"")
                && json.contains("a-good.jar")));
            System.out.println("describe=" + Arbor.describe().lines()
                .filter(l -> l.startsWith("  cube:")).findFirst().orElse("?"));
          }
        }
        """;
  }
}
