package dev.arbor.tree;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field or record component as aux data: part of the tree's structure (compared with {@code
 * equals}, and so part of the jit cache key) rather than a child. Use it for hyper-parameters and
 * configuration. A tensor in aux data compares by identity.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.RECORD_COMPONENT})
public @interface Static {}
