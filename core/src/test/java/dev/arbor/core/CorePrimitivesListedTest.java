package dev.arbor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.classgraph.ClassGraph;
import io.github.classgraph.ClassInfo;
import io.github.classgraph.FieldInfo;
import io.github.classgraph.ScanResult;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every core class that declares a primitive is in {@link Primitives#CORE}, so that {@link
 * Primitives#all()} ({@code ./arbor info}) and plugin name clashes see every core primitive before
 * its class is first used ({@code conv_general} and the higher-order primitives were missing).
 */
class CorePrimitivesListedTest {
  @Test
  void everyClassDeclaringAPrimitiveIsLoadedUpFront() {
    Set<String> declaring = new TreeSet<>();
    try (ScanResult scan = new ClassGraph().enableFieldInfo().acceptPackages("dev.arbor").scan()) {
      for (ClassInfo c : scan.getAllClasses()) {
        if (!c.getClasspathElementURI().toString().contains("core/target/classes")) {
          continue; // test classes and other modules
        }
        for (FieldInfo f : c.getDeclaredFieldInfo()) {
          if (f.isStatic() && f.getTypeDescriptor().toString().equals(Primitive.class.getName())) {
            declaring.add(c.getName());
          }
        }
      }
    }
    assertEquals(declaring, new TreeSet<>(Arrays.asList(Primitives.CORE)));
  }
}
