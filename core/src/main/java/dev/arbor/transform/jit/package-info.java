/**
 * {@code jit}: stage a function into a {@link dev.arbor.core.Graph} once per input signature,
 * optimize it (dead code, common subexpressions, constant folding, fusion clusters) and cache the
 * executable the backend compiles from it. Works on flat lists of tensors; the pytree-level entry
 * points in {@code dev.arbor.Arbor} flatten arguments and pass the tree structure and the static
 * (non-tensor) leaves as the static key.
 *
 * <p>The graph passes ({@link dev.arbor.transform.jit.DeadCode}, {@link
 * dev.arbor.transform.jit.CommonSubexpressions}, {@link dev.arbor.transform.jit.ConstantFolding},
 * {@link dev.arbor.transform.jit.Fusion}) are pure functions from graph to graph and can be used on
 * their own; {@link dev.arbor.transform.jit.Fused#FUSED} is the primitive that carries a fusion
 * cluster, which backends compile to one loop. See {@code docs/design/jit.md}.
 */
package dev.arbor.transform.jit;
