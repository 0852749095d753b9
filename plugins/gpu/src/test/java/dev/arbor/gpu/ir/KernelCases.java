package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Equation;
import dev.arbor.core.Graph;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Indexing;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Structural;
import dev.arbor.gpu.ir.Op.BinaryFn;
import dev.arbor.gpu.ir.Op.CompareFn;
import dev.arbor.gpu.ir.Op.UnaryFn;
import dev.arbor.transform.jit.Fused;
import dev.arbor.transform.jit.Fusion;
import dev.arbor.transform.jit.Jit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Kernels the emitter tests share: named cases built the way the backends build them (staged
 * functions through jit's optimizer and fusion, eager primitives through {@link Lowering}), plus
 * one "every op" kernel per element type built directly in the IR.
 */
final class KernelCases {
  private KernelCases() {}

  static AbstractValue av(DType t, int... dims) {
    return new AbstractValue(Shape.of(dims), t);
  }

  /** The first fusion cluster of {@code f} staged at {@code in}, as a loop kernel. */
  static LoopKernel cluster(
      String name, Function<List<Tensor>, List<Tensor>> f, List<AbstractValue> in) {
    Graph g = Fusion.cluster(Jit.optimize(Jit.makeGraph(f, in)));
    for (Equation e : g.equations()) {
      if (e.primitive() == Fused.FUSED) {
        return Lowering.loop(name, Fused.graphOf(e));
      }
    }
    throw new AssertionError("no cluster in " + g);
  }

  /** The named cases with golden files, in a stable order. */
  static Map<String, GpuKernel> golden() {
    Map<String, GpuKernel> m = new LinkedHashMap<>();
    m.put(
        "add_f32",
        Lowering.loop(
            "arbor_add_f32",
            Elementwise.ADD,
            Params.EMPTY,
            List.of(av(DType.F32, 1000), av(DType.F32, 1000)),
            List.of(av(DType.F32, 1000))));
    m.put(
        "fused_tanh_bias_f32",
        cluster(
            "arbor_fused_tanh_bias_f32",
            x -> List.of(Ops.add(Ops.tanh(Ops.mul(x.get(0), x.get(0))), x.get(1))),
            List.of(av(DType.F32, 4, 5), av(DType.F32, 5))));
    m.put(
        "fused_exp_rowsum_f32",
        cluster(
            "arbor_fused_exp_rowsum_f32",
            x -> {
              Tensor e = Ops.exp(Ops.mul(x.get(0), x.get(1)));
              return List.of(e, Ops.sum(e, 1));
            },
            List.of(av(DType.F32, 3, 7), av(DType.F32, 3, 7))));
    m.put(
        "fused_sqrt_sum_f64",
        cluster(
            "arbor_fused_sqrt_sum_f64",
            x ->
                List.of(Ops.sum(Ops.add(Ops.mul(x.get(0), x.get(1)), Ops.sqrt(Ops.abs(x.get(0)))))),
            List.of(av(DType.F64, 6, 5), av(DType.F64, 6, 5))));
    m.put(
        "fused_select_convert_f32",
        cluster(
            "arbor_fused_select_convert_f32",
            x ->
                List.of(
                    Ops.where(Elementwise.gt(x.get(0), x.get(1)), x.get(0), Ops.neg(x.get(1))),
                    Ops.astype(Elementwise.lt(x.get(0), x.get(1)), DType.I32)),
            List.of(av(DType.F32, 33), av(DType.F32, 33))));
    m.put(
        "reduce_max_axis0_f32",
        Lowering.loop(
            "arbor_reduce_max_f32",
            Reductions.REDUCE_MAX,
            Params.of("axes", new int[] {0}),
            List.of(av(DType.F32, 6, 4)),
            List.of(av(DType.F32, 4))));
    m.put(
        "transpose_f64",
        Lowering.loop(
            "arbor_transpose_f64",
            Structural.TRANSPOSE,
            Params.of("perm", new int[] {1, 0}),
            List.of(av(DType.F64, 3, 5)),
            List.of(av(DType.F64, 5, 3))));
    LoopKernel fullSum =
        Lowering.loop(
            "arbor_reduce_sum_f32",
            Reductions.REDUCE_SUM,
            Params.of("axes", new int[] {0}),
            List.of(av(DType.F32, 100000)),
            List.of(av(DType.F32)));
    m.put("tree_sum_f32", new PartialReduceKernel(fullSum, PartialReduceKernel.groupsFor(fullSum)));
    LoopKernel rowSum =
        cluster(
            "arbor_fused_sqrt_rowsum_f64",
            x -> {
              Tensor e = Ops.sqrt(Ops.abs(Ops.mul(x.get(0), x.get(1))));
              return List.of(e, Ops.sum(e, 1));
            },
            List.of(av(DType.F64, 4, 5000), av(DType.F64, 4, 5000)));
    m.put(
        "tree_fused_sqrt_rowsum_f64",
        new PartialReduceKernel(rowSum, PartialReduceKernel.groupsFor(rowSum)));
    LoopKernel rowMax =
        Lowering.loop(
            "arbor_reduce_max_f32",
            Reductions.REDUCE_MAX,
            Params.of("axes", new int[] {1}),
            List.of(av(DType.F32, 3000, 2000)),
            List.of(av(DType.F32, 3000)));
    m.put(
        "tree_rowmax_f32", new PartialReduceKernel(rowMax, PartialReduceKernel.groupsFor(rowMax)));
    m.put(
        "combine_sum_f32", new CombineKernel("arbor_combine_sum_f32", Op.ReduceFn.SUM, DType.F32));
    m.put(
        "combine_max_f64", new CombineKernel("arbor_combine_max_f64", Op.ReduceFn.MAX, DType.F64));
    m.put(
        "fused_exp_tanh_sin_f64",
        cluster(
            "arbor_fused_exp_tanh_sin_f64",
            x -> List.of(Ops.add(Ops.exp(x.get(0)), Ops.tanh(Ops.sin(x.get(1))))),
            List.of(av(DType.F64, 33), av(DType.F64, 33))));
    m.put(
        "log1p_f32",
        Lowering.loop(
            "arbor_log1p_f32",
            Elementwise.LOG1P,
            Params.EMPTY,
            List.of(av(DType.F32, 100)),
            List.of(av(DType.F32, 100))));
    m.put(
        "pow_f64",
        Lowering.loop(
            "arbor_pow_f64",
            Elementwise.POW,
            Params.EMPTY,
            List.of(av(DType.F64, 100), av(DType.F64, 100)),
            List.of(av(DType.F64, 100))));
    m.put(
        "rem_f32",
        Lowering.loop(
            "arbor_rem_f32",
            Elementwise.REM,
            Params.EMPTY,
            List.of(av(DType.F32, 100), av(DType.F32, 100)),
            List.of(av(DType.F32, 100))));
    m.put(
        "atan2_f64",
        Lowering.loop(
            "arbor_atan2_f64",
            Elementwise.ATAN2,
            Params.EMPTY,
            List.of(av(DType.F64, 100), av(DType.F64, 100)),
            List.of(av(DType.F64, 100))));
    // Layout primitives: index arithmetic, guarded loads (see PtxLayoutTest for their runs).
    m.put(
        "slice_f32",
        Lowering.loop(
            "arbor_slice_f32",
            Indexing.SLICE,
            Params.of(
                "start", new int[] {1, 2}, "limit", new int[] {4, 7}, "strides", new int[] {1, 2}),
            List.of(av(DType.F32, 5, 7)),
            List.of(av(DType.F32, 3, 3))));
    m.put(
        "pad_interior_f64",
        Lowering.loop(
            "arbor_pad_f64",
            Indexing.PAD,
            Params.of(
                "low", new int[] {1, 0}, "high", new int[] {2, 3}, "interior", new int[] {0, 1}),
            List.of(av(DType.F64, 3, 5), av(DType.F64)),
            List.of(av(DType.F64, 6, 12))));
    // conv_general's im2col: guarded reads over [N, OH, OW, KH, KW, C] (see PtxConvTest).
    m.put(
        "im2col_f32",
        Lowering.im2col(
            "arbor_im2col_f32",
            Params.of("strides", new int[] {2, 2}, "padding", new int[] {2, 1, -1, 3}),
            av(DType.F32, 2, 13, 13, 3),
            av(DType.F32, 5, 3, 3, 4),
            av(DType.F32, 2, 6, 7, 4)));
    m.put(
        "concatenate_bool",
        Lowering.loop(
            "arbor_concatenate_bool",
            Indexing.CONCATENATE,
            Params.of("axis", 1),
            List.of(av(DType.BOOL, 3, 2), av(DType.BOOL, 3, 0), av(DType.BOOL, 3, 4)),
            List.of(av(DType.BOOL, 3, 6))));
    m.put(
        "iota_f32",
        Lowering.loop(
            "arbor_iota_f32",
            Generators.IOTA,
            Params.of("dtype", DType.F32, "shape", new int[] {3, 4}, "dimension", 1),
            List.of(),
            List.of(av(DType.F32, 3, 4))));
    m.put(
        "dynamic_slice_i32",
        Lowering.loop(
            "arbor_dynamic_slice_i32",
            Indexing.DYNAMIC_SLICE,
            Params.of("sizes", new int[] {2, 4}),
            List.of(av(DType.I32, 5, 9), av(DType.I64), av(DType.I32)),
            List.of(av(DType.I32, 2, 4))));
    m.put(
        "dynamic_update_slice_i64",
        Lowering.loop(
            "arbor_dynamic_update_slice_i64",
            Indexing.DYNAMIC_UPDATE_SLICE,
            Params.EMPTY,
            List.of(av(DType.I64, 5, 9), av(DType.I64, 2, 4), av(DType.I32), av(DType.I64)),
            List.of(av(DType.I64, 5, 9))));
    m.put("matmul_f32", new MatmulKernel("arbor_matmul_f32", DType.F32));
    m.put("matmul_f64", new MatmulKernel("arbor_matmul_f64", DType.F64));
    for (var shift :
        List.of(
            Map.entry("shift_left_i32", DType.I32),
            Map.entry("shift_right_logical_i64", DType.I64))) {
      DType t = shift.getValue();
      String name = shift.getKey();
      m.put(
          name,
          Lowering.loop(
              "arbor_" + name,
              name.startsWith("shift_left")
                  ? Elementwise.SHIFT_LEFT
                  : Elementwise.SHIFT_RIGHT_LOGICAL,
              Params.EMPTY,
              List.of(av(t, 100), av(t, 100)),
              List.of(av(t, 100))));
    }
    m.put(
        "erf_inv_f32",
        Lowering.loop(
            "arbor_erf_inv_f32",
            Elementwise.ERF_INV,
            Params.EMPTY,
            List.of(av(DType.F32, 100)),
            List.of(av(DType.F32, 100))));
    m.put(
        "argmax_f32_i32", new ArgReduceKernel("arbor_argmax_f32_i32", DType.F32, DType.I32, true));
    m.put(
        "argmin_i64_i64", new ArgReduceKernel("arbor_argmin_i64_i64", DType.I64, DType.I64, false));
    m.put("gather_f32_i32", new GatherKernel("arbor_gather_f32_i32", DType.F32, DType.I32, false));
    m.put(
        "scatter_add_f64_i64",
        new GatherKernel("arbor_scatter_add_f64_i64", DType.F64, DType.I64, true));
    m.put("cumsum_f32", new ScanKernel("arbor_cumsum_f32", DType.F32, false));
    m.put("cumsum_reverse_i64", new ScanKernel("arbor_cumsum_reverse_i64", DType.I64, true));
    m.put("threefry2x32", new ThreefryKernel("arbor_threefry2x32"));
    m.put(
        "sort_f32_i32_f64_bool",
        new SortKernel(
            "arbor_sort_f32_i32_f64_bool", List.of(DType.F32, DType.I32, DType.F64, DType.BOOL)));
    m.put("sort_i64", new SortKernel("arbor_sort_i64", List.of(DType.I64)));
    m.put("sort_bool_64", new SortKernel("arbor_sort_bool", List.of(DType.BOOL)).line(64));
    for (SortKernel.Phase phase :
        List.of(
            SortKernel.Phase.BLOCKS,
            SortKernel.Phase.STEP,
            SortKernel.Phase.MERGE,
            SortKernel.Phase.GATHER)) {
      SortKernel k =
          new SortKernel("arbor_sort_f64_i32", List.of(DType.F64, DType.I32)).phase(phase);
      m.put(k.name().substring("arbor_".length()), k);
    }
    return m;
  }

  /**
   * Pass 1 of a tree reduction with {@code fn} into {@code t} over a {@code [3, 5000]} loop (the
   * value reduced is a load of type {@code t}, or a comparison for BOOL), and its combine kernel.
   */
  static List<GpuKernel> tree(Op.ReduceFn fn, DType t) {
    DType in = t == DType.BOOL ? DType.F32 : t;
    List<Op> body = new ArrayList<>();
    body.add(new Op.Load(in, 0, new int[0]));
    if (t == DType.BOOL) {
      body.add(new Op.Compare(CompareFn.GT, in, 0, 0));
    }
    LoopKernel k =
        new LoopKernel(
            "tree_" + fn.name().toLowerCase(java.util.Locale.ROOT) + "_" + t.shortName(),
            new int[] {3, 5000},
            new int[] {1},
            List.of(in),
            body,
            List.of(),
            new LoopKernel.Reduction(fn, body.size() - 1, t));
    PartialReduceKernel p = new PartialReduceKernel(k, 3);
    return List.of(p, CombineKernel.of(p));
  }

  /** Every op the IR has, applied to value 0 and value 1 (both of type {@code t}). */
  static List<Op> allOps(DType t) {
    List<Op> ops = new ArrayList<>();
    for (UnaryFn f : UnaryFn.values()) {
      ops.add(new Op.Unary(t, f, 0));
    }
    for (BinaryFn f : BinaryFn.values()) {
      ops.add(new Op.Binary(t, f, 0, 1));
    }
    for (CompareFn f : CompareFn.values()) {
      ops.add(new Op.Compare(f, t, 0, 1));
    }
    for (DType to : DType.values()) {
      ops.add(new Op.Convert(to, t, 0));
    }
    ops.add(new Op.Select(t, 2, 0, 1)); // value 2 is a BOOL comparison, see kernel()
    return ops;
  }

  /**
   * A loop over {@code [7, 9]} that loads two inputs of type {@code t} (the second broadcast along
   * axis 0), computes {@code ops} on them, stores each result and sums the last over axis 1.
   */
  static LoopKernel kernel(String name, DType t, List<Op> ops) {
    List<Op> body = new ArrayList<>();
    body.add(new Op.Load(t, 0, new int[0]));
    body.add(new Op.Load(t, 1, new int[] {0, 1}));
    body.add(new Op.Compare(CompareFn.LT, t, 0, 1));
    body.addAll(ops);
    List<Integer> stores = new ArrayList<>();
    for (int v = 2; v < body.size(); v++) {
      stores.add(v);
    }
    Op last = body.get(body.size() - 1);
    DType acc = last.type() == DType.BOOL ? DType.I32 : last.type();
    return new LoopKernel(
        name,
        new int[] {7, 9},
        new int[] {1},
        List.of(t, t),
        body,
        stores,
        new LoopKernel.Reduction(Op.ReduceFn.SUM, body.size() - 1, acc));
  }

  /** The ops of {@link #allOps} that {@code emitter} accepts, each tried alone. */
  static List<Op> supported(DType t, Function<GpuKernel, String> emitter) {
    List<Op> ok = new ArrayList<>();
    for (Op op : allOps(t)) {
      try {
        emitter.apply(kernel("probe", t, List.of(op)));
        ok.add(op);
      } catch (UnsupportedKernelException e) {
        // not supported by this emitter for this type: reported by the caller
      }
    }
    return ok;
  }
}
