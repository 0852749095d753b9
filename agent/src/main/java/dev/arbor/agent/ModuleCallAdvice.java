package dev.arbor.agent;

import dev.arbor.instrument.ModuleCalls;
import net.bytebuddy.asm.Advice;

/**
 * The advice inlined into every instrumented {@code call}. The enter advice returns a token (the
 * pushed frame, or {@code null} when it pushed nothing) and the exit advice reads it back with
 * {@code @Advice.Enter}: a {@code super.call()} or a bridge sees its own module already running and
 * pushes nothing, so a call is never counted twice.
 */
final class ModuleCallAdvice {
  private ModuleCallAdvice() {}

  @Advice.OnMethodEnter
  static Object enter(@Advice.This Object self) {
    return ModuleCalls.enter(self);
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class)
  static void exit(@Advice.Enter Object token, @Advice.Thrown Throwable thrown) {
    ModuleCalls.exit(token, thrown);
  }
}
