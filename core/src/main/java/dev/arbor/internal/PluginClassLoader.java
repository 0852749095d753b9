package dev.arbor.internal;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * The class loader of one plugin jar loaded at run time ({@code Arbor.loadPlugins}): a child of
 * Arbor's own loader, so the plugin sees Arbor and its dependencies, and Arbor sees the plugin only
 * through what the plugin registered.
 */
public final class PluginClassLoader extends URLClassLoader {
  static {
    registerAsParallelCapable();
  }

  private final Path jar;

  /** A loader for {@code jar} whose parent is {@code parent}. */
  public PluginClassLoader(Path jar, URL url, ClassLoader parent) {
    super("arbor-plugin:" + jar.getFileName(), new URL[] {url}, parent);
    this.jar = jar;
  }

  /** The jar this loader reads. */
  public Path jar() {
    return jar;
  }
}
