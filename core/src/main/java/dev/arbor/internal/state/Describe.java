package dev.arbor.internal.state;

import dev.arbor.module.Module;

/** How modules are named in error messages. */
final class Describe {
  private Describe() {}

  static String module(Module<?, ?> m) {
    if (m instanceof FunctionalModule<?, ?>) {
      return m.name() == null
          ? "an unnamed functional module"
          : "functional module '" + m.name() + "'";
    }
    return type(m.getClass()) + (m.name() == null ? "" : " '" + m.name() + "'");
  }

  static String type(Class<?> c) {
    String simple = c.getSimpleName();
    return simple.isEmpty() ? c.getName() : simple;
  }
}
