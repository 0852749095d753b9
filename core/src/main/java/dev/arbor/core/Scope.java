package dev.arbor.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A block whose tensors' buffers are released eagerly when it closes, for hot loops that should not
 * wait for the garbage collector: {@code try (var scope = Arbor.scope()) { ... scope.keep(w); }}.
 * Tensors created on this thread inside the block are released at {@code close()} unless kept with
 * {@link #keep}; a kept tensor belongs to the enclosing scope, if any. Using a released tensor
 * fails with an error that names {@code keep}. Scopes are per thread and nest.
 */
public final class Scope implements AutoCloseable {
  private static final ThreadLocal<ArrayDeque<Scope>> OPEN =
      ThreadLocal.withInitial(ArrayDeque::new);

  private final List<ConcreteTensor> tracked = new ArrayList<>();
  private final Set<Object> kept = Collections.newSetFromMap(new IdentityHashMap<>());
  private boolean closed;

  private Scope() {}

  /** Opens a scope on this thread. */
  public static Scope open() {
    Scope s = new Scope();
    OPEN.get().push(s);
    return s;
  }

  /**
   * Runs {@code body} as if no scope were open on this thread: tensors it creates are released only
   * by the garbage collector. For values that outlive the caller's block by design, such as the
   * constants of a graph that {@code jit} caches. Scopes opened inside {@code body} work as usual.
   */
  public static <T> T untracked(Supplier<T> body) {
    ArrayDeque<Scope> saved = OPEN.get();
    OPEN.set(new ArrayDeque<>());
    try {
      return body.get();
    } finally {
      OPEN.set(saved);
    }
  }

  static void track(ConcreteTensor t) {
    ArrayDeque<Scope> open = OPEN.get();
    if (!open.isEmpty()) {
      open.peek().tracked.add(t);
    }
  }

  /**
   * Keeps every concrete tensor among the leaves of {@code tree} (a tensor, a list, …) alive past
   * this scope, and returns {@code tree}.
   */
  public <T> T keep(T tree) {
    TreeWalk.forEachLeaf(
        tree,
        leaf -> {
          if (leaf instanceof ConcreteTensor c) {
            kept.add(c);
          }
        });
    return tree;
  }

  /** Number of tensors this scope will release at close. */
  public int trackedCount() {
    return tracked.size() - kept.size();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ArrayDeque<Scope> open = OPEN.get();
    if (open.peek() != this) {
      throw new IllegalStateException("Arbor scopes must be closed in the order they were opened");
    }
    open.pop();
    Scope outer = open.peek();
    for (ConcreteTensor t : tracked) {
      if (kept.contains(t)) {
        if (outer != null) {
          outer.tracked.add(t);
        }
      } else {
        t.rawBuffer().release();
      }
    }
    tracked.clear();
  }
}
