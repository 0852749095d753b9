package dev.arbor.internal.state;

import dev.arbor.module.Module;
import dev.arbor.module.StatefulFn;
import dev.arbor.random.Key;
import dev.arbor.tree.Static;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A module made by {@code State.init}: a stateful function and the variables it declared. Its
 * {@code call} intercepts itself (no instrumentation needed): it runs the function in a frame of
 * its own, from which {@code State.variable} reads the stored values.
 *
 * @param <I> the input type
 * @param <O> the output type
 */
public final class FunctionalModule<I, O> implements Module<I, O> {
  private static final Key CALL_KEY = Key.of(0);

  private final StatefulFn<I, O> fn;
  private final String name;
  private final Map<String, Object> variables;

  /** Modules initialized inside this one, in order: returned again by later calls. */
  @Static private final List<FunctionalModule<?, ?>> nested;

  /** For pytree unflatten (a no-arg constructor plus field writes). */
  private FunctionalModule() {
    this(null, null, Map.of(), List.of());
  }

  private FunctionalModule(
      StatefulFn<I, O> fn,
      String name,
      Map<String, Object> variables,
      List<FunctionalModule<?, ?>> nested) {
    this.fn = fn;
    this.name = name;
    this.variables = variables;
    this.nested = nested;
  }

  /** {@code State.init(fn, name).apply(key, example)}. */
  public static <I, O> Module<I, O> initialize(
      StatefulFn<I, O> fn, String name, Key key, I example) {
    Frame top = StateFrames.current();
    if (top != null && top.init == null && top.module instanceof FunctionalModule<?, ?> outer) {
      // A later call of the outer module: return the module stored at init, not a fresh one.
      @SuppressWarnings("unchecked")
      Module<I, O> stored = (Module<I, O>) outer.nestedAt(top.initOrdinal++, name);
      return stored;
    }
    if (top == null) {
      InterceptionStatus.beforeFirstUse();
    }
    InitCollector collector = new InitCollector(name);
    Frame frame = new Frame(null, top, collector);
    StateFrames.set(frame);
    try {
      fn.apply(example, key);
    } finally {
      StateFrames.set(top);
    }
    FunctionalModule<I, O> module =
        new FunctionalModule<>(
            fn,
            name,
            Collections.unmodifiableSequencedMap(new LinkedHashMap<>(collector.declared)),
            List.copyOf(collector.nested));
    if (top != null && top.init != null) {
      top.init.nest(module);
    }
    return module;
  }

  private Module<?, ?> nestedAt(int ordinal, String innerName) {
    if (ordinal >= nested.size()) {
      throw new IllegalStateException(
          Describe.module(this)
              + " called State.init "
              + (ordinal + 1)
              + " times in one call but "
              + nested.size()
              + " times at init: which inner modules a functional module makes must not depend"
              + " on its input");
    }
    FunctionalModule<?, ?> template = nested.get(ordinal);
    if (!Objects.equals(template.name, innerName)) {
      throw new IllegalStateException(
          Describe.module(this)
              + ": State.init #"
              + (ordinal + 1)
              + " is named "
              + quote(innerName)
              + " in this call but was "
              + quote(template.name)
              + " at init: the inner modules must be made in the same order on every call");
    }
    if (template.variables.isEmpty()) {
      return template;
    }
    if (innerName != null) {
      return (Module<?, ?>) variables.get(innerName);
    }
    LinkedHashMap<String, Object> own = new LinkedHashMap<>();
    for (String key : template.variables.keySet()) {
      own.put(key, variables.get(key));
    }
    return template.withVariables(own);
  }

  private static String quote(String s) {
    return s == null ? "unnamed" : "'" + s + "'";
  }

  /** The stored value of variable {@code key}, for {@code State.variable} in a later call. */
  Object stored(String key) {
    if (!variables.containsKey(key)) {
      throw new IllegalStateException(
          "State.variable(\""
              + key
              + "\", ...) in a call of "
              + Describe.module(this)
              + ", which declared no such variable at init; variables are "
              + variables.keySet()
              + ": the function must declare the same variables on every call");
    }
    return variables.get(key);
  }

  private FunctionalModule<I, O> withVariables(Map<String, Object> newVariables) {
    return new FunctionalModule<>(
        fn, name, Collections.unmodifiableSequencedMap(new LinkedHashMap<>(newVariables)), nested);
  }

  /** This module with {@code assigned} variables and inner-module {@code replacements} applied. */
  FunctionalModule<I, O> rebuilt(
      Map<String, Object> assigned, IdentityHashMap<Object, Object> replacements) {
    LinkedHashMap<String, Object> out = new LinkedHashMap<>(variables);
    boolean changed = false;
    if (assigned != null) {
      out.putAll(assigned);
      changed = !assigned.isEmpty();
    }
    if (replacements != null) {
      for (Map.Entry<String, Object> e : out.entrySet()) {
        Object r = ModuleStructure.replace(e.getValue(), replacements);
        changed |= r != e.getValue();
        e.setValue(r);
      }
    }
    return changed ? withVariables(out) : this;
  }

  @Override
  public O call(I input) {
    return StateFrames.intercept(this, input, x -> fn.apply(x, CALL_KEY), true);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Map<String, Object> variables() {
    return variables;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FunctionalModule<?, ?> other
        && fn == other.fn
        && Objects.equals(name, other.name)
        && variables.equals(other.variables)
        && nested.equals(other.nested);
  }

  @Override
  public int hashCode() {
    return Objects.hash(System.identityHashCode(fn), name, variables);
  }

  @Override
  public String toString() {
    return "FunctionalModule[" + (name == null ? "unnamed" : name) + ", " + variables + "]";
  }
}
