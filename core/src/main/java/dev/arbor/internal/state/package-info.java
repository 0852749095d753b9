/**
 * The module state machinery behind {@code dev.arbor.module} and {@code dev.arbor.instrument}: the
 * per-thread frame stack, rebuilding modules with new state, functional modules. Not exported.
 */
package dev.arbor.internal.state;
