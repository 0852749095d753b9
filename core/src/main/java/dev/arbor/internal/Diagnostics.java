package dev.arbor.internal;

import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.Kernels;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitives;
import dev.arbor.instrument.ModuleCalls;
import dev.arbor.internal.state.InterceptionStatus;
import dev.arbor.plugin.LoadedPlugin;
import dev.arbor.plugin.PluginProblem;
import dev.arbor.plugin.PluginProblems;
import dev.arbor.tree.RegisteredNodeType;
import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report behind {@code Arbor.describe()} and {@code Arbor.describeJson()}: one model (maps and
 * lists), rendered as text or JSON, so the two never disagree.
 */
public final class Diagnostics {
  private Diagnostics() {}

  /** The report as nested maps and lists (JSON-shaped). */
  public static Map<String, Object> model() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("arbor", Versions.arbor());
    m.put("java", Runtime.version().toString());
    List<Backend> available = new ArrayList<>();
    m.put("backends", backends(available));
    m.put("nodeTypes", nodeTypes());
    m.put("primitives", primitives(available));
    m.put("agent", agent());
    m.put("plugins", plugins());
    m.put("problems", problems());
    return m;
  }

  private static List<Object> backends(List<Backend> available) {
    Backend chosen = Backends.defaultBackend();
    String requested = System.getProperty("arbor.backend");
    String by = "-Darbor.backend";
    if (requested == null || requested.isBlank()) {
      requested = System.getenv("ARBOR_BACKEND");
      by = "ARBOR_BACKEND";
    }
    boolean named = requested != null && !requested.isBlank();
    List<Object> out = new ArrayList<>();
    for (Backend b : Backends.all()) {
      boolean ok = b.isAvailable();
      if (ok) {
        available.add(b);
      }
      String why;
      if (b == chosen) {
        why =
            named && requested.trim().equals(b.name())
                ? "named by " + by
                : "the available backend of highest rank";
      } else if (!ok) {
        why = "unavailable: " + b.unavailableReason();
      } else {
        why = "available, not chosen (" + chosen.name() + " is the default)";
      }
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", b.name());
      e.put("available", ok);
      e.put("rank", b.rank());
      e.put("chosen", b == chosen);
      e.put("why", why);
      e.put("origin", PluginJars.origin(b.getClass()));
      out.add(e);
    }
    return out;
  }

  private static List<Object> nodeTypes() {
    List<Object> out = new ArrayList<>();
    for (RegisteredNodeType r : Trees.registeredNodeTypes()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("type", r.type().getName());
      e.put("provider", r.provider());
      e.put("source", r.source().name());
      e.put("origin", r.origin());
      out.add(e);
    }
    return out;
  }

  private static List<Object> primitives(List<Backend> available) {
    List<Object> out = new ArrayList<>();
    for (Primitive p : Primitives.all()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", p.name());
      e.put("origin", p.origin());
      e.put("kind", p.kind().name());
      Map<String, Object> rules = new LinkedHashMap<>();
      rules.put("shape", p.hasShapeRule());
      rules.put("jvp", p.hasJvp());
      rules.put("transpose", p.hasTranspose());
      rules.put("batch", p.hasBatch() || p.isCollective());
      rules.put("eval", p.hasEvalRule());
      rules.put("reference", p.hasReference());
      e.put("rules", rules);
      Map<String, Object> kernels = new LinkedHashMap<>();
      for (Backend b : available) {
        kernels.put(b.name(), kernelOf(b, p));
      }
      e.put("kernels", kernels);
      out.add(e);
    }
    return out;
  }

  /** {@code own}, {@code plugin: JAR}, {@code eval rule}, {@code reference fallback} or none. */
  private static String kernelOf(Backend b, Primitive p) {
    try {
      if (b.kernel(p).isPresent()) {
        return "own";
      }
    } catch (RuntimeException | LinkageError e) {
      return "error: " + e;
    }
    var registered = Kernels.registered(b.name(), p);
    if (registered.isPresent()) {
      return "plugin: " + registered.get().origin();
    }
    if (p.hasEvalRule()) {
      return "eval rule";
    }
    return p.hasReference() ? "reference fallback" : "none";
  }

  private static Map<String, Object> agent() {
    Map<String, Object> a = new LinkedHashMap<>();
    String how = ModuleCalls.agentHow();
    a.put("attached", how != null);
    a.put("how", how);
    a.put("whyNot", how != null ? null : whyNot());
    a.put("instrumentedCount", ModuleCalls.instrumentedCount());
    a.put("instrumentedClasses", ModuleCalls.instrumentedClasses());
    return a;
  }

  private static String whyNot() {
    String why = InterceptionStatus.whyNotAttached();
    if (why != null) {
      return why;
    }
    return InterceptionStatus.attachTried()
        ? "not attached"
        : "no module used yet (Arbor self-attaches on first module use unless"
            + " -Darbor.selfAttach=false)";
  }

  private static List<Object> plugins() {
    List<Object> out = new ArrayList<>();
    for (LoadedPlugin p : dev.arbor.plugin.Plugins.loaded()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("jar", p.jar().toString());
      e.put("sha256", p.sha256());
      e.put("requires", p.requires());
      e.put("nodeTypes", p.nodeTypes());
      e.put("annotatedClasses", p.annotatedClasses());
      e.put("primitives", p.primitives());
      e.put("backends", p.backends());
      e.put("kernels", p.kernels());
      out.add(e);
    }
    return out;
  }

  private static List<Object> problems() {
    List<Object> out = new ArrayList<>();
    for (PluginProblem p : PluginProblems.list()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("source", p.source());
      e.put("message", p.message());
      e.put("cause", p.cause() == null ? null : p.cause().toString());
      out.add(e);
    }
    if (PluginProblems.dropped() > 0) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("source", "arbor");
      e.put("message", PluginProblems.dropped() + " more problems were not kept");
      e.put("cause", null);
      out.add(e);
    }
    return out;
  }

  /** The model as JSON. */
  public static String json() {
    return Json.write(model());
  }

  /** The model as plain text. */
  @SuppressWarnings("unchecked")
  public static String text() {
    Map<String, Object> m = model();
    StringBuilder sb = new StringBuilder();
    sb.append("Arbor ").append(m.get("arbor")).append(" on Java ").append(m.get("java"));
    sb.append("\nbackends:\n");
    for (Object o : (List<Object>) m.get("backends")) {
      Map<String, Object> b = (Map<String, Object>) o;
      sb.append("  ").append(b.get("name")).append(": rank ").append(b.get("rank"));
      sb.append(Boolean.TRUE.equals(b.get("available")) ? ", available" : ", unavailable");
      sb.append(Boolean.TRUE.equals(b.get("chosen")) ? ", default" : "");
      sb.append(" (").append(b.get("why")).append("; ").append(b.get("origin")).append(")\n");
    }
    sb.append("node types:\n");
    Trees.registeredNodeTypes().forEach(n -> sb.append("  ").append(n).append('\n'));
    sb.append("primitives:\n");
    for (Object o : (List<Object>) m.get("primitives")) {
      Map<String, Object> p = (Map<String, Object>) o;
      Map<String, Object> r = (Map<String, Object>) p.get("rules");
      sb.append("  ").append(p.get("name")).append(":");
      sb.append(Boolean.TRUE.equals(r.get("jvp")) ? " jvp" : " -jvp");
      sb.append(Boolean.TRUE.equals(r.get("transpose")) ? " transpose" : "");
      sb.append(Boolean.TRUE.equals(r.get("batch")) ? " batch" : " -batch");
      sb.append(Boolean.TRUE.equals(r.get("reference")) ? " reference" : " -reference");
      sb.append(" | kernels:");
      ((Map<String, Object>) p.get("kernels"))
          .forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
      if (!String.valueOf(p.get("origin")).equals(PluginJars.origin(Primitive.class))) {
        sb.append(" | from ").append(p.get("origin"));
      }
      sb.append('\n');
    }
    Map<String, Object> a = (Map<String, Object>) m.get("agent");
    sb.append("agent: ");
    if (Boolean.TRUE.equals(a.get("attached"))) {
      sb.append("attached (").append(a.get("how")).append("), ");
      sb.append(a.get("instrumentedCount")).append(" classes instrumented\n");
    } else {
      sb.append("not attached: ").append(a.get("whyNot")).append('\n');
    }
    List<Object> plugins = (List<Object>) m.get("plugins");
    sb.append("plugins loaded at run time:").append(plugins.isEmpty() ? " none\n" : "\n");
    for (Object o : plugins) {
      Map<String, Object> p = (Map<String, Object>) o;
      sb.append("  ").append(p.get("jar")).append(": node types ").append(p.get("nodeTypes"));
      sb.append(", @PytreeNode ").append(p.get("annotatedClasses"));
      sb.append(", primitives ").append(p.get("primitives"));
      sb.append(", backends ").append(p.get("backends"));
      sb.append(", kernels ").append(p.get("kernels")).append('\n');
    }
    List<String> problems = new ArrayList<>();
    PluginProblems.list().forEach(p -> problems.add(p.toString()));
    if (PluginProblems.dropped() > 0) {
      problems.add(PluginProblems.dropped() + " more problems were not kept");
    }
    sb.append("problems:").append(problems.isEmpty() ? " none\n" : "\n");
    problems.forEach(p -> sb.append("  ").append(p).append('\n'));
    return sb.toString();
  }
}
