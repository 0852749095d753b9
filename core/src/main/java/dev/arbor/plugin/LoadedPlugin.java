package dev.arbor.plugin;

import java.nio.file.Path;
import java.util.List;

/**
 * A plugin jar that {@code Arbor.loadPlugins} loaded, and what it registered.
 *
 * @param jar the jar's path
 * @param sha256 the hex SHA-256 of its bytes (the same bytes are never loaded twice)
 * @param requires its {@code Arbor-Requires} manifest value, or {@code null}
 * @param nodeTypes the classes its {@code NodeType}s handle
 * @param annotatedClasses its {@code @PytreeNode} classes (found when {@code Arbor-Plugin: true})
 * @param primitives the names of the primitives it declared
 * @param backends the names of its backends
 * @param kernels its kernels, as {@code backend/primitive}
 */
public record LoadedPlugin(
    Path jar,
    String sha256,
    String requires,
    List<String> nodeTypes,
    List<String> annotatedClasses,
    List<String> primitives,
    List<String> backends,
    List<String> kernels) {
  /** Copies the lists. */
  public LoadedPlugin {
    nodeTypes = List.copyOf(nodeTypes);
    annotatedClasses = List.copyOf(annotatedClasses);
    primitives = List.copyOf(primitives);
    backends = List.copyOf(backends);
    kernels = List.copyOf(kernels);
  }
}
