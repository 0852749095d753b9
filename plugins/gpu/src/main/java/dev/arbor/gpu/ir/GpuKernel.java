package dev.arbor.gpu.ir;

/**
 * A kernel of the GPU IR: what the {@link OpenClEmitter} and the {@link PtxEmitter} turn into
 * source: {@link LoopKernel} (fused elementwise and broadcast chains, an optional trailing
 * reduction), its tree-reduction form ({@link PartialReduceKernel}, then {@link CombineKernel}) and
 * {@link MatmulKernel} (tiled, batched), {@link ArgReduceKernel} (argmax/argmin: a reduction that
 * carries the index), {@link GatherKernel} (gather and a deterministic scatter_add), {@link
 * ScanKernel} (cumsum), {@link SortKernel} (a stable sort along one axis), {@link ThreefryKernel}
 * (the threefry2x32 hash).
 */
public sealed interface GpuKernel
    permits LoopKernel,
        MatmulKernel,
        PartialReduceKernel,
        CombineKernel,
        ArgReduceKernel,
        GatherKernel,
        ScanKernel,
        SortKernel,
        ThreefryKernel {
  /** The entry point's name in the emitted source. */
  String name();
}
