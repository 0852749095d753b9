package dev.arbor.core;

import dev.arbor.internal.PluginJars;
import dev.arbor.internal.Services;
import dev.arbor.plugin.PluginProblems;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The registry of declared primitives, by name: for diagnostics ({@code Arbor.describe()} lists
 * each with the rules it has) and for looking a plugin's primitive up by name. Primitives register
 * themselves when declared; a second declaration under a taken name is reported (naming both jars)
 * and not listed. {@link PrimitiveProvider}s on the class or module path are loaded with the core
 * primitives, on first use. Thread-safe.
 */
public final class Primitives {
  private static final Map<String, Primitive> BY_NAME = new ConcurrentHashMap<>();
  private static final List<String> PROBLEMS = new CopyOnWriteArrayList<>();
  static final String[] CORE =
      new String[] {
        "dev.arbor.core.primitives.Elementwise",
        "dev.arbor.core.primitives.Structural",
        "dev.arbor.core.primitives.Reductions",
        "dev.arbor.core.primitives.LinearAlgebra",
        "dev.arbor.core.primitives.Collectives",
        "dev.arbor.core.primitives.Indexing",
        "dev.arbor.core.primitives.Sorting",
        "dev.arbor.core.primitives.Generators",
        "dev.arbor.core.primitives.Threefry",
        "dev.arbor.core.primitives.Convolution",
        "dev.arbor.core.primitives.StopGradient",
        // Higher-order primitives: listed too, so that names are complete (./arbor info, plugin
        // name clashes) before their first use.
        "dev.arbor.transform.Cond",
        "dev.arbor.transform.WhileLoop",
        "dev.arbor.transform.Scan",
        "dev.arbor.transform.Checkpoint",
        "dev.arbor.transform.CustomJvpCall",
        "dev.arbor.transform.CustomVjpCall",
        "dev.arbor.transform.jit.Fused"
      };

  /** Per thread: the plugin class loader whose declarations are being collected, not listed. */
  private static final ThreadLocal<Staging> STAGING = new ThreadLocal<>();

  private static volatile boolean providersLoaded;

  private Primitives() {}

  private record Staging(ClassLoader loader, List<Primitive> declared) {}

  static Primitive register(Primitive p) {
    Staging staging = STAGING.get();
    if (staging != null && p.declaredBy().getClassLoader() == staging.loader) {
      staging.declared.add(p);
      return p;
    }
    Primitive prev = BY_NAME.putIfAbsent(p.name(), p);
    if (prev != null && prev != p) {
      String msg =
          "primitive '"
              + p.name()
              + "' declared twice: by "
              + prev.declaredBy().getName()
              + " ("
              + prev.origin()
              + ") and by "
              + p.declaredBy().getName()
              + " ("
              + p.origin()
              + "); the first is the one listed, both keep working. Rename one.";
      PROBLEMS.add(msg);
      PluginProblems.report(p.origin(), msg, null);
    }
    return p;
  }

  /**
   * Runs {@code body} while collecting, instead of listing, the primitives declared by classes of
   * {@code loader} (a plugin jar being loaded); returns what {@code body} returned and the
   * primitives it declared. Core primitives are initialized first, so they are never collected. For
   * the plugin loader: it validates a jar's contributions before any is listed.
   */
  public static <T> Collected<T> collecting(ClassLoader loader, Supplier<T> body) {
    loadCore();
    Staging previous = STAGING.get();
    Staging staging = new Staging(loader, new ArrayList<>());
    STAGING.set(staging);
    try {
      T value = body.get();
      return new Collected<>(value, List.copyOf(staging.declared));
    } finally {
      if (previous == null) {
        STAGING.remove();
      } else {
        STAGING.set(previous);
      }
    }
  }

  /**
   * What {@link #collecting} returned.
   *
   * @param value what the body returned
   * @param declared the primitives declared by the plugin's classes meanwhile, in order
   */
  public record Collected<T>(T value, List<Primitive> declared) {}

  /**
   * Lists {@code primitives} all or none: fails, listing nothing, if a name is taken or appears
   * twice.
   *
   * @throws IllegalArgumentException naming the primitive and both origins
   */
  public static synchronized void commit(List<Primitive> primitives) {
    loadCore();
    Map<String, Primitive> mine = new java.util.LinkedHashMap<>();
    for (Primitive p : primitives) {
      Primitive other = mine.put(p.name(), p);
      if (other != null && other != p) {
        throw new IllegalArgumentException(
            "declares primitive '" + p.name() + "' twice (" + other.declaredBy().getName() + ")");
      }
      Primitive taken = BY_NAME.get(p.name());
      if (taken != null && taken != p) {
        throw new IllegalArgumentException(
            "primitive '"
                + p.name()
                + "' (declared by "
                + p.declaredBy().getName()
                + ") is already declared by "
                + taken.declaredBy().getName()
                + " ("
                + taken.origin()
                + "); primitive names are global: rename it (e.g. prefix it with the plugin's"
                + " name)");
      }
    }
    mine.values().forEach(p -> BY_NAME.putIfAbsent(p.name(), p));
  }

  /** Unlists {@code primitives} (each only if it is the one listed): undoes a {@link #commit}. */
  public static synchronized void remove(List<Primitive> primitives) {
    primitives.forEach(p -> BY_NAME.remove(p.name(), p));
  }

  /** The primitive called {@code name}, if declared (core primitives are loaded first). */
  public static Optional<Primitive> get(String name) {
    loadCore();
    return Optional.ofNullable(BY_NAME.get(name));
  }

  /** All declared primitives, sorted by name. */
  public static List<Primitive> all() {
    loadCore();
    List<Primitive> l = new ArrayList<>(BY_NAME.values());
    l.sort(Comparator.comparing(Primitive::name));
    return l;
  }

  /** Problems such as duplicate names. */
  public static List<String> problems() {
    return List.copyOf(PROBLEMS);
  }

  private static void loadCore() {
    for (String c : CORE) {
      try {
        Class.forName(c, true, Primitives.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new AssertionError("core primitive class missing: " + c, e);
      }
    }
    if (!providersLoaded) {
      loadProviders();
    }
  }

  private static synchronized void loadProviders() {
    if (providersLoaded) {
      return;
    }
    providersLoaded = true;
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    for (PrimitiveProvider provider :
        Services.load(
            PrimitiveProvider.class,
            loader != null ? loader : Primitives.class.getClassLoader(),
            "PrimitiveProvider")) {
      try {
        for (Primitive p : provider.primitives()) {
          register(p); // already listed when its class was initialized; a no-op then
        }
      } catch (RuntimeException | LinkageError e) {
        PluginProblems.report(
            PluginJars.origin(provider.getClass()),
            provider.getClass().getName() + ".primitives() failed; its primitives are not listed",
            e);
      }
    }
  }
}
