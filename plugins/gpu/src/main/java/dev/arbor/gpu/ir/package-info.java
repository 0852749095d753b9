/**
 * The GPU kernel IR and its two emitters. {@link dev.arbor.gpu.ir.Lowering} turns a fusion
 * cluster's sub-graph or one primitive into a {@link dev.arbor.gpu.ir.LoopKernel}, and a {@code
 * dot_general} into a {@link dev.arbor.gpu.ir.MatmulKernel}; {@link dev.arbor.gpu.ir.PtxEmitter}
 * and {@link dev.arbor.gpu.ir.OpenClEmitter} print them. Plain code generation, no device needed:
 * tested with golden files and {@code ptxas}. See {@code docs/design/gpu.md}.
 */
package dev.arbor.gpu.ir;
