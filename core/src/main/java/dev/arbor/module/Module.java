package dev.arbor.module;

import dev.arbor.internal.state.StateFrames;
import java.util.Map;

/**
 * A module: an immutable pytree that is also a function (the contract is {@code shared/STATE.md}).
 *
 * <p>The idiomatic module is a record: its components are its state, its canonical constructor
 * rebuilds it. A class module needs a no-arg constructor (any visibility); Arbor copies its fields
 * when it rebuilds it. A module in a named JPMS module must {@code opens} its package to {@code
 * dev.arbor}.
 *
 * <pre>{@code
 * record Counter(Count count) implements Module<Integer, Integer> {
 *   public Integer call(Integer x) {
 *     State.assign("count", new Count(count.n() + 1));
 *     return x + count.n();
 *   }
 * }
 * Counter c = new Counter(new Count(0));
 * c.call(1);                          // 1, and c is unchanged
 * State.update(c, 1).call(1);         // 2
 * }</pre>
 *
 * <p>Import it by its single-type name ({@code import dev.arbor.module.Module;}): a wildcard import
 * of {@code dev.arbor.module.*} makes {@code Module} ambiguous with {@code java.lang.Module}.
 *
 * <p>Thread-safety: modules are immutable values; the state context is per thread.
 *
 * @param <I> the input type (a record for several arguments)
 * @param <O> the output type
 */
public interface Module<I, O> {
  /**
   * The function. Outside a state context it is pure: {@link State#assign} returns its value and
   * records nothing. Inside an outer module's {@link #callAndUpdate} (with instrumentation active)
   * a call of a module the outer holds also assigns the updated module into the outer.
   */
  O call(I input);

  /** Optional name of this module; {@code null} by default. Used by functional outer modules. */
  default String name() {
    return null;
  }

  /**
   * The module's state by name, in declaration order: for a record or class, its children as a
   * pytree node ({@code dev.arbor.tree.Trees}: not primitives, strings, enums, classes, functional
   * interfaces, {@code @Static} components or transient fields; a registered {@code NodeType}
   * decides for its class); for a functional module, its declared variables. Never {@code null};
   * unmodifiable; values may be {@code null}.
   */
  default Map<String, Object> variables() {
    return StateFrames.variables(this);
  }

  /**
   * Returns a new module holding the state after one call on {@code input}; this module is never
   * changed. A module without state (or whose call assigns nothing) returns itself.
   */
  default Module<I, O> update(I input) {
    return callAndUpdate(input).module();
  }

  /**
   * Calls this module in a fresh state context and returns the output with the updated module. This
   * is an explicit call: it does not assign into an enclosing module's context (to chain a shared
   * layer, {@link State#assign} the result yourself).
   */
  default Updated<O, Module<I, O>> callAndUpdate(I input) {
    return StateFrames.callAndUpdate(this, input);
  }

  /**
   * The explicit form of an intercepted call: inside an outer module's state context it runs {@link
   * #callAndUpdate} and assigns the updated module into the outer (STATE.md section 3); outside any
   * context it is {@link #call}. Use it where no instrumentation is active (no agent, self-attach
   * disabled, no build-time plugin); with instrumentation, plain {@code call} does the same and
   * both give identical results.
   */
  default O apply(I input) {
    return StateFrames.apply(this, input);
  }
}
