/**
 * Pytrees: flatten nested structures (lists, maps, records, {@code @PytreeNode} classes, modules,
 * registered node types) into leaves and a {@link dev.arbor.tree.TreeDef}, transform the leaves,
 * rebuild. The entry point is {@link dev.arbor.tree.Trees}; {@link dev.arbor.tree.KeyPath} names
 * positions in a tree. Node types for third-party classes are contributed through {@link
 * dev.arbor.tree.spi}.
 *
 * <p>API status: stable. Everything here is immutable or thread-safe.
 */
package dev.arbor.tree;
