package dev.arbor.agent;

import static net.bytebuddy.matcher.ElementMatchers.hasSuperType;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isAnnotatedWith;
import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/** What the agent and the build-time plugin instrument, in one place so both agree. */
final class ModuleMatchers {
  private ModuleMatchers() {}

  /**
   * Concrete or abstract classes implementing {@code dev.arbor.module.Module}; not interfaces, not
   * synthetic classes, not Arbor's own internal modules (they intercept themselves), not classes
   * already instrumented at build time. Matched by name, so nothing is loaded to decide.
   */
  static final ElementMatcher.Junction<TypeDescription> MODULE_CLASSES =
      not(isInterface())
          .and(not(isSynthetic()))
          .and(not(nameStartsWith("dev.arbor.internal.")))
          .and(not(isAnnotatedWith(named("dev.arbor.instrument.Instrumented"))))
          .and(hasSuperType(named("dev.arbor.module.Module")));

  /** Classes the agent never looks at: ByteBuddy itself and the JDK. */
  static final ElementMatcher.Junction<TypeDescription> IGNORED =
      nameStartsWith("net.bytebuddy.")
          .or(nameStartsWith("java."))
          .or(nameStartsWith("jdk."))
          .or(nameStartsWith("sun."))
          .or(nameStartsWith("com.sun."));

  /** The {@code call(I)} implementations: bridges are skipped (they delegate to the real one). */
  static final ElementMatcher.Junction<MethodDescription> CALL_METHODS =
      named("call")
          .and(takesArguments(1))
          .and(not(isBridge()))
          .and(not(isAbstract()))
          .and(not(isStatic()));

  /** The advice, applied to {@link #CALL_METHODS}. */
  static AsmVisitorWrapper advice() {
    return Advice.to(ModuleCallAdvice.class).on(CALL_METHODS);
  }
}
