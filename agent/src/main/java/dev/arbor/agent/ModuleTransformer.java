package dev.arbor.agent;

import dev.arbor.instrument.ModuleCalls;
import java.lang.instrument.Instrumentation;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * The agent's class-file transformer. Kept apart from {@link ArborAgent} so that no ByteBuddy class
 * is initialized before {@code net.bytebuddy.safe} is set.
 */
final class ModuleTransformer {
  private static final System.Logger LOG = System.getLogger("dev.arbor.agent");

  private ModuleTransformer() {}

  static void installOn(Instrumentation inst) {
    new AgentBuilder.Default()
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .with(new ErrorLog())
        .ignore(ModuleMatchers.IGNORED)
        .type(ModuleMatchers.MODULE_CLASSES)
        .transform(
            (builder, type, loader, module, domain) -> builder.visit(ModuleMatchers.advice()))
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
