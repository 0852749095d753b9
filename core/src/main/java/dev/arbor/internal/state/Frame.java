package dev.arbor.internal.state;

import dev.arbor.instrument.ModuleCalls;
import dev.arbor.module.Module;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One running {@code call} (or one functional module being initialized): what it assigned and which
 * held inner modules were updated. Frames are thread-confined.
 */
final class Frame {
  /** The module whose call runs; {@code null} for an init frame. */
  final Module<?, ?> module;

  final Frame parent;

  /** Non-null for an init frame: collects declared variables; assigns are ignored. */
  final InitCollector init;

  /** Index of the next nested {@code State.init} in a functional module's call. */
  int initOrdinal;

  private LinkedHashMap<String, Object> assigned;
  private IdentityHashMap<Object, Object> replacements;
  private Set<String> names;

  Frame(Module<?, ?> module, Frame parent, InitCollector init) {
    this.module = module;
    this.parent = parent;
    this.init = init;
  }

  void assign(String name, Object value) {
    if (init != null) {
      return; // assigns are ignored during init (STATE.md section 4)
    }
    if (names == null) {
      names = module.variables().keySet();
    }
    if (!names.contains(name)) {
      throw new IllegalArgumentException(noVariableMessage(name));
    }
    if (assigned == null) {
      assigned = new LinkedHashMap<>();
    }
    assigned.put(name, value);
  }

  private String noVariableMessage(String name) {
    String msg =
        "no variable '"
            + name
            + "' to assign in "
            + Describe.module(module)
            + "; variables are "
            + names;
    if (!ModuleCalls.isIntercepted(module.getClass()) && holdsModule(module.variables().values())) {
      msg +=
          ". If this assign comes from a nested module's call, that call was not intercepted (no"
              + " instrumentation is active): call it as inner.apply(x), or run with the Arbor"
              + " agent (-javaagent:arbor-agent.jar, see docs/agent.md)";
    }
    return msg;
  }

  private static boolean holdsModule(Iterable<?> values) {
    for (Object v : values) {
      if (v instanceof Module<?, ?>
          || v instanceof Iterable<?> it && holdsModule(it)
          || v instanceof Map<?, ?> m && holdsModule(m.values())) {
        return true;
      }
    }
    return false;
  }

  /** The outer side of step 2 in STATE.md section 3: an inner module finished with new state. */
  void acceptChild(Module<?, ?> inner, Module<?, ?> updated) {
    if (init != null) {
      return; // state changes during init are not kept
    }
    if (module instanceof FunctionalModule<?, ?> fm) {
      Map<String, Object> vars = fm.variables();
      String innerName = inner.name();
      if (innerName != null && vars.get(innerName) instanceof Module<?, ?>) {
        assigned().put(innerName, updated);
        return;
      }
      if (innerName == null) {
        Map<String, Object> innerVars = updated.variables();
        if (!innerVars.isEmpty() && vars.keySet().containsAll(innerVars.keySet())) {
          assigned().putAll(innerVars);
          return;
        }
      }
    }
    if (replacements == null) {
      replacements = new IdentityHashMap<>();
    }
    replacements.put(inner, updated);
  }

  private LinkedHashMap<String, Object> assigned() {
    if (assigned == null) {
      assigned = new LinkedHashMap<>();
    }
    return assigned;
  }

  /** The module with this frame's assignments and inner updates applied. */
  Module<?, ?> updatedModule() {
    if (assigned == null && replacements == null) {
      return module;
    }
    if (module instanceof FunctionalModule<?, ?> fm) {
      return fm.rebuilt(assigned, replacements);
    }
    return (Module<?, ?>) ModuleStructure.rebuild(module, assigned, replacements);
  }
}
