package dev.arbor.backend;

import dev.arbor.internal.PluginJars;
import dev.arbor.internal.Services;
import dev.arbor.plugin.PluginProblems;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The registry of backends: discovered once with {@link java.util.ServiceLoader}, plus the built-in
 * reference backend and any registered at run time. The default is the available backend of highest
 * rank unless {@code -Darbor.backend=NAME} or the environment variable {@code ARBOR_BACKEND} names
 * one. Thread-safe.
 */
public final class Backends {
  private static final Map<String, Backend> BY_NAME = new ConcurrentHashMap<>();
  private static final List<String> PROBLEMS = new java.util.concurrent.CopyOnWriteArrayList<>();
  private static volatile Backend defaultBackend;
  private static volatile boolean discovered;

  private Backends() {}

  private static void discover() {
    if (discovered) {
      return;
    }
    synchronized (Backends.class) {
      if (discovered) {
        return;
      }
      ReferenceBackend ref = new ReferenceBackend();
      BY_NAME.put(ref.name(), ref);
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      List<Backend> found =
          Services.load(
              Backend.class, loader != null ? loader : Backends.class.getClassLoader(), "Backend");
      // Load order is undefined: among backends of one name, the class name that sorts first wins.
      found.sort(Comparator.comparing(b -> b.getClass().getName()));
      for (Backend b : found) {
        String name;
        try {
          name = b.name();
        } catch (RuntimeException | LinkageError e) {
          PluginProblems.report(
              PluginJars.origin(b.getClass()), b.getClass().getName() + ".name() threw", e);
          continue;
        }
        Backend prev = BY_NAME.putIfAbsent(name, b);
        if (prev != null && prev.getClass() != b.getClass()) {
          String msg =
              "two backends named '"
                  + name
                  + "': "
                  + prev.getClass().getName()
                  + " ("
                  + PluginJars.origin(prev.getClass())
                  + ") is used, "
                  + b.getClass().getName()
                  + " ("
                  + PluginJars.origin(b.getClass())
                  + ") is ignored";
          PROBLEMS.add(msg);
          PluginProblems.report(PluginJars.origin(b.getClass()), msg, null);
        }
      }
      discovered = true;
    }
  }

  /** The backend called {@code name}, available or not, if one is known. */
  public static java.util.Optional<Backend> find(String name) {
    discover();
    return java.util.Optional.ofNullable(BY_NAME.get(name));
  }

  /** Adds a backend at run time (plugins loaded late, tests). Replaces one of the same name. */
  public static void register(Backend b) {
    discover();
    BY_NAME.put(b.name(), b);
    defaultBackend = null;
  }

  /** All known backends, available or not, highest rank first. */
  public static List<Backend> all() {
    discover();
    List<Backend> l = new ArrayList<>(BY_NAME.values());
    l.sort(Comparator.comparingInt(Backend::rank).reversed().thenComparing(Backend::name));
    return l;
  }

  /** Problems met while discovering backends. */
  public static List<String> problems() {
    discover();
    return List.copyOf(PROBLEMS);
  }

  /** The backend called {@code name}, or an error listing the available ones. */
  public static Backend get(String name) {
    discover();
    Backend b = BY_NAME.get(name);
    if (b == null || !b.isAvailable()) {
      String why =
          b == null ? "unknown backend" : "backend not available: " + b.unavailableReason();
      throw new IllegalArgumentException(
          why + " '" + name + "'; available backends: " + availableNames());
    }
    return b;
  }

  private static String availableNames() {
    return all().stream()
        .filter(Backend::isAvailable)
        .map(Backend::name)
        .collect(Collectors.joining(", "));
  }

  /** The backend new tensors go to. */
  public static Backend defaultBackend() {
    Backend d = defaultBackend;
    if (d == null) {
      synchronized (Backends.class) {
        d = defaultBackend;
        if (d == null) {
          d = chooseDefault();
          defaultBackend = d;
        }
      }
    }
    return d;
  }

  /** Makes {@code name} the default backend (equivalent to {@code -Darbor.backend}). */
  public static void setDefault(String name) {
    defaultBackend = get(name);
  }

  private static Backend chooseDefault() {
    String requested = System.getProperty("arbor.backend");
    if (requested == null || requested.isBlank()) {
      requested = System.getenv("ARBOR_BACKEND");
    }
    if (requested != null && !requested.isBlank()) {
      return get(requested.trim());
    }
    for (Backend b : all()) {
      if (b.isAvailable()) {
        return b;
      }
    }
    throw new AssertionError("the reference backend is always available");
  }

  /** Why each backend was or was not chosen, for {@code Arbor.describe()}. */
  public static Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    Backend chosen = defaultBackend();
    for (Backend b : all()) {
      String s =
          "rank "
              + b.rank()
              + (b.isAvailable() ? ", available" : ", unavailable: " + b.unavailableReason());
      if (b == chosen) {
        s += ", default";
      }
      m.put(b.name(), s);
    }
    return m;
  }
}
