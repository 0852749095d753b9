package dev.arbor.transform.jit;

import dev.arbor.backend.Backend;
import dev.arbor.core.AbstractValue;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The jit cache key: the static key, the backend the arguments live on, and each argument's shape
 * and dtype. Built on every call, so equality and hashing are plain loops.
 */
final class Signature {
  final Object statics;
  final Backend backend;
  private final AbstractValue[] avals;
  private final int hash;

  Signature(Object statics, Backend backend, AbstractValue[] avals) {
    this.statics = statics;
    this.backend = backend;
    this.avals = avals;
    this.hash =
        (Objects.hashCode(statics) * 31 + System.identityHashCode(backend)) * 31
            + Arrays.hashCode(avals);
  }

  List<AbstractValue> avals() {
    return List.of(avals);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Signature s
        && s.hash == hash
        && s.backend == backend
        && Arrays.equals(s.avals, avals)
        && Objects.equals(s.statics, statics);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return Arrays.toString(avals)
        + (statics == null ? "" : " static " + statics)
        + " on "
        + backend;
  }
}
