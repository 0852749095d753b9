package dev.arbor.random;

/**
 * A PRNG key. Placeholder until the random package lands on main (only {@link #of} is used by the
 * module system); the full splittable, counter-based key replaces this file.
 */
public final class Key {
  private final long seed;

  private Key(long seed) {
    this.seed = seed;
  }

  /** A key from a seed. */
  public static Key of(long seed) {
    return new Key(seed);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Key k && k.seed == seed;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(seed);
  }

  @Override
  public String toString() {
    return "Key(" + seed + ")";
  }
}
