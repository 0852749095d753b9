package dev.arbor.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The registry of declared primitives, by name, for diagnostics ({@code Arbor.describe()} lists
 * each with the rules it has). Primitives register themselves when declared; a second declaration
 * under a taken name is recorded as a problem and not listed. Thread-safe.
 */
public final class Primitives {
  private static final Map<String, Primitive> BY_NAME = new ConcurrentHashMap<>();
  private static final List<String> PROBLEMS = new CopyOnWriteArrayList<>();
  private static final String[] CORE =
      new String[] {
        "dev.arbor.core.primitives.Elementwise",
        "dev.arbor.core.primitives.Structural",
        "dev.arbor.core.primitives.Reductions",
        "dev.arbor.core.primitives.LinearAlgebra",
        "dev.arbor.core.primitives.Collectives",
        "dev.arbor.core.primitives.Indexing",
        "dev.arbor.core.primitives.Sorting",
        "dev.arbor.core.primitives.Generators",
        "dev.arbor.core.primitives.Threefry"
      };

  private Primitives() {}

  static Primitive register(Primitive p) {
    Primitive prev = BY_NAME.putIfAbsent(p.name(), p);
    if (prev != null && prev != p) {
      PROBLEMS.add(
          "primitive '"
              + p.name()
              + "' declared twice; the first declaration is the one listed, both keep working");
    }
    return p;
  }

  /** The primitive called {@code name}, if declared (core primitives are loaded first). */
  public static java.util.Optional<Primitive> get(String name) {
    loadCore();
    return java.util.Optional.ofNullable(BY_NAME.get(name));
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
  }
}
