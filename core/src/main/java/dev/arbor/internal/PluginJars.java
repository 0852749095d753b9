package dev.arbor.internal;

import io.github.classgraph.ClassGraph;
import io.github.classgraph.ClassInfo;
import io.github.classgraph.ScanResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Manifest;

/**
 * Finds the jars that opted in to scanning ({@code Arbor-Plugin: true} in their manifest) and scans
 * only those with ClassGraph, so start-up never scans the whole class path.
 */
public final class PluginJars {
  /** The manifest attribute a plugin jar sets to {@code true} to have its classes scanned. */
  public static final String MANIFEST_ATTRIBUTE = "Arbor-Plugin";

  private PluginJars() {}

  /**
   * A class found by {@link #scan}, with the class path entry it came from.
   *
   * @param className the binary class name
   * @param source the jar (or directory) path
   */
  public record Found(String className, String source) {}

  /**
   * The class path entries (jars or directories) visible to {@code loader} whose manifest has
   * {@code Arbor-Plugin: true}, in class path order. Unreadable manifests are reported through
   * {@code onProblem} and skipped.
   */
  public static List<Path> optedIn(ClassLoader loader, ProblemSink onProblem) {
    Set<Path> out = new LinkedHashSet<>();
    Enumeration<URL> manifests;
    try {
      manifests = loader.getResources("META-INF/MANIFEST.MF");
    } catch (IOException e) {
      onProblem.report("class path", "could not list jar manifests", e);
      return List.of();
    }
    while (manifests.hasMoreElements()) {
      URL url = manifests.nextElement();
      try (InputStream in = open(url)) {
        String flag = new Manifest(in).getMainAttributes().getValue(MANIFEST_ATTRIBUTE);
        if (flag != null && flag.trim().equalsIgnoreCase("true")) {
          Path entry = classPathEntry(url, "META-INF/MANIFEST.MF");
          if (entry != null) {
            out.add(entry);
          }
        }
      } catch (IOException | RuntimeException e) {
        onProblem.report(url.toString(), "could not read the manifest; jar skipped", e);
      }
    }
    return List.copyOf(out);
  }

  private static InputStream open(URL url) throws IOException {
    var connection = url.openConnection();
    if (connection instanceof JarURLConnection jar) {
      jar.setUseCaches(false); // don't keep a cached JarFile open behind the class loader's back
    }
    return connection.getInputStream();
  }

  /**
   * The jar or directory that a resource URL (found as {@code resourceName}) belongs to, or {@code
   * null} if the URL is neither a {@code jar:} nor a {@code file:} URL.
   */
  public static Path classPathEntry(URL resource, String resourceName) {
    try {
      String s = resource.toString();
      if (s.startsWith("jar:")) {
        int bang = s.indexOf("!/");
        return Path.of(new URI(s.substring(4, bang)));
      }
      if (s.startsWith("file:") && s.endsWith(resourceName)) {
        return Path.of(new URI(s.substring(0, s.length() - resourceName.length())));
      }
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
    return null;
  }

  /** Where {@code c} was loaded from (a jar or directory), or its class name if unknown. */
  public static String origin(Class<?> c) {
    try {
      var source = c.getProtectionDomain().getCodeSource();
      if (source != null && source.getLocation() != null) {
        return Path.of(source.getLocation().toURI()).toString();
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall through: the class name is the best we have
    }
    return c.getModule().isNamed() ? "module " + c.getModule().getName() : c.getName();
  }

  /**
   * The classes annotated with {@code annotation} (by name) in the given jars, in a stable order.
   * Returns an empty list without starting ClassGraph when {@code entries} is empty.
   */
  public static List<Found> scan(List<Path> entries, String annotation) {
    if (entries.isEmpty()) {
      return List.of();
    }
    Map<String, Found> out = new LinkedHashMap<>();
    try (ScanResult result =
        new ClassGraph()
            .overrideClasspath(entries)
            .enableClassInfo()
            .enableAnnotationInfo()
            .ignoreClassVisibility()
            .scan()) {
      for (ClassInfo info : result.getClassesWithAnnotation(annotation)) {
        String source = String.valueOf(info.getClasspathElementFile());
        out.putIfAbsent(info.getName(), new Found(info.getName(), source));
      }
    }
    return new ArrayList<>(out.values());
  }

  /** Receives the problems met while reading manifests. */
  @FunctionalInterface
  public interface ProblemSink {
    /** Reports one problem. */
    void report(String source, String message, Throwable cause);
  }
}
