package dev.arbor.backend;

import dev.arbor.core.Primitive;
import dev.arbor.internal.PluginJars;
import dev.arbor.internal.Services;
import dev.arbor.plugin.PluginProblems;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kernels third parties registered for backends ({@link KernelProvider}), and the one lookup
 * every eager primitive goes through: {@link #find}. Class-path providers are loaded on first use.
 * Thread-safe: the registry is an immutable map published through a volatile field.
 */
public final class Kernels {
  private Kernels() {}

  /**
   * A registered kernel and where it came from.
   *
   * @param backend the backend name
   * @param primitive the primitive
   * @param kernel the kernel
   * @param origin the jar (or directory) of its provider
   */
  public record Registration(String backend, Primitive primitive, Kernel kernel, String origin) {}

  private record Key(String backend, Primitive primitive) {}

  private static volatile Map<Key, Registration> registered;

  /**
   * The kernel for {@code p} on {@code backend}: the backend's own, else a registered one; empty
   * when neither exists (the caller falls back to the reference kernel).
   */
  public static Optional<Kernel> find(Backend backend, Primitive p) {
    Optional<Kernel> own = backend.kernel(p);
    if (own.isPresent()) {
      return own;
    }
    Registration r = registry().get(new Key(backend.name(), p));
    return r == null ? Optional.empty() : Optional.of(r.kernel());
  }

  /** The registered (third-party) kernel for {@code p} on the backend called {@code backend}. */
  public static Optional<Registration> registered(String backend, Primitive p) {
    return Optional.ofNullable(registry().get(new Key(backend, p)));
  }

  /** All registered kernels, by backend then primitive name. */
  public static List<Registration> all() {
    List<Registration> l = new ArrayList<>(registry().values());
    l.sort(Comparator.comparing(Registration::backend).thenComparing(r -> r.primitive().name()));
    return l;
  }

  /** The registrations a provider contributes; validates what it returned. */
  public static List<Registration> of(KernelProvider provider) {
    String backend = provider.backend();
    Map<Primitive, Kernel> kernels = provider.kernels();
    String name = provider.getClass().getName();
    if (backend == null || backend.isBlank()) {
      throw new IllegalArgumentException(name + ".backend() returned no backend name");
    }
    if (kernels == null) {
      throw new IllegalArgumentException(name + ".kernels() returned null");
    }
    String origin = PluginJars.origin(provider.getClass());
    List<Registration> out = new ArrayList<>();
    kernels.forEach(
        (p, k) -> {
          if (p == null || k == null) {
            throw new IllegalArgumentException(name + ".kernels() has a null key or value");
          }
          out.add(new Registration(backend, p, k, origin));
        });
    out.sort(Comparator.comparing(r -> r.primitive().name()));
    return out;
  }

  /**
   * Registers kernels all or none.
   *
   * @throws IllegalArgumentException if one of them, or two of them, are for a backend and
   *     primitive that already has a registered kernel; nothing is registered then
   */
  public static synchronized void commit(List<Registration> kernels) {
    Map<Key, Registration> next = new HashMap<>(registry());
    for (Registration r : kernels) {
      Registration prev = next.putIfAbsent(new Key(r.backend(), r.primitive()), r);
      if (prev != null) {
        throw new IllegalArgumentException(conflict(prev, r));
      }
    }
    registered = Map.copyOf(next);
  }

  /** Unregisters {@code kernels} (each only if it is the one registered): undoes a commit. */
  public static synchronized void remove(List<Registration> kernels) {
    Map<Key, Registration> next = new HashMap<>(registry());
    kernels.forEach(r -> next.remove(new Key(r.backend(), r.primitive()), r));
    registered = Map.copyOf(next);
  }

  private static String conflict(Registration kept, Registration other) {
    return "two kernels for '"
        + other.primitive().name()
        + "' on backend '"
        + other.backend()
        + "': "
        + kept.origin()
        + " and "
        + other.origin();
  }

  private static Map<Key, Registration> registry() {
    Map<Key, Registration> r = registered;
    return r != null ? r : discover();
  }

  private static synchronized Map<Key, Registration> discover() {
    if (registered != null) {
      return registered;
    }
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    List<KernelProvider> providers =
        Services.load(
            KernelProvider.class,
            loader != null ? loader : Kernels.class.getClassLoader(),
            "KernelProvider");
    // Load order is undefined: the provider class name that sorts first wins a conflict.
    providers.sort(Comparator.comparing(p -> p.getClass().getName()));
    Map<Key, Registration> found = new LinkedHashMap<>();
    for (KernelProvider provider : providers) {
      List<Registration> regs;
      try {
        regs = of(provider);
      } catch (RuntimeException | LinkageError e) {
        PluginProblems.report(
            PluginJars.origin(provider.getClass()),
            "KernelProvider " + provider.getClass().getName() + " failed; its kernels are skipped",
            e);
        continue;
      }
      for (Registration r : regs) {
        Registration prev = found.putIfAbsent(new Key(r.backend(), r.primitive()), r);
        if (prev != null) {
          PluginProblems.report(
              r.origin(), conflict(prev, r) + "; the first (by provider class name) is used", null);
        }
      }
    }
    registered = Map.copyOf(found);
    return registered;
  }
}
