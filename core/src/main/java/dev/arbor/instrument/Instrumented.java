package dev.arbor.instrument;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Added by the build-time plugin ({@code dev.arbor.agent.ModulePlugin}) to every module class it
 * instruments: the agent skips such classes, and Arbor does not warn about missing instrumentation
 * for them. Not meant to be written by hand.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Instrumented {}
