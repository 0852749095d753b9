/**
 * The service-provider interface for pytree node types: how a third-party type flattens into
 * children and auxiliary data, and how it is rebuilt.
 *
 * <p>Implement {@link dev.arbor.tree.spi.NodeType} and make it known in one of three ways:
 *
 * <ul>
 *   <li>a {@code META-INF/services/dev.arbor.tree.spi.NodeType} file (and {@code provides
 *       dev.arbor.tree.spi.NodeType with ...} in your {@code module-info.java}), found by {@link
 *       java.util.ServiceLoader} the first time a tree is flattened;
 *   <li>{@link dev.arbor.tree.Trees#register(dev.arbor.tree.spi.NodeType)} at run time;
 *   <li>for classes that only need field-by-field flattening, annotate them {@link
 *       dev.arbor.tree.PytreeNode} instead and write no {@code NodeType} at all.
 * </ul>
 *
 * <p>API status: stable SPI. The {@code arbor-guava} plugin is the reference implementation.
 */
package dev.arbor.tree.spi;
