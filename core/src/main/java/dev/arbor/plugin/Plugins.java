package dev.arbor.plugin;

import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.KernelProvider;
import dev.arbor.backend.Kernels;
import dev.arbor.core.Primitive;
import dev.arbor.core.PrimitiveProvider;
import dev.arbor.core.Primitives;
import dev.arbor.internal.PluginClassLoader;
import dev.arbor.internal.PluginHooks;
import dev.arbor.internal.PluginJars;
import dev.arbor.internal.Services;
import dev.arbor.internal.Versions;
import dev.arbor.tree.PytreeNode;
import dev.arbor.tree.spi.NodeType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads plugin jars while the program runs ({@code Arbor.loadPlugins(dir)}): each jar gets its own
 * class loader (a child of Arbor's), and what it contributes becomes usable at once.
 *
 * <p>A jar contributes through service files ({@code META-INF/services/}{@link NodeType}, {@link
 * PrimitiveProvider}, {@link Backend}, {@link KernelProvider}) and, when its manifest says {@code
 * Arbor-Plugin: true}, {@code @PytreeNode} classes found by a scan of that jar. Loading is all or
 * nothing per jar: everything the jar contributes is collected first (providers instantiated,
 * primitives declared but not yet listed), validated (no name or class already taken, nothing
 * twice, classes loadable by this JVM, {@code Arbor-Requires} satisfied), and only then committed.
 * A jar that fails is reported ({@link PluginProblems} and the returned {@link LoadReport}), its
 * class loader is closed, and the registries are as before. The other jars still load.
 *
 * <p>Loading the same bytes again (the same jar, or a copy) is a no-op. Loads are serialized;
 * thread-safe.
 */
public final class Plugins {
  /** The manifest attribute with the Arbor version a plugin needs, e.g. {@code 0.1}. */
  public static final String REQUIRES_ATTRIBUTE = "Arbor-Requires";

  private static final Map<String, LoadedPlugin> LOADED = new ConcurrentHashMap<>();
  private static final List<LoadedPlugin> ORDER = new java.util.concurrent.CopyOnWriteArrayList<>();

  private Plugins() {}

  /** The jars loaded at run time so far, oldest first. */
  public static List<LoadedPlugin> loaded() {
    return List.copyOf(ORDER);
  }

  /**
   * Loads every {@code *.jar} file directly in {@code dir}, in file-name order.
   *
   * @throws IllegalArgumentException if {@code dir} is not a readable directory
   */
  public static synchronized LoadReport load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "loadPlugins: " + dir + " is not a directory; pass the folder that holds the jars");
    }
    List<Path> jars;
    try (Stream<Path> files = Files.list(dir)) {
      jars =
          files
              .filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("loadPlugins: cannot list " + dir, e);
    }
    List<LoadedPlugin> loaded = new ArrayList<>();
    List<Path> already = new ArrayList<>();
    List<PluginProblem> problems = new ArrayList<>();
    for (Path jar : jars) {
      String hash;
      try {
        hash = sha256(jar);
      } catch (IOException e) {
        problems.add(PluginProblems.report(jar.toString(), "cannot read the jar; skipped", e));
        continue;
      }
      if (LOADED.containsKey(hash)) {
        already.add(jar);
        continue;
      }
      try {
        LoadedPlugin p = loadJar(jar, hash);
        LOADED.put(hash, p);
        ORDER.add(p);
        loaded.add(p);
      } catch (Refused r) {
        problems.add(
            PluginProblems.report(
                jar.toString(),
                "plugin refused, nothing of it was registered: " + r.getMessage(),
                r.getCause()));
      }
    }
    return new LoadReport(loaded, already, problems);
  }

  /** A jar that cannot be loaded; the message says why. */
  private static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static LoadedPlugin loadJar(Path jar, String hash) throws Refused {
    String requires;
    boolean scan;
    try (JarFile file = new JarFile(jar.toFile())) {
      var manifest = file.getManifest();
      Attributes main = manifest == null ? new Attributes() : manifest.getMainAttributes();
      requires = main.getValue(REQUIRES_ATTRIBUTE);
      String flag = main.getValue(PluginJars.MANIFEST_ATTRIBUTE);
      scan = flag != null && flag.trim().equalsIgnoreCase("true");
      if (requires != null) {
        String why = Versions.incompatibility(requires, Versions.arbor());
        if (why != null) {
          throw new Refused(why, null);
        }
      }
      checkClassVersions(file);
    } catch (IOException e) {
      throw new Refused(
          "not a readable jar (zip) file: " + e.getMessage() + ". Rebuild or remove it", e);
    }
    PluginClassLoader loader;
    try {
      loader = new PluginClassLoader(jar, jar.toUri().toURL(), Plugins.class.getClassLoader());
    } catch (IOException e) {
      throw new Refused("cannot make a class loader for it", e);
    }
    try {
      return collectAndCommit(jar, hash, requires, scan, loader);
    } catch (Refused | RuntimeException | LinkageError e) {
      try {
        loader.close();
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      if (e instanceof Refused r) {
        throw r;
      }
      throw new Refused(describe(e), e);
    }
  }

  /** What one jar contributes, collected before anything is registered. */
  private record Contribution(
      List<NodeType<?>> nodeTypes,
      List<Class<?>> annotated,
      List<Primitive> provided,
      List<Backend> backends,
      List<Kernels.Registration> kernels) {}

  private static LoadedPlugin collectAndCommit(
      Path jar, String hash, String requires, boolean scan, PluginClassLoader loader)
      throws Refused {
    String origin = jar.toString();
    Primitives.Collected<Contribution> collected;
    try {
      collected =
          Primitives.collecting(
              loader,
              () -> {
                List<Primitive> provided = new ArrayList<>();
                for (PrimitiveProvider p : providers(loader, PrimitiveProvider.class)) {
                  provided.addAll(p.primitives());
                }
                List<Kernels.Registration> kernels = new ArrayList<>();
                for (KernelProvider p : providers(loader, KernelProvider.class)) {
                  kernels.addAll(Kernels.of(p));
                }
                List<NodeType<?>> nodeTypes = new ArrayList<>();
                for (NodeType<?> nt : providers(loader, NodeType.class)) {
                  nodeTypes.add(nt);
                }
                List<Class<?>> annotated = new ArrayList<>();
                if (scan) {
                  for (PluginJars.Found f :
                      PluginJars.scan(List.of(jar), PytreeNode.class.getName())) {
                    annotated.add(load(loader, f.className()));
                  }
                }
                return new Contribution(
                    nodeTypes, annotated, provided, providers(loader, Backend.class), kernels);
              });
    } catch (ProviderFailure f) {
      throw new Refused(f.getMessage(), f.getCause());
    }
    Contribution c = collected.value();
    List<Primitive> declared = collected.declared();
    validate(c, declared);

    // Commit, in the order in which a failure can still be undone.
    Primitives.commit(declared);
    try {
      Kernels.commit(c.kernels());
    } catch (IllegalArgumentException e) {
      Primitives.remove(declared);
      throw new Refused(e.getMessage(), null);
    }
    try {
      PluginHooks.nodeTypes().commit(c.nodeTypes(), c.annotated(), origin);
    } catch (RuntimeException | LinkageError e) {
      Kernels.remove(c.kernels());
      Primitives.remove(declared);
      throw new Refused(describe(e), e);
    }
    c.backends().forEach(Backends::register);

    return new LoadedPlugin(
        jar,
        hash,
        requires,
        c.nodeTypes().stream().map(nt -> nt.type().getName()).toList(),
        c.annotated().stream().map(Class::getName).toList(),
        declared.stream().map(Primitive::name).toList(),
        c.backends().stream().map(Backend::name).toList(),
        c.kernels().stream().map(k -> k.backend() + "/" + k.primitive().name()).toList());
  }

  /** Checks what can be checked before committing; throws {@link Refused} on the first problem. */
  private static void validate(Contribution c, List<Primitive> declared) throws Refused {
    Set<Primitive> own = new HashSet<>(declared);
    for (Primitive p : c.provided()) {
      if (!own.contains(p)) {
        throw new Refused(
            "its PrimitiveProvider returns '"
                + p.name()
                + "', declared by "
                + p.declaredBy().getName()
                + " ("
                + p.origin()
                + "); a provider returns only the plugin's own primitives",
            null);
      }
    }
    for (Primitive p : declared) {
      Primitive taken = Primitives.get(p.name()).orElse(null);
      if (taken != null) {
        throw new Refused(
            "primitive '"
                + p.name()
                + "' is already declared by "
                + taken.declaredBy().getName()
                + " ("
                + taken.origin()
                + "); primitive names are global: rename it (e.g. prefix it with the plugin's"
                + " name)",
            null);
      }
      if (!p.hasShapeRule()) {
        throw new Refused("primitive '" + p.name() + "' has no shape rule", null);
      }
    }
    Set<String> names = new LinkedHashSet<>();
    for (Backend b : c.backends()) {
      String name = b.name();
      if (name == null || name.isBlank() || !names.add(name)) {
        throw new Refused("backend name '" + name + "' is empty or used twice in the jar", null);
      }
      var taken = Backends.find(name);
      if (taken.isPresent()) {
        throw new Refused(
            "a backend named '"
                + name
                + "' already exists ("
                + taken.get().getClass().getName()
                + ", "
                + PluginJars.origin(taken.get().getClass())
                + ")",
            null);
      }
    }
    for (Kernels.Registration k : c.kernels()) {
      Primitive p = k.primitive();
      if (!own.contains(p) && Primitives.get(p.name()).orElse(null) != p) {
        throw new Refused(
            "a kernel for '" + p.name() + "' names a primitive that is not declared anywhere",
            null);
      }
    }
  }

  private static String describe(Throwable e) {
    return e instanceof IllegalArgumentException
        ? e.getMessage()
        : e.getClass().getName() + ": " + e.getMessage() + Services.rootCause(e);
  }

  /** A provider that could not be loaded or instantiated; carries the jar-level message. */
  private static final class ProviderFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ProviderFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Instantiates the providers the jar's own service file for {@code service} names (not those of
   * jars higher up: this loader's parent is Arbor's loader).
   */
  private static <S> List<S> providers(PluginClassLoader loader, Class<S> service) {
    String file = "META-INF/services/" + service.getName();
    List<S> out = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    try {
      Enumeration<URL> urls = loader.findResources(file);
      while (urls.hasMoreElements()) {
        names.addAll(new java.util.TreeSet<>(Services.serviceFileNames(urls.nextElement())));
      }
    } catch (IOException e) {
      throw new ProviderFailure("cannot read " + file, e);
    }
    for (String name : names) {
      String what = service.getSimpleName() + " provider " + name + " (" + file + ")";
      Class<?> c = load(loader, name);
      if (!service.isAssignableFrom(c)) {
        throw new ProviderFailure(what + " does not implement " + service.getName(), null);
      }
      try {
        out.add(service.cast(c.getConstructor().newInstance()));
      } catch (InvocationTargetException e) {
        throw new ProviderFailure(what + ": its constructor threw " + e.getCause(), e.getCause());
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        throw new ProviderFailure(
            what + " cannot be instantiated (it needs a public no-arg constructor): " + e, e);
      }
    }
    return out;
  }

  private static Class<?> load(PluginClassLoader loader, String name) {
    Class<?> c;
    try {
      c = Class.forName(name, false, loader);
    } catch (ClassNotFoundException e) {
      throw new ProviderFailure("class " + name + " is named by the jar but not in it", e);
    } catch (LinkageError e) {
      throw new ProviderFailure("class " + name + " cannot be loaded: " + e, e);
    }
    if (c.getClassLoader() != loader) {
      throw new ProviderFailure(
          "class " + name + " is not in the jar (it comes from " + PluginJars.origin(c) + ")",
          null);
    }
    return c;
  }

  /** Refuses a jar with a class this JVM cannot load (compiled for a newer Java). */
  private static void checkClassVersions(JarFile file) throws IOException, Refused {
    int feature = Runtime.version().feature();
    int maxMajor = 44 + feature;
    for (JarEntry e : java.util.Collections.list(file.entries())) {
      String name = e.getName();
      if (!name.endsWith(".class") || name.startsWith("META-INF/")) {
        continue; // multi-release variants are chosen by the JVM itself
      }
      try (InputStream in = file.getInputStream(e)) {
        byte[] head = in.readNBytes(8);
        if (head.length == 8
            && (head[0] & 0xff) == 0xCA
            && (head[1] & 0xff) == 0xFE
            && (head[2] & 0xff) == 0xBA
            && (head[3] & 0xff) == 0xBE) {
          int major = ((head[6] & 0xff) << 8) | (head[7] & 0xff);
          if (major > maxMajor) {
            throw new Refused(
                name
                    + " is compiled for Java "
                    + (major - 44)
                    + " (class file version "
                    + major
                    + "), but this JVM is Java "
                    + feature
                    + " (up to "
                    + maxMajor
                    + "); rebuild the plugin with --release "
                    + feature
                    + " or run a newer JVM",
                null);
          }
        }
      }
    }
  }

  private static String sha256(Path jar) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(Files.readAllBytes(jar)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is required of every JVM", e);
    }
  }
}
