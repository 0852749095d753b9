package dev.arbor.agent;

import dev.arbor.instrument.Instrumented;
import net.bytebuddy.build.Plugin;
import net.bytebuddy.description.annotation.AnnotationDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;

/**
 * Build-time instrumentation for environments that forbid agents: a ByteBuddy {@link Plugin} for
 * {@code byte-buddy-maven-plugin} (or Gradle's {@code byte-buddy-gradle-plugin}) that inlines the
 * same advice as the agent into every module class and marks it {@link Instrumented}. Setup: {@code
 * docs/agent.md}.
 */
public final class ModulePlugin implements Plugin {
  /** For the build tool. */
  public ModulePlugin() {}

  @Override
  public boolean matches(TypeDescription target) {
    return ModuleMatchers.MODULE_CLASSES.matches(target);
  }

  @Override
  public DynamicType.Builder<?> apply(
      DynamicType.Builder<?> builder,
      TypeDescription typeDescription,
      ClassFileLocator classFileLocator) {
    return builder
        .visit(ModuleMatchers.advice())
        .annotateType(AnnotationDescription.Builder.ofType(Instrumented.class).build());
  }

  @Override
  public void close() {}
}
