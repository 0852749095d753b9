package dev.arbor.transform.jit;

/**
 * How {@link Jit} caches and optimizes. Immutable; {@link #defaults()} reads system properties.
 *
 * @param cacheSize executables kept per jitted function, least recently used evicted first ({@code
 *     arbor.jit.cacheSize}, default 256); 0 retraces on every call
 * @param fusion whether to group elementwise chains into {@code fused} equations before compiling
 *     ({@code arbor.jit.fusion}, default true)
 * @param constantFoldLimit the largest equation output, in elements, that constant folding
 *     materializes ({@code arbor.jit.constantFoldLimit}, default 65536)
 */
public record JitConfig(int cacheSize, boolean fusion, long constantFoldLimit) {
  /** Default {@link #cacheSize}. */
  public static final int DEFAULT_CACHE_SIZE = 256;

  /** Default {@link #constantFoldLimit}. */
  public static final long DEFAULT_CONSTANT_FOLD_LIMIT = 1 << 16;

  public JitConfig {
    if (cacheSize < 0) {
      throw new IllegalArgumentException("jit cacheSize must be >= 0, got " + cacheSize);
    }
    if (constantFoldLimit < 0) {
      throw new IllegalArgumentException(
          "jit constantFoldLimit must be >= 0, got " + constantFoldLimit);
    }
  }

  /** The configuration from system properties, with the documented defaults. */
  public static JitConfig defaults() {
    String fusion = System.getProperty("arbor.jit.fusion");
    return new JitConfig(
        Integer.getInteger("arbor.jit.cacheSize", DEFAULT_CACHE_SIZE),
        fusion == null || Boolean.parseBoolean(fusion),
        Long.getLong("arbor.jit.constantFoldLimit", DEFAULT_CONSTANT_FOLD_LIMIT));
  }

  /** A copy with another cache size. */
  public JitConfig withCacheSize(int size) {
    return new JitConfig(size, fusion, constantFoldLimit);
  }

  /** A copy with fusion on or off. */
  public JitConfig withFusion(boolean on) {
    return new JitConfig(cacheSize, on, constantFoldLimit);
  }

  /** A copy with another constant-folding limit (0 folds only empty outputs). */
  public JitConfig withConstantFoldLimit(long elements) {
    return new JitConfig(cacheSize, fusion, elements);
  }
}
