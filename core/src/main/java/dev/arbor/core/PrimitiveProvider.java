package dev.arbor.core;

import java.util.List;

/**
 * A plugin's primitives, found by {@link java.util.ServiceLoader} ({@code
 * META-INF/services/dev.arbor.core.PrimitiveProvider}, or {@code provides} in a {@code
 * module-info.java}) so that they are listed by {@code Arbor.describe()} and can be looked up by
 * name ({@link Primitives#get}) as soon as the plugin is loaded, before any of its code runs.
 *
 * <p>The primitives themselves are declared as usual, with {@link Primitive#single} and their rules
 * beside them; the provider only returns them:
 *
 * {@snippet :
 * public final class MyPrimitives implements PrimitiveProvider {
 *   public List<Primitive> primitives() { return List.of(Softplus.PRIMITIVE); }
 * }
 * }
 *
 * <p>A plugin whose primitives are declared but not provided still works: each is listed when its
 * class is initialized. Implementations need a public no-arg constructor.
 */
public interface PrimitiveProvider {
  /** The primitives this plugin declares; never {@code null}. */
  List<Primitive> primitives();
}
