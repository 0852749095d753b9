package dev.arbor.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.backend.Kernel;
import dev.arbor.backend.KernelProvider;
import dev.arbor.core.Primitive;
import dev.arbor.plugin.PluginProblem;
import dev.arbor.plugin.PluginProblems;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A provider that needs a class its jar's optional dependency would bring: loading skips it with a
 * message that names the missing class and the rule for optional dependencies.
 */
class ServicesTest {
  /** Stands for a class of an optional dependency (a backend's buffer class, say). */
  public static final class Missing {
    static int value() {
      return 1;
    }
  }

  /** A provider that touches {@link Missing} in its constructor. */
  public static final class NeedsMissing implements KernelProvider {
    private final int value;

    public NeedsMissing() {
      value = Missing.value();
    }

    @Override
    public String backend() {
      return "nowhere" + value;
    }

    @Override
    public Map<Primitive, Kernel> kernels() {
      return Map.of();
    }
  }

  /** Defines {@link NeedsMissing} itself, hides {@link Missing}, and lists the provider. */
  private static final class WithoutTheDependency extends ClassLoader {
    private static final String SERVICE = "META-INF/services/" + KernelProvider.class.getName();

    WithoutTheDependency() {
      super(ServicesTest.class.getClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      synchronized (getClassLoadingLock(name)) {
        if (name.equals(Missing.class.getName())) {
          throw new ClassNotFoundException(name);
        }
        if (!name.equals(NeedsMissing.class.getName())) {
          return super.loadClass(name, resolve);
        }
        Class<?> c = findLoadedClass(name);
        if (c == null) {
          String file = name.replace('.', '/') + ".class";
          try (InputStream in = getParent().getResourceAsStream(file)) {
            byte[] bytes = in.readAllBytes();
            c = defineClass(name, bytes, 0, bytes.length);
          } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
          }
        }
        return c;
      }
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
      if (!name.equals(SERVICE)) {
        return super.getResources(name);
      }
      byte[] text = (NeedsMissing.class.getName() + "\n").getBytes(StandardCharsets.UTF_8);
      URLStreamHandler handler =
          new URLStreamHandler() {
            @Override
            protected URLConnection openConnection(URL u) {
              return new URLConnection(u) {
                @Override
                public void connect() {}

                @Override
                public InputStream getInputStream() {
                  return new ByteArrayInputStream(text);
                }
              };
            }
          };
      @SuppressWarnings("deprecation") // the only way to give a URL its own handler
      URL url = new URL("memory", "", -1, "/" + SERVICE, handler);
      return Collections.enumeration(List.of(url));
    }
  }

  @Test
  void aProviderNeedingAnAbsentOptionalDependencyIsSkippedWithTheRule() {
    int before = PluginProblems.list().size();
    List<KernelProvider> loaded =
        Services.load(KernelProvider.class, new WithoutTheDependency(), "KernelProvider");
    assertTrue(loaded.stream().noneMatch(p -> p.getClass().getName().contains("NeedsMissing")));
    List<PluginProblem> problems = PluginProblems.list();
    String message =
        problems.subList(before, problems.size()).stream()
            .map(PluginProblem::message)
            .filter(m -> m.contains("NeedsMissing"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no problem reported: " + problems));
    assertTrue(
        message.contains("needs class " + Missing.class.getName().replace('.', '/')), message);
    assertTrue(message.contains("optional dependency"), message);
    assertFalse(message.contains("public no-arg constructor"), message);
  }
}
