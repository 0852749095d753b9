/**
 * Modules: immutable pytrees that are functions, with state declared in {@code call} ({@link
 * dev.arbor.module.State}). Import {@link dev.arbor.module.Module} by its single-type name: a
 * wildcard import clashes with {@code java.lang.Module}. Semantics: {@code shared/STATE.md}; user
 * guide: {@code docs/modules.md}.
 */
package dev.arbor.module;
