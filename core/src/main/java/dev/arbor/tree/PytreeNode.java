package dev.arbor.tree;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a class as a pytree node whose instance fields are its children.
 *
 * <p>Every non-static, non-transient field (the class's own and its superclasses', superclass
 * fields first, each class in declaration order) is a child, unless it is annotated {@link Static}
 * or its declared type is a primitive, {@code String}, an enum, {@code Class} or a
 * {@code @FunctionalInterface}: those are aux data (part of the structure). A field declared {@code
 * Object} is decided by its run-time value the same way. Unflatten creates the instance through a
 * no-arg constructor (any visibility) and writes the fields, so {@code final} fields are fine.
 *
 * <p>The annotation is inherited by subclasses. Records do not need it: they are nodes anyway. In a
 * jar whose manifest has {@code Arbor-Plugin: true}, annotated classes are also found by a scan and
 * listed by {@link Trees#registeredNodeTypes()}.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface PytreeNode {}
