package dev.arbor.tree;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a type as a pytree leaf, always: the type itself and every class that extends or implements
 * it, even a record or a {@code List}. Arbor's value types ({@code Tensor}, {@code Shape}, {@code
 * DType}, {@code ArraySpec}) carry it. Only a {@link dev.arbor.tree.spi.NodeType} registered for
 * the class or one of its supertypes takes precedence (see {@link Trees}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Leaf {}
