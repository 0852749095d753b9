/**
 * Transformation-aware building blocks on flat lists of tensors: structured control flow ({@link
 * dev.arbor.transform.Control}: cond, switchCase, whileLoop, fori, scan) and user-written
 * differentiation rules and rematerialization ({@link dev.arbor.transform.Custom}). The
 * higher-order primitives they bind ({@code cond}, {@code while}, {@code scan}, {@code
 * custom_jvp_call}, {@code custom_vjp_call}, {@code checkpoint}) are declared here with their
 * rules; see {@code docs/design/control-flow.md}.
 */
package dev.arbor.transform;
