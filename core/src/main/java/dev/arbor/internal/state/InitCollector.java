package dev.arbor.internal.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a functional module declares while it is initialized. */
final class InitCollector {
  private final String moduleName;
  final LinkedHashMap<String, Object> declared = new LinkedHashMap<>();
  private final Map<String, String> declaredBy = new HashMap<>();
  final List<FunctionalModule<?, ?>> nested = new ArrayList<>();

  InitCollector(String moduleName) {
    this.moduleName = moduleName;
  }

  void declare(String name, Object value, String origin) {
    String first = declaredBy.putIfAbsent(name, origin);
    if (first != null) {
      throw new IllegalArgumentException(
          "variable '"
              + name
              + "' is declared twice in "
              + (moduleName == null
                  ? "an unnamed functional module"
                  : "functional module '" + moduleName + "'")
              + ": by "
              + first
              + " and by "
              + origin
              + "; give the inner modules distinct names (State.init(f, \"name\")) or rename the"
              + " variable");
    }
    declared.put(name, value);
  }

  /** A module initialized inside this one: named, one variable; unnamed, its variables flat. */
  void nest(FunctionalModule<?, ?> inner) {
    nested.add(inner);
    Map<String, Object> vars = inner.variables();
    if (vars.isEmpty()) {
      return; // contributes nothing: no name collision, no assignment
    }
    String position = "State.init #" + nested.size();
    if (inner.name() != null) {
      declare(inner.name(), inner, "inner module '" + inner.name() + "' (" + position + ")");
    } else {
      for (Map.Entry<String, Object> e : vars.entrySet()) {
        declare(e.getKey(), e.getValue(), "an unnamed inner module (" + position + ")");
      }
    }
  }
}
