package dev.arbor.tree;

/**
 * One entry of the node-type registry, as {@link Trees#registeredNodeTypes()} lists it.
 *
 * @param type the class the entry is for
 * @param provider the {@code NodeType} implementation's class name, or {@code "@PytreeNode"} for a
 *     scanned annotated class
 * @param source how it arrived
 * @param origin the jar or directory (or {@code "runtime"}) it came from
 */
public record RegisteredNodeType(Class<?> type, String provider, Source source, String origin) {

  /** How a node type arrived. */
  public enum Source {
    /** {@link Trees#register} at run time. */
    RUNTIME,
    /** A {@code META-INF/services/dev.arbor.tree.spi.NodeType} entry or a {@code provides}. */
    SERVICE_LOADER,
    /** A {@code @PytreeNode} class in a jar whose manifest has {@code Arbor-Plugin: true}. */
    SCANNED,
    /** Contributed by a plugin jar loaded at run time ({@code Arbor.loadPlugins}). */
    PLUGIN
  }

  @Override
  public String toString() {
    return type.getName() + " <- " + provider + " (" + source + ", " + origin + ")";
  }
}
