package dev.arbor.tree;

import dev.arbor.internal.PluginJars;
import dev.arbor.internal.Services;
import dev.arbor.module.Module;
import dev.arbor.plugin.PluginProblems;
import dev.arbor.tree.RegisteredNodeType.Source;
import dev.arbor.tree.spi.NodeType;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The node-type registry: service-loaded and runtime-registered {@link NodeType}s, the scanned
 * {@code @PytreeNode} classes, and the resolution of a class to its {@link NodeKind}.
 *
 * <p>Discovery (ServiceLoader, then the scan of opted-in jars) runs lazily, once, on first use. The
 * registry is published as an immutable {@link Snapshot} through a volatile field; a flatten uses
 * one snapshot from start to end. Registration builds a new snapshot under a lock, so it is safe
 * while other threads flatten.
 */
final class Registry {
  private Registry() {}

  private static final Object LOCK = new Object();

  private static volatile Snapshot current;

  // Guarded by LOCK.
  private static boolean discovering;
  private static boolean discovered;
  private static final Map<Class<?>, Entry> serviceLoaded = new LinkedHashMap<>();
  private static final Map<Class<?>, Entry> runtime = new LinkedHashMap<>();
  private static final List<RegisteredNodeType> scanned = new ArrayList<>();

  /** A registration: the kind and where it came from. */
  private record Entry(NodeTypeKind kind, Source source, String origin) {
    RegisteredNodeType describe() {
      NodeType<?> nt = kind.nodeType;
      return new RegisteredNodeType(nt.type(), nt.getClass().getName(), source, origin);
    }
  }

  /** The current registry; runs discovery on first use. */
  static Snapshot snapshot() {
    Snapshot s = current;
    return s != null ? s : init();
  }

  private static Snapshot init() {
    synchronized (LOCK) {
      if (current == null) {
        ensureDiscovered();
        if (current == null) {
          // Re-entered from a provider's constructor during discovery: built-ins only for now.
          return build();
        }
      }
      return current;
    }
  }

  // Requires LOCK.
  private static void ensureDiscovered() {
    if (discovered || discovering) {
      return;
    }
    discovering = true;
    try {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      if (loader == null) {
        loader = Registry.class.getClassLoader();
      }
      loadServices(loader);
      scanPluginJars(loader);
    } finally {
      discovering = false;
      discovered = true;
    }
    current = build();
  }

  // Requires LOCK.
  private static Snapshot build() {
    Map<Class<?>, NodeTypeKind> exact = new HashMap<>();
    List<RegisteredNodeType> info = new ArrayList<>();
    for (Entry e : serviceLoaded.values()) {
      exact.put(e.kind.nodeType.type(), e.kind);
    }
    for (Entry e : runtime.values()) {
      exact.put(e.kind.nodeType.type(), e.kind);
    }
    Map<Class<?>, Entry> effective = new LinkedHashMap<>(serviceLoaded);
    effective.putAll(runtime);
    for (Entry e : effective.values()) {
      info.add(e.describe());
    }
    info.addAll(scanned);
    return new Snapshot(Map.copyOf(exact), List.copyOf(info));
  }

  /**
   * Registers what one plugin jar (loaded at run time) contributes, all or none: its {@link
   * NodeType}s and its {@code @PytreeNode} classes (listed for diagnostics; they are nodes anyway).
   *
   * @throws IllegalArgumentException naming the class, if the jar names a class twice, a class
   *     already has a registered node type, or an annotated class cannot be flattened or rebuilt
   */
  static void commitPlugin(List<NodeType<?>> types, List<Class<?>> annotated, String origin) {
    synchronized (LOCK) {
      ensureDiscovered();
      Map<Class<?>, NodeType<?>> mine = new LinkedHashMap<>();
      for (NodeType<?> nt : types) {
        Class<?> type = nt.type();
        if (type == null || type.isPrimitive() || type == Object.class) {
          throw new IllegalArgumentException(
              nt.getClass().getName()
                  + ".type() returned "
                  + type
                  + "; a NodeType must name a non-primitive class other than Object");
        }
        NodeType<?> twice = mine.put(type, nt);
        if (twice != null) {
          throw new IllegalArgumentException(
              "two NodeTypes in one jar for "
                  + type.getName()
                  + ": "
                  + twice.getClass().getName()
                  + " and "
                  + nt.getClass().getName());
        }
        Entry previous = runtime.containsKey(type) ? runtime.get(type) : serviceLoaded.get(type);
        if (previous != null) {
          throw new IllegalArgumentException(
              "a NodeType for "
                  + type.getName()
                  + " is already registered: "
                  + previous.kind.nodeType.getClass().getName()
                  + " ("
                  + previous.source
                  + ", "
                  + previous.origin
                  + "); "
                  + nt.getClass().getName()
                  + " would replace it. Remove one plugin, or choose with Trees.register(...)");
        }
      }
      List<RegisteredNodeType> found = new ArrayList<>();
      for (Class<?> c : annotated) {
        ReflectiveKind kind = ReflectiveKind.FOR.get(c);
        if (kind.rebuildProblem() != null
            && !java.lang.reflect.Modifier.isAbstract(c.getModifiers())) {
          throw new IllegalArgumentException(
              "@PytreeNode class "
                  + c.getName()
                  + " flattens but cannot be rebuilt: "
                  + kind.rebuildProblem()
                  + ". Add a no-arg constructor (any visibility).");
        }
        found.add(new RegisteredNodeType(c, "@PytreeNode", Source.PLUGIN, origin));
      }
      mine.forEach(
          (type, nt) -> runtime.put(type, new Entry(new NodeTypeKind(nt), Source.PLUGIN, origin)));
      scanned.addAll(found);
      current = build();
    }
  }

  /** Registers {@code nodeType} at run time; see {@link Trees#register} for the rules. */
  static void register(NodeType<?> nodeType) {
    Objects.requireNonNull(nodeType, "nodeType");
    Class<?> type = nodeType.type();
    if (type == null) {
      throw new IllegalArgumentException(
          nodeType.getClass().getName() + ".type() returned null; it must return the node class");
    }
    if (type.isPrimitive() || type == Object.class) {
      throw new IllegalArgumentException(
          "cannot register a NodeType for "
              + type.getName()
              + ": "
              + (type.isPrimitive()
                  ? "primitives are never tree nodes"
                  : "it would make every value a node")
              + "; register it for the class you want flattened");
    }
    synchronized (LOCK) {
      ensureDiscovered();
      Entry previous = runtime.containsKey(type) ? runtime.get(type) : serviceLoaded.get(type);
      if (previous != null && previous.kind.nodeType == nodeType) {
        return;
      }
      if (previous != null) {
        PluginProblems.report(
            "runtime",
            "two NodeTypes for "
                + type.getName()
                + ": "
                + nodeType.getClass().getName()
                + " (runtime registration) replaces "
                + previous.kind.nodeType.getClass().getName()
                + " ("
                + previous.source
                + ", "
                + previous.origin
                + "); a runtime registration always wins, the latest one first",
            null);
      }
      runtime.put(type, new Entry(new NodeTypeKind(nodeType), Source.RUNTIME, "runtime"));
      current = build();
    }
  }

  private static void loadServices(ClassLoader loader) {
    Map<Class<?>, List<Entry>> candidates = new LinkedHashMap<>();
    for (NodeType<?> nt : loadNodeTypes(loader)) {
      Class<?> type;
      try {
        type = nt.type();
      } catch (RuntimeException | LinkageError e) {
        PluginProblems.report(
            PluginJars.origin(nt.getClass()),
            nt.getClass().getName() + ".type() threw; provider skipped",
            e);
        continue;
      }
      if (type == null || type.isPrimitive() || type == Object.class) {
        PluginProblems.report(
            PluginJars.origin(nt.getClass()),
            nt.getClass().getName()
                + ".type() returned "
                + type
                + "; a NodeType must name a non-primitive class other than Object. Skipped.",
            null);
        continue;
      }
      candidates
          .computeIfAbsent(type, t -> new ArrayList<>())
          .add(
              new Entry(
                  new NodeTypeKind(nt), Source.SERVICE_LOADER, PluginJars.origin(nt.getClass())));
    }
    for (var e : candidates.entrySet()) {
      List<Entry> list = e.getValue();
      // Load order is undefined, so pick by a stable key: the provider class name.
      list.sort(Comparator.comparing((Entry x) -> x.kind.nodeType.getClass().getName()));
      Entry winner = list.getFirst();
      if (list.size() > 1) {
        List<String> others = new ArrayList<>();
        for (Entry x : list.subList(1, list.size())) {
          others.add(x.kind.nodeType.getClass().getName() + " (" + x.origin + ")");
        }
        PluginProblems.report(
            winner.origin,
            "several service-loaded NodeTypes for "
                + e.getKey().getName()
                + ": "
                + winner.kind.nodeType.getClass().getName()
                + " is used (the provider class name that sorts first wins); ignored: "
                + others
                + ". Remove one, or call Trees.register(...) to choose.",
            null);
      }
      serviceLoaded.put(e.getKey(), winner);
    }
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static List<NodeType<?>> loadNodeTypes(ClassLoader loader) {
    return (List) Services.load(NodeType.class, loader, "NodeType");
  }

  private static void scanPluginJars(ClassLoader loader) {
    List<Path> jars = PluginJars.optedIn(loader, PluginProblems::report);
    List<PluginJars.Found> found;
    try {
      found = PluginJars.scan(jars, PytreeNode.class.getName());
    } catch (RuntimeException | LinkageError e) {
      PluginProblems.report(
          jars.toString(), "scanning the Arbor-Plugin jars for @PytreeNode classes failed", e);
      return;
    }
    for (PluginJars.Found f : found) {
      Class<?> c;
      try {
        c = Class.forName(f.className(), false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        PluginProblems.report(
            f.source(), "@PytreeNode class " + f.className() + " could not be loaded; skipped", e);
        continue;
      }
      try {
        ReflectiveKind kind = ReflectiveKind.FOR.get(c);
        if (kind.rebuildProblem() != null
            && !java.lang.reflect.Modifier.isAbstract(c.getModifiers())) {
          PluginProblems.report(
              f.source(),
              "@PytreeNode class "
                  + c.getName()
                  + " flattens but cannot be rebuilt: "
                  + kind.rebuildProblem()
                  + ". Add a no-arg constructor (any visibility).",
              null);
        }
      } catch (RuntimeException | LinkageError e) {
        PluginProblems.report(
            f.source(), "@PytreeNode class " + c.getName() + " cannot be flattened: " + e, e);
        continue;
      }
      Entry registered = serviceLoaded.get(c);
      if (registered != null) {
        PluginProblems.report(
            f.source(),
            c.getName()
                + " is both @PytreeNode and has a service-loaded NodeType ("
                + registered.kind.nodeType.getClass().getName()
                + "); the NodeType wins",
            null);
      }
      scanned.add(new RegisteredNodeType(c, "@PytreeNode", Source.SCANNED, f.source()));
    }
  }

  /** An immutable view of the registry, with its own per-class resolution cache. */
  static final class Snapshot {
    private final Map<Class<?>, NodeTypeKind> exact;
    final List<RegisteredNodeType> info;
    private final ClassValue<NodeKind> kinds =
        new ClassValue<>() {
          @Override
          protected NodeKind computeValue(Class<?> type) {
            return resolve(type);
          }
        };

    Snapshot(Map<Class<?>, NodeTypeKind> exact, List<RegisteredNodeType> info) {
      this.exact = exact;
      this.info = info;
    }

    /** The kind of values of class {@code c}: {@link NodeKind#LEAF} for leaves. */
    NodeKind kindOf(Class<?> c) {
      return kinds.get(c);
    }

    /** The precedence rule; see {@link Trees}. */
    private NodeKind resolve(Class<?> c) {
      NodeKind registered = nearestRegistered(c);
      if (registered != null) {
        return registered;
      }
      if (LEAF_ANNOTATED.get(c)) {
        return NodeKind.LEAF;
      }
      if (c.isRecord()) {
        return ReflectiveKind.FOR.get(c);
      }
      if (Module.class.isAssignableFrom(c)) {
        if (c.isHidden() || c.isSynthetic() || c.isEnum() || isEnumConstantBody(c)) {
          return BuiltinKinds.IDENTITY;
        }
        return ReflectiveKind.FOR.get(c);
      }
      if (c.isAnnotationPresent(PytreeNode.class)) {
        return ReflectiveKind.FOR.get(c);
      }
      if (List.class.isAssignableFrom(c)) {
        return BuiltinKinds.LIST;
      }
      if (Map.class.isAssignableFrom(c)) {
        return BuiltinKinds.MAP;
      }
      if (c.isArray() && !c.getComponentType().isPrimitive()) {
        return BuiltinKinds.ARRAY;
      }
      if (c == Optional.class) {
        return BuiltinKinds.OPTIONAL;
      }
      return NodeKind.LEAF;
    }

    private static boolean isEnumConstantBody(Class<?> c) {
      Class<?> s = c.getSuperclass();
      return s != null && s.isEnum();
    }

    /** Exact registration, else the nearest registered supertype (breadth-first). */
    private NodeKind nearestRegistered(Class<?> c) {
      if (exact.isEmpty()) {
        return null;
      }
      ArrayDeque<Class<?>> queue = new ArrayDeque<>();
      Set<Class<?>> seen = new HashSet<>();
      queue.add(c);
      while (!queue.isEmpty()) {
        Class<?> t = queue.poll();
        if (!seen.add(t)) {
          continue;
        }
        NodeTypeKind k = exact.get(t);
        if (k != null) {
          return k;
        }
        if (t.getSuperclass() != null) {
          queue.add(t.getSuperclass());
        }
        queue.addAll(List.of(t.getInterfaces()));
      }
      return null;
    }
  }

  /** Whether a class or any of its supertypes is annotated {@link Leaf}. */
  private static final ClassValue<Boolean> LEAF_ANNOTATED =
      new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> c) {
          if (c.isAnnotationPresent(Leaf.class)) {
            return true;
          }
          if (c.getSuperclass() != null && get(c.getSuperclass())) {
            return true;
          }
          for (Class<?> i : c.getInterfaces()) {
            if (get(i)) {
              return true;
            }
          }
          return false;
        }
      };
}
