package dev.arbor.internal;

import dev.arbor.plugin.PluginProblems;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads service providers one by one, so that a broken entry (a missing class, a constructor that
 * throws, a class compiled for a newer Java) is reported with the jar that named it and skipped,
 * while the others load (TECH-NOTES: {@code stream()} would abort on the first bad entry).
 */
public final class Services {
  private static final Pattern PROVIDER = Pattern.compile("Provider (\\S+)");

  private Services() {}

  /**
   * The providers of {@code service} visible to {@code loader}; each failure is reported through
   * {@link PluginProblems} as "{@code kind} provider X could not be loaded and was skipped".
   */
  public static <S> List<S> load(Class<S> service, ClassLoader loader, String kind) {
    List<S> out = new ArrayList<>();
    Iterator<S> it = ServiceLoader.load(service, loader).iterator();
    for (int failures = 0; failures < 1000; ) {
      try {
        if (!it.hasNext()) {
          break;
        }
        out.add(it.next());
      } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
        failures++;
        String provider = providerName(e);
        PluginProblems.report(
            serviceSource(loader, service, provider),
            kind
                + " provider "
                + (provider == null ? "" : provider + " ")
                + "could not be loaded and was skipped: "
                + e.getMessage()
                + rootCause(e)
                + advice(e),
            e);
      }
    }
    return out;
  }

  /**
   * What to check: for a class the provider needs but cannot find (typically an optional
   * dependency, such as a backend's jar, that is absent), how to keep the provider loadable without
   * it.
   */
  static String advice(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof NoClassDefFoundError missing) {
        return ". The provider needs class "
            + missing.getMessage()
            + ", which is not present. If it belongs to an optional dependency (a backend's jar"
            + " such as arbor-cpu, or the jdk.incubator.vector module), keep its classes out of"
            + " the provider class and reach them only from code that runs when the dependency"
            + " is present (docs/plugins.md, 'Optional dependencies'); otherwise add the missing"
            + " jar.";
      }
    }
    return ". Check that the class is in the jar, is public, has a public no-arg constructor,"
        + " that the constructor does not throw, and that the jar is compiled for Java "
        + Runtime.version().feature()
        + " or older.";
  }

  /** ", caused by X: message" for the innermost cause, or "" if there is none. */
  public static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? "" : ", caused by " + root;
  }

  /** The provider class named in a {@link ServiceConfigurationError}'s message, or null. */
  public static String providerName(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (t instanceof ServiceConfigurationError && m != null) {
        Matcher matcher = PROVIDER.matcher(m);
        if (matcher.find()) {
          return matcher.group(1);
        }
      }
    }
    return null;
  }

  /** The jar whose service file for {@code service} names {@code provider}, for messages. */
  public static String serviceSource(ClassLoader loader, Class<?> service, String provider) {
    String file = "META-INF/services/" + service.getName();
    if (provider != null) {
      try {
        Enumeration<URL> files = loader.getResources(file);
        while (files.hasMoreElements()) {
          URL url = files.nextElement();
          if (serviceFileNames(url).contains(provider)) {
            Path entry = PluginJars.classPathEntry(url, file);
            return entry == null ? url.toString() : entry.toString();
          }
        }
      } catch (IOException | RuntimeException e) {
        // fall through to the generic source
      }
    }
    return file + (provider == null ? "" : " (" + provider + ")");
  }

  /** The class names a service file lists (comments and blanks removed). */
  public static Set<String> serviceFileNames(URL url) throws IOException {
    Set<String> names = new HashSet<>();
    var connection = url.openConnection();
    connection.setUseCaches(false);
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        int hash = line.indexOf('#');
        String name = (hash >= 0 ? line.substring(0, hash) : line).trim();
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    }
    return names;
  }
}
