package dev.arbor.transform.jit;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.common.util.concurrent.ExecutionError;
import com.google.common.util.concurrent.UncheckedExecutionException;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.Executable;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Graph;
import dev.arbor.core.Scope;
import dev.arbor.core.Tracer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A jitted function: stages the wrapped function once per signature (static key, argument shapes
 * and dtypes, the arguments' backend), optimizes the graph, has the backend compile it, and caches
 * the executable. Made by {@link Jit#jit}.
 *
 * <p>Called with concrete tensors, it runs the cached executable. Called with tracers of an
 * enclosing transformation ({@code grad}, {@code vmap}, or another {@code jit} staging), it
 * evaluates the cached optimized graph by binding each equation, so that the enclosing
 * transformation transforms the graph; the Java function is not run again.
 *
 * <p>Values the function closes over become constants of the graph, captured at the first trace of
 * each signature (as in JAX: later changes to a captured variable are not seen). A function that
 * closes over a tracer of an enclosing transformation cannot be cached: such a call is traced and
 * evaluated every time.
 *
 * <p>Thread-safe: concurrent callers with one new signature trace it once; the cache is bounded
 * ({@link JitConfig#cacheSize()}, least recently used first out).
 *
 * @param <S> the static key's type
 */
public final class JitFunction<S> {
  private record Entry(Graph graph, Executable executable, Object structure, boolean inlineOnly) {}

  private final String name;
  private final FlatFunction<S> function;
  private final JitConfig config;
  private final Cache<Signature, Entry> cache;
  private final AtomicLong traces = new AtomicLong();

  JitFunction(String name, FlatFunction<S> function, JitConfig config) {
    this.name = Objects.requireNonNull(name, "name");
    this.function = Objects.requireNonNull(function, "function");
    this.config = Objects.requireNonNull(config, "config");
    // One segment makes eviction exact LRU at the configured size; lookups stay lock-free.
    this.cache =
        CacheBuilder.newBuilder().concurrencyLevel(1).maximumSize(config.cacheSize()).build();
  }

  /** Calls the function with no static key ({@code null}). */
  public List<Tensor> call(List<Tensor> args) {
    return invoke(args, null).outputs();
  }

  /** Calls the function. */
  public List<Tensor> call(List<Tensor> args, S statics) {
    return invoke(args, statics).outputs();
  }

  /** Calls the function, returning the outputs with the structure the function reported. */
  public FlatResult invoke(List<Tensor> args, S statics) {
    int n = args.size();
    AbstractValue[] avals = new AbstractValue[n];
    boolean traced = false;
    Backend backend = null;
    for (int k = 0; k < n; k++) {
      Tensor a = args.get(k);
      if (a instanceof ConcreteTensor c) {
        avals[k] = c.aval();
        if (backend == null) {
          backend = c.backend();
        }
      } else if (a instanceof Tracer t) {
        avals[k] = t.aval();
        traced = true;
      } else if (a == null) {
        throw new NullPointerException("argument " + k + " of " + name + " is null");
      } else {
        avals[k] = new AbstractValue(a.shape(), a.dtype());
      }
    }
    if (backend == null) {
      backend = Backends.defaultBackend();
    }
    Signature key = new Signature(statics, backend, avals);
    Entry e = cache.getIfPresent(key);
    if (e == null) {
      e = miss(key, statics);
    }
    List<Tensor> outs =
        traced || e.inlineOnly ? e.graph.evaluate(args) : e.executable.execute(args);
    return new FlatResult(outs, e.structure);
  }

  private Entry miss(Signature key, S statics) {
    Entry[] mine = new Entry[1];
    Entry e;
    try {
      e =
          cache.get(
              key,
              () -> {
                mine[0] = build(key, statics);
                return mine[0];
              });
    } catch (ExecutionException | UncheckedExecutionException | ExecutionError wrapped) {
      throw unwrap(wrapped);
    }
    if (e.inlineOnly) {
      // It holds another call's tracers: never reuse it, and let no other caller find it.
      cache.asMap().remove(key, e);
      if (e != mine[0]) {
        e = build(key, statics);
      }
    }
    return e;
  }

  private static RuntimeException unwrap(Throwable wrapped) {
    Throwable cause = wrapped.getCause();
    if (cause instanceof RuntimeException r) {
      return r;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    return new IllegalStateException(cause);
  }

  private Entry build(Signature key, S statics) {
    traces.incrementAndGet();
    // Constants the graph keeps must outlive any Arbor.scope() the caller has open.
    return Scope.untracked(
        () -> {
          Staged staged = Jit.makeGraph("jit of " + name, function, key.avals(), statics);
          Graph optimized = Jit.optimize(staged.graph(), config);
          boolean closesOverTracers = false;
          for (Tensor c : optimized.constValues()) {
            closesOverTracers |= c instanceof Tracer;
          }
          if (closesOverTracers) {
            return new Entry(optimized, null, staged.structure(), true);
          }
          Graph compiled = config.fusion() ? Fusion.cluster(optimized) : optimized;
          return new Entry(optimized, key.backend.compile(compiled), staged.structure(), false);
        });
  }

  /**
   * Stages, optimizes and clusters the function for the given inputs without compiling or caching
   * (for inspection: {@code lower(...).compiled()} prints what the backend gets).
   */
  public Lowered lower(List<AbstractValue> inputs, S statics) {
    traces.incrementAndGet();
    return Scope.untracked(
        () -> {
          Staged staged = Jit.makeGraph("jit of " + name, function, inputs, statics);
          Graph optimized = Jit.optimize(staged.graph(), config);
          Graph compiled = config.fusion() ? Fusion.cluster(optimized) : optimized;
          return new Lowered(staged.graph(), optimized, compiled);
        });
  }

  /**
   * The stages of one signature's compilation.
   *
   * @param staged the graph as traced
   * @param optimized after {@link Jit#optimize}: what transformations of the jitted function see
   * @param compiled after fusion: what {@code Backend.compile} gets
   */
  public record Lowered(Graph staged, Graph optimized, Graph compiled) {}

  /** How many times the wrapped function has been run to stage it (cache misses and lowerings). */
  public long traceCount() {
    return traces.get();
  }

  /** Number of cached executables. */
  public long cacheSize() {
    cache.cleanUp();
    return cache.size();
  }

  /** Drops every cached executable. */
  public void clearCache() {
    cache.invalidateAll();
  }

  /** The configuration. */
  public JitConfig config() {
    return config;
  }

  @Override
  public String toString() {
    return "jit(" + name + ")";
  }
}
