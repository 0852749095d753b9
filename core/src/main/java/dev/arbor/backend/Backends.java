package dev.arbor.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The registry of backends: discovered once with {@link ServiceLoader}, plus the built-in reference
 * backend and any registered at run time. The default is the available backend of highest rank
 * unless {@code -Darbor.backend=NAME} or the environment variable {@code ARBOR_BACKEND} names one.
 * Thread-safe.
 */
public final class Backends {
  private static final System.Logger LOG = System.getLogger("dev.arbor.backend");
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
      Iterator<Backend> it = ServiceLoader.load(Backend.class).iterator();
      while (true) {
        try {
          if (!it.hasNext()) {
            break;
          }
          Backend b = it.next();
          if (!b.name().equals(ReferenceBackend.NAME)) {
            BY_NAME.putIfAbsent(b.name(), b);
          }
        } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
          String msg = "a backend provider failed to load and was skipped: " + e;
          PROBLEMS.add(msg);
          LOG.log(System.Logger.Level.WARNING, msg);
        }
      }
      discovered = true;
    }
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
