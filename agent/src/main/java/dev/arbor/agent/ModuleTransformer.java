package dev.arbor.agent;

import dev.arbor.instrument.ModuleCalls;
import java.lang.instrument.Instrumentation;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.utility.JavaModule;

/**
 * The agent's class-file transformer. Kept apart from {@link ArborAgent} so that no ByteBuddy class
 * is initialized before {@code net.bytebuddy.safe} is set.
 */
final class ModuleTransformer {
  private static final System.Logger LOG = System.getLogger("dev.arbor.agent");

  /**
   * Built once: {@code Advice.to} reads and parses the advice class file, which per transformed
   * class made loading 1,000 module classes take over a second (docs/benchmarks.md, Modules).
   */
  private static final AsmVisitorWrapper ADVICE = ModuleMatchers.advice();

  private ModuleTransformer() {}

  static void installOn(Instrumentation inst) {
    // Only declared call methods get advice, so inherited methods need no analysis: with
    // Module's generic default methods, the full method graph was most of the per-class cost.
    ByteBuddy byteBuddy =
        new ByteBuddy()
            .with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE)
            .with(TypeValidation.DISABLED);
    new AgentBuilder.Default(byteBuddy)
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        // The advice is an ASM visitor that changes no member: decorating the class file
        // (instead of rebasing it) skips building a method graph per class.
        .with(AgentBuilder.TypeStrategy.Default.DECORATE)
        .with(new ErrorLog())
        .ignore(ModuleMatchers.IGNORED)
        .type(ModuleMatchers.MODULE_CLASSES)
        .transform((builder, type, loader, module, domain) -> builder.visit(ADVICE))
        .installOn(inst);
  }

  /** Reports a class that could not be instrumented; the program goes on without it. */
  static final class ErrorLog extends AgentBuilder.Listener.Adapter {
    @Override
    public void onError(
        String typeName,
        ClassLoader classLoader,
        JavaModule module,
        boolean loaded,
        Throwable throwable) {
      LOG.log(
          System.Logger.Level.WARNING,
          "Arbor agent: could not instrument "
              + typeName
              + " ("
              + throwable
              + "); its plain call(x) will not update an outer module: use apply(x) there",
          throwable);
    }

    @Override
    public void onTransformation(
        TypeDescription typeDescription,
        ClassLoader classLoader,
        JavaModule module,
        boolean loaded,
        DynamicType dynamicType) {
      LOG.log(System.Logger.Level.DEBUG, () -> "Arbor agent: instrumented " + typeDescription);
      try {
        ModuleCalls.recordInstrumented(typeDescription.getName());
      } catch (LinkageError e) {
        // arbor-core is not visible to the agent: nothing to report to
      }
    }
  }
}
