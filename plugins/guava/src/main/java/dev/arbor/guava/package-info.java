/**
 * Pytree node types for Guava's immutable collections: the model plugin.
 *
 * <ul>
 *   <li>{@code ImmutableList} (and every subclass): children in list order.
 *   <li>{@code ImmutableMap} (and subclasses such as {@code ImmutableBiMap}): children in the map's
 *       insertion order; the keys are the aux data.
 *   <li>{@code ImmutableSortedMap}: children in key order; the keys and the comparator are the aux
 *       data.
 * </ul>
 *
 * <p>Not nodes (so leaves): {@code ImmutableSet} and other sets, because a set cannot keep its
 * structure through a map (two leaves mapped to equal values would merge) and has no names for its
 * elements; and {@code ImmutableMultimap}. Use a list or a map in trees instead.
 *
 * <p>Guava collections cannot hold {@code null}: a node rebuilt with a {@code null} child (a hole
 * from {@code Trees.partition}) becomes an unmodifiable {@code java.util} list or map with the same
 * order instead, and stays that after {@code Trees.combine}.
 *
 * <p>All node types here are stateless and thread-safe.
 */
package dev.arbor.guava;
