package dev.arbor.module;

import dev.arbor.Arbor;
import dev.arbor.internal.state.FunctionalModule;
import dev.arbor.internal.state.ParallelModule;
import dev.arbor.internal.state.SequentialModule;
import dev.arbor.internal.state.StateFrames;
import dev.arbor.random.Key;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Declaring and updating module state (Oryx's {@code oryx.core.state}); the contract is {@code
 * shared/STATE.md}.
 *
 * <p>All methods act on the calling thread's state context: the module whose {@code call} is
 * running inside a {@link Module#callAndUpdate} (or a functional module being initialized).
 */
public final class State {
  private State() {}

  /**
   * Declares the next value of variable {@code name} of the module whose {@code call} is running
   * and returns {@code value}. Outside any state context it only returns {@code value}; during
   * {@code init} it is ignored. Several assigns of one name: the last wins.
   *
   * @throws IllegalArgumentException if the running module has no variable {@code name}; the
   *     message lists its variables
   */
  public static <T> T assign(String name, T value) {
    requireName(name, "assign");
    return StateFrames.assign(name, value);
  }

  /**
   * Declares a variable of a functional module and returns its current value: at init, {@code
   * initialValue}; on later calls, the stored value. Outside any state context it returns {@code
   * initialValue}.
   *
   * @throws IllegalArgumentException if {@code name} is declared twice at init
   * @throws IllegalStateException if called inside a record or class module's {@code call} (declare
   *     a component instead)
   */
  public static <T> T variable(String name, T initialValue) {
    requireName(name, "variable");
    return StateFrames.variable(name, initialValue);
  }

  /**
   * Returns an initializer for the functional module of {@code f}: {@code init(f, name).apply(key,
   * x)} runs {@code f(x, key)} once and returns a module holding the variables it declared. {@code
   * name} may be {@code null} (unnamed: nested inside another init, its variables appear flat in
   * the outer).
   */
  public static <I, O> Initializer<I, O> init(StatefulFn<I, O> f, String name) {
    if (f == null) {
      throw new IllegalArgumentException("State.init needs a function, got null");
    }
    return (key, example) -> FunctionalModule.initialize(f, name, key, example);
  }

  /** {@link #init(StatefulFn, String)} for a plain function: a module with no variables. */
  public static <I, O> Initializer<I, O> init(Function<I, O> f, String name) {
    if (f == null) {
      throw new IllegalArgumentException("State.init needs a function, got null");
    }
    StatefulFn<I, O> stateful = (x, key) -> f.apply(x);
    return init(stateful, name);
  }

  /**
   * The shapes and dtypes of {@code f}'s output for inputs shaped like {@code inputSpecs}, without
   * computing any values (Oryx's {@code spec}). {@code inputSpecs} is a pytree whose leaves are
   * {@link ArraySpec}s or tensors (only their shape and dtype are used); the result has the
   * structure of the output with an {@link ArraySpec} at every tensor leaf. Pass a module's call
   * ({@code State.spec(m::call, specs)}), its update ({@code m::update}: a module of specs), or any
   * function; it is {@link Arbor#evalShape}.
   *
   * <pre>{@code
   * Object out = State.spec(dense::call, ArraySpec.of(DType.F32, 32, 784)); // f32[32, 10]
   * }</pre>
   *
   * @throws IllegalArgumentException if a leaf of {@code inputSpecs} is neither an {@code
   *     ArraySpec} nor a tensor, or {@code f} rejects the shapes (the error is the one {@code f}
   *     would raise on real inputs)
   */
  public static <I> Object spec(Function<I, ?> f, Object inputSpecs) {
    if (f == null) {
      throw new IllegalArgumentException("State.spec needs a function, got null");
    }
    return Arbor.evalShape(f, inputSpecs);
  }

  /**
   * {@link #spec(Function, Object)} for the function of a functional module before it is
   * initialized: runs {@code f} with {@code Key.of(0)}, outside any state context, so each {@link
   * #variable} gives its initial value (whose shape is what matters).
   */
  public static <I> Object spec(StatefulFn<I, ?> f, Object inputSpecs) {
    if (f == null) {
      throw new IllegalArgumentException("State.spec needs a function, got null");
    }
    Key key = Key.of(0);
    return Arbor.evalShape((I x) -> f.apply(x, key), inputSpecs);
  }

  /** Typed {@link Module#update}: returns a module of the same type as {@code m}. */
  @SuppressWarnings("unchecked")
  public static <M extends Module<I, O>, I, O> M update(M m, I input) {
    return (M) m.update(input);
  }

  /** Typed {@link Module#callAndUpdate}: the updated module has the same type as {@code m}. */
  @SuppressWarnings("unchecked")
  public static <M extends Module<I, O>, I, O> Updated<O, M> callAndUpdate(M m, I input) {
    Updated<O, Module<I, O>> u = m.callAndUpdate(input);
    return new Updated<>(u.output(), (M) u.module());
  }

  /**
   * A module that runs {@code modules} in order, the output of one feeding the next (a record
   * output is passed as one argument). Its one variable, {@code layers}, holds the list; each
   * layer's state updates as if the layers were called from an outer module.
   */
  public static Module<Object, Object> sequential(List<? extends Module<?, ?>> modules) {
    return new SequentialModule(copy(modules, "sequential"));
  }

  /**
   * A module that calls every module of {@code modules} on the same input and returns their outputs
   * in order. Its one variable, {@code branches}, holds the list.
   */
  public static <I> Module<I, List<Object>> parallel(List<? extends Module<I, ?>> modules) {
    return new ParallelModule<>(copy(modules, "parallel"));
  }

  private static <T> List<T> copy(List<? extends T> modules, String what) {
    if (modules == null) {
      throw new IllegalArgumentException("State." + what + " needs a list of modules, got null");
    }
    List<T> out = new ArrayList<>(modules.size());
    for (int i = 0; i < modules.size(); i++) {
      T m = modules.get(i);
      if (m == null) {
        throw new IllegalArgumentException(
            "State." + what + ": module [" + i + "] is null; every element must be a Module");
      }
      out.add(m);
    }
    return List.copyOf(out);
  }

  private static void requireName(String name, String method) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException(
          "State." + method + " needs a variable name, got " + (name == null ? "null" : "\"\""));
    }
  }
}
