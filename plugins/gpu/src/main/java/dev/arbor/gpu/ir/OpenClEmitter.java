package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Emits OpenCL C 1.2 for the GPU IR: plain text generation, one {@code __kernel} per program.
 * Numerics follow the reference backend where OpenCL allows: {@code max}/{@code min} propagate NaN
 * (as {@link Math#max} does), float-to-integer conversion truncates and saturates like Java's
 * {@code (long)} cast, and {@code round} is round-half-even ({@link Math#rint}).
 */
public final class OpenClEmitter {
  private OpenClEmitter() {}

  /** The program text for {@code k}. */
  public static String emit(GpuKernel k) {
    return emit(k, false);
  }

  /**
   * The program text for {@code k}; with {@code arborMath}, F64 transcendentals and {@code
   * log1p}/{@code expm1}/{@code pow}/{@code atan2}/{@code rem} in both float types are computed by
   * {@link DoubleMath} — the very operations the PTX emitter writes, one C statement each, with
   * contraction off — instead of the driver's math library. The backend uses the driver's math;
   * this form runs {@code DoubleMath} on a real OpenCL device in the tests.
   */
  public static String emit(GpuKernel k, boolean arborMath) {
    return switch (k) {
      case LoopKernel l -> loop(l, arborMath);
      case MatmulKernel m -> matmul(m);
      case PartialReduceKernel p -> partial(p, arborMath);
      case CombineKernel c -> combine(c);
      case ArgReduceKernel a -> argReduce(a);
      case GatherKernel g -> gather(g);
      case ScanKernel c -> scan(c);
      case SortKernel o -> sort(o);
      case ThreefryKernel t -> threefry(t);
    };
  }

  // ------------------------------------------------------------------ threefry2x32

  private static String threefry(ThreefryKernel k) {
    StringBuilder s = new StringBuilder(header(false));
    s.append("__kernel void ").append(k.name()).append("(");
    for (String in : new String[] {"k0", "k1", "x0", "x1"}) {
      s.append("__global const uint* restrict ").append(in).append(", ");
    }
    s.append("__global uint* restrict y0, __global uint* restrict y1, const int n) {\n");
    s.append("  const int i = get_global_id(0);\n");
    s.append("  if (i >= n) return;\n");
    s.append("  const uint ks0 = k0[i];\n");
    s.append("  const uint ks1 = k1[i];\n");
    s.append("  const uint ks2 = ks0 ^ ks1 ^ ").append(ThreefryKernel.PARITY).append("u;\n");
    s.append("  uint a = x0[i] + ks0;\n");
    s.append("  uint b = x1[i] + ks1;\n");
    for (int block = 0; block < 5; block++) {
      for (int r = 0; r < 4; r++) {
        int rot = ThreefryKernel.ROTATIONS[(block % 2) * 4 + r];
        s.append("  a += b; b = (b << ").append(rot).append(") | (b >> ").append(32 - rot);
        s.append("); b ^= a;\n");
      }
      s.append("  a += ks").append((block + 1) % 3).append(";\n");
      s.append("  b += ks").append((block + 2) % 3).append(" + ").append(block + 1).append("u;\n");
    }
    s.append("  y0[i] = a;\n");
    s.append("  y1[i] = b;\n");
    s.append("}\n");
    return s.toString();
  }

  // ------------------------------------------------------------------ cumsum

  private static String scan(ScanKernel k) {
    DType t = k.type();
    boolean fl = t.isFloating();
    String ty = type(t);
    StringBuilder s = new StringBuilder(header(fl)); // floats accumulate in double
    s.append("__kernel void ").append(k.name()).append("(__global const ").append(ty);
    s.append("* restrict in, __global ").append(ty).append("* restrict out,");
    s.append(" const int lines, const int n, const int inner) {\n");
    s.append("  const int gid = get_global_id(0);\n");
    s.append("  if (gid >= lines) return;\n");
    s.append("  const int base = (gid / inner) * n * inner + gid % inner;\n");
    s.append("  ").append(fl ? "double" : ty).append(" acc = 0;\n");
    s.append("  for (int j = 0; j < n; j++) {\n");
    s.append("    const int k = base + ").append(k.reverse() ? "(n - 1 - j)" : "j");
    s.append(" * inner;\n");
    s.append("    acc = acc + ").append(fl ? "(double)" : "").append("in[k];\n");
    s.append("    out[k] = ").append(fl ? "(" + ty + ")" : "").append("acc;\n");
    s.append("  }\n");
    s.append("}\n");
    return s.toString();
  }

  // ------------------------------------------------------------------ sort

  /** The integer type holding an element of {@code t} as raw bits. */
  private static String bitsType(DType t) {
    return switch (t.byteSize()) {
      case 1 -> "uchar";
      case 4 -> "int";
      default -> "long";
    };
  }

  /** See {@link SortKernel}: a bitonic network over (key, position) pairs. */
  private static String sort(SortKernel k) {
    int m = k.types().size();
    int group = k.group();
    int block = k.capacity(); // LINE: the longest padded line; else the block of the passes
    String kt = k.wideKeys() ? "long" : "int";
    StringBuilder s = new StringBuilder(header(false));
    if (k.phase() != SortKernel.Phase.STEP && k.phase() != SortKernel.Phase.GATHER) {
      s.append("__kernel __attribute__((reqd_work_group_size(").append(group);
      s.append(", 1, 1)))\n");
    } else {
      s.append("__kernel ");
    }
    s.append("void ").append(k.name()).append("(");
    List<String> params = new ArrayList<>();
    boolean operands = k.phase() == SortKernel.Phase.LINE || k.phase() == SortKernel.Phase.GATHER;
    if (operands || k.phase() == SortKernel.Phase.BLOCKS) {
      int ins = k.phase() == SortKernel.Phase.BLOCKS ? 1 : m;
      for (int o = 0; o < ins; o++) {
        params.add("__global const " + bitsType(k.types().get(o)) + "* restrict in" + o);
      }
    }
    if (operands) {
      for (int o = 0; o < m; o++) {
        params.add("__global " + bitsType(k.types().get(o)) + "* restrict out" + o);
      }
    }
    if (k.phase() == SortKernel.Phase.GATHER) {
      params.add("__global const int* restrict gpos");
    } else if (k.phase() != SortKernel.Phase.LINE) {
      params.add("__global " + kt + "* restrict gkey");
      params.add("__global int* restrict gpos");
    }
    switch (k.phase()) {
      case LINE, BLOCKS -> params.addAll(List.of("const int n", "const int inner", "const int p"));
      case STEP ->
          params.addAll(
              List.of("const int p", "const int size", "const int stride", "const int pairs"));
      case MERGE -> params.addAll(List.of("const int p", "const int size"));
      case GATHER ->
          params.addAll(
              List.of("const int n", "const int inner", "const int p", "const int total"));
    }
    s.append(String.join(", ", params)).append(") {\n");
    switch (k.phase()) {
      case STEP -> {
        // one compare-exchange of the network, in global memory
        s.append("  const int gid = get_global_id(0);\n");
        s.append("  if (gid >= pairs) return;\n");
        s.append("  const int line = gid / (p >> 1);\n");
        s.append("  const int t = gid % (p >> 1);\n");
        s.append("  const int i = 2 * t - (t & (stride - 1));\n");
        s.append("  __global ").append(kt).append("* key = gkey + line * p;\n");
        s.append("  __global int* pos = gpos + line * p;\n");
        compareExchange(s, "  ", kt, "i");
        s.append("}\n");
        return s.toString();
      }
      case GATHER -> {
        s.append("  const int gid = get_global_id(0);\n");
        s.append("  if (gid >= total) return;\n");
        s.append("  const int line = gid / n;\n");
        s.append("  const int j = gid % n;\n");
        s.append("  const int base = (line / inner) * n * inner + line % inner;\n");
        s.append("  const int from = base + gpos[line * p + j] * inner;\n");
        s.append("  const int to = base + j * inner;\n");
        for (int o = 0; o < m; o++) {
          s.append("  out").append(o).append("[to] = in").append(o).append("[from];\n");
        }
        s.append("}\n");
        return s.toString();
      }
      default -> {}
    }
    s.append("  __local ").append(kt).append(" key[").append(block).append("];\n");
    s.append("  __local int pos[").append(block).append("];\n");
    s.append("  const int lid = get_local_id(0);\n");
    String count;
    String offset;
    if (k.phase() == SortKernel.Phase.LINE) {
      s.append("  const int line = get_group_id(0);\n");
      s.append("  const int base = (line / inner) * n * inner + line % inner;\n");
      count = "p";
      offset = "0";
    } else {
      // group g: block g % (p / B) of line g / (p / B); off = the block's first position
      s.append("  const int blocks = p / ").append(block).append(";\n");
      s.append("  const int line = get_group_id(0) / blocks;\n");
      s.append("  const int off = (get_group_id(0) % blocks) * ").append(block).append(";\n");
      count = Integer.toString(block);
      offset = "off";
    }
    s.append("  for (int j = lid; j < ").append(count).append("; j += ").append(group);
    s.append(") {\n");
    if (k.phase() == SortKernel.Phase.MERGE) {
      s.append("    key[j] = gkey[line * p + off + j];\n");
      s.append("    pos[j] = gpos[line * p + off + j];\n");
    } else {
      if (k.phase() == SortKernel.Phase.BLOCKS) {
        s.append("    const int base = (line / inner) * n * inner + line % inner;\n");
      }
      String at = k.phase() == SortKernel.Phase.LINE ? "j" : "off + j";
      s.append("    key[j] = ").append(mappedKey(k, at)).append(";\n");
      s.append("    pos[j] = ").append(at).append(";\n");
    }
    s.append("  }\n");
    s.append("  barrier(CLK_LOCAL_MEM_FENCE);\n");
    // the network's stages (LINE: all; BLOCKS: up to B; MERGE: one, strides below B)
    String first = k.phase() == SortKernel.Phase.MERGE ? "size" : "2";
    String last = k.phase() == SortKernel.Phase.MERGE ? "size" : count;
    s.append("  for (int sz = ").append(first).append("; sz <= ").append(last);
    s.append("; sz <<= 1) {\n");
    s.append("    for (int stride = min(sz, ").append(count).append(") >> 1; stride > 0;");
    s.append(" stride >>= 1) {\n");
    s.append("      for (int t = lid; t < (").append(count).append(" >> 1); t += ").append(group);
    s.append(") {\n");
    s.append("        const int i = 2 * t - (t & (stride - 1));\n");
    s.append("        const int size = sz;\n");
    compareExchange(s, "        ", kt, offset.equals("0") ? "i" : "off + i");
    s.append("      }\n");
    s.append("      barrier(CLK_LOCAL_MEM_FENCE);\n");
    s.append("    }\n");
    s.append("  }\n");
    if (k.phase() == SortKernel.Phase.LINE) {
      // every operand through the permutation
      s.append("  for (int j = lid; j < n; j += ").append(group).append(") {\n");
      s.append("    const int from = base + pos[j] * inner;\n");
      s.append("    const int to = base + j * inner;\n");
      for (int o = 0; o < m; o++) {
        s.append("    out").append(o).append("[to] = in").append(o).append("[from];\n");
      }
      s.append("  }\n");
    } else {
      s.append("  for (int j = lid; j < ").append(block).append("; j += ").append(group);
      s.append(") {\n");
      s.append("    gkey[line * p + off + j] = key[j];\n");
      s.append("    gpos[line * p + off + j] = pos[j];\n");
      s.append("  }\n");
    }
    s.append("}\n");
    return s.toString();
  }

  /**
   * The key of position {@code at} of the line at {@code base} as an order-preserving signed
   * integer; {@code (MAX)} past {@code n} (the padding).
   */
  private static String mappedKey(SortKernel k, String at) {
    String x = "in0[base + (" + at + ") * inner]";
    String max = k.wideKeys() ? "0x7FFFFFFFFFFFFFFFL" : "0x7FFFFFFF";
    String key =
        switch (k.keys()) {
          // negative floats: all bits but the sign flipped; every NaN: MAX
          case F32 ->
              "("
                  + x
                  + " & 0x7FFFFFFF) > 0x7F800000 ? "
                  + max
                  + " : "
                  + x
                  + " < 0 ? "
                  + x
                  + " ^ 0x7FFFFFFF : "
                  + x;
          case F64 ->
              "("
                  + x
                  + " & 0x7FFFFFFFFFFFFFFFL) > 0x7FF0000000000000L ? "
                  + max
                  + " : "
                  + x
                  + " < 0 ? "
                  + x
                  + " ^ 0x7FFFFFFFFFFFFFFFL : "
                  + x;
          default -> "(" + (k.wideKeys() ? "long" : "int") + ")" + x;
        };
    return "(" + at + ") < n ? (" + key + ") : " + max;
  }

  /**
   * Compare-exchanges {@code key/pos[i]} and {@code [i + stride]} of the network's stage {@code
   * size}: ascending unless bit {@code size} of the position {@code dir} in the line is set. Pairs
   * compare by key, then position (all distinct: the stable order).
   */
  private static void compareExchange(StringBuilder s, String in, String kt, String dir) {
    s.append(in).append("const int l = i + stride;\n");
    s.append(in).append("const ").append(kt).append(" ka = key[i];\n");
    s.append(in).append("const ").append(kt).append(" kb = key[l];\n");
    s.append(in).append("const int ia = pos[i];\n");
    s.append(in).append("const int ib = pos[l];\n");
    s.append(in).append("const int after = ka > kb || (ka == kb && ia > ib);\n");
    s.append(in).append("const int descending = ((").append(dir).append(") & size) != 0;\n");
    s.append(in).append("if (after != descending) {\n");
    s.append(in).append("  key[i] = kb;\n");
    s.append(in).append("  key[l] = ka;\n");
    s.append(in).append("  pos[i] = ib;\n");
    s.append(in).append("  pos[l] = ia;\n");
    s.append(in).append("}\n");
  }

  // ------------------------------------------------------------------ gather / scatter_add

  private static String gather(GatherKernel k) {
    String t = type(k.type());
    String it = type(k.index());
    StringBuilder s = new StringBuilder(header(k.type() == DType.F64));
    s.append("__kernel void ").append(k.name()).append("(__global const ").append(t);
    s.append("* restrict x, __global const ").append(it).append("* restrict idx, ");
    if (k.scatter()) {
      s.append("__global const ").append(t).append("* restrict u, ");
    }
    s.append("__global ").append(t).append("* restrict out, const int n, const int p1,");
    s.append(" const int ni, const int p2, const int len, const int parts) {\n");
    s.append("  const int gid = get_global_id(0);\n");
    s.append("  if (gid >= n) return;\n");
    String col = "gid";
    if (k.scatter()) {
      // item part·columns + col: a work group shares its part
      s.append("  const int cols = n / parts;\n");
      s.append("  const int part = gid / cols;\n");
      s.append("  const int col = gid % cols;\n");
      col = "col";
    }
    s.append("  const int c2 = ").append(col).append(" % p2;\n");
    s.append("  int t = ").append(col).append(" / p2;\n");
    if (!k.scatter()) {
      s.append("  const int i = t % ni;\n");
      s.append("  t /= ni;\n");
    }
    s.append("  const int c1 = t % p1;\n");
    s.append("  const int b = t / p1;\n");
    String clamp =
        "(int)clamp(idx[b * ni + i], (" + it + ")0, (" + it + ")(len - 1))"; // reference: clamped
    if (!k.scatter()) {
      s.append("  const int c = ").append(clamp).append(";\n");
      s.append("  out[gid] = x[((b * p1 + c1) * len + c) * p2 + c2];\n");
    } else {
      // Item (column (b, c1, c2), part) owns the rows r with r % parts == part: copy them, then
      // add the updates that land there in the reference's order.
      s.append("  const int base = (b * p1 + c1) * len * p2 + c2;\n");
      s.append("  for (int j = part; j < len; j += parts) {\n");
      s.append("    out[base + j * p2] = x[base + j * p2];\n");
      s.append("  }\n");
      s.append("  const int ubase = (b * p1 + c1) * ni * p2 + c2;\n");
      s.append("  for (int i = 0; i < ni; i++) {\n");
      s.append("    const int c = ").append(clamp).append(";\n");
      s.append("    if ((c & (parts - 1)) == part) {\n");
      s.append("      const int d = base + c * p2;\n");
      s.append("      out[d] = out[d] + u[ubase + i * p2];\n");
      s.append("    }\n");
      s.append("  }\n");
    }
    s.append("}\n");
    return s.toString();
  }

  // ------------------------------------------------------------------ argmax / argmin

  private static String argReduce(ArgReduceKernel k) {
    String t = type(k.type());
    StringBuilder s = new StringBuilder(header(k.type() == DType.F64));
    s.append("__kernel void ").append(k.name()).append("(__global const ").append(t);
    s.append("* restrict in, __global ").append(type(k.index())).append("* restrict out,");
    s.append(" const int n, const int len, const int inner) {\n");
    s.append("  const int gid = get_global_id(0);\n");
    s.append("  if (gid >= n) return;\n");
    s.append("  const int base = (gid / inner) * len * inner + gid % inner;\n");
    s.append("  ").append(t).append(" b = in[base];\n");
    s.append("  int best = 0;\n");
    s.append("  for (int j = 1; j < len; j++) {\n");
    s.append("    const ").append(t).append(" c = in[base + j * inner];\n");
    String better = "c " + (k.max() ? ">" : "<") + " b";
    if (k.type().isFloating()) {
      // as the reference: the best so far is kept once NaN; a NaN candidate replaces a number
      better = "!isnan(b) && (isnan(c) || " + better + ")";
    }
    s.append("    if (").append(better).append(") {\n");
    s.append("      b = c;\n");
    s.append("      best = j;\n");
    s.append("    }\n");
    s.append("  }\n");
    s.append("  out[gid] = (").append(type(k.index())).append(")best;\n");
    s.append("}\n");
    return s.toString();
  }

  static String type(DType t) {
    return switch (t) {
      case F32 -> "float";
      case F64 -> "double";
      case I32 -> "int";
      case I64 -> "long";
      case BOOL -> "uchar";
    };
  }

  private static String header(boolean f64) {
    return "// Generated by Arbor's OpenClEmitter.\n"
        + (f64 ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" : "");
  }

  // ------------------------------------------------------------------ loops

  private static boolean usesF64(LoopKernel k) {
    boolean f64 = k.inputs().contains(DType.F64);
    for (Op op : k.body()) {
      f64 |= op.type() == DType.F64 || isErfInv(op);
    }
    return f64;
  }

  /** {@code __kernel void NAME(inputs, outputs, const int n) {}} up to the opening brace. */
  private static void signature(StringBuilder s, LoopKernel k) {
    s.append("void ").append(k.name()).append("(");
    List<DType> in = k.inputs();
    for (int i = 0; i < in.size(); i++) {
      s.append("__global const ").append(type(in.get(i))).append("* restrict in").append(i);
      s.append(", ");
    }
    List<DType> out = k.outputs();
    for (int o = 0; o < out.size(); o++) {
      s.append("__global ").append(type(out.get(o))).append("* restrict out").append(o);
      s.append(", ");
    }
    s.append("const int n) {\n");
  }

  private static String loop(LoopKernel k, boolean arborMath) {
    StringBuilder s = new StringBuilder(header(usesF64(k) || arborMath));
    if (arborMath) {
      s.append("#pragma OPENCL FP_CONTRACT OFF\n");
    }
    s.append("__kernel ");
    signature(s, k);
    s.append("  const int gid = get_global_id(0);\n");
    s.append("  if (gid >= n) return;\n");
    int[] dom = k.domain();
    String indent = "  ";
    LoopKernel.Reduction r = k.reduction();
    if (r != null) {
      coordinates(s, indent, "gid", dom, d -> !k.isReduced(d));
      s.append(indent)
          .append(type(r.type()))
          .append(" acc = ")
          .append(identity(r.fn(), r.type()))
          .append(";\n");
      s.append(indent)
          .append("for (int j = 0; j < ")
          .append(k.reductionLength())
          .append("; j++) {\n");
      reducedPoint(s, k, arborMath);
      s.append("  }\n");
      s.append("  out").append(k.stores().size()).append("[gid] = acc;\n");
    } else if (k.pointsPerItem() == 1) {
      s.append(indent).append("const int i = gid;\n");
      if (k.needsCoordinates()) {
        coordinates(s, indent, "gid", dom, d -> true);
      }
      body(s, indent, k, arborMath);
    } else {
      // Points gid, gid + T, ... (T work items): the same points per item as the PTX kernel.
      String in = "    ";
      s.append("  for (int p = 0; p < ").append(k.pointsPerItem()).append("; p++) {\n");
      s.append(in).append("const int i = gid + p * (int) get_global_size(0);\n");
      s.append(in).append("if (i >= n) return;\n");
      if (k.needsCoordinates()) {
        coordinates(s, in, "i", dom, d -> true);
      }
      body(s, in, k, arborMath);
      s.append("  }\n");
    }
    s.append("}\n");
    return s.toString();
  }

  /** The loop body at reduced point {@code j}: coordinates, values, stores, accumulation. */
  private static void reducedPoint(StringBuilder s, LoopKernel k, boolean arborMath) {
    String indent = "    ";
    LoopKernel.Reduction r = k.reduction();
    coordinates(s, indent, "j", k.domain(), k::isReduced);
    s.append(indent).append("const int i = ").append(offset(k.domainStrides())).append(";\n");
    body(s, indent, k, arborMath);
    String v = "(" + type(r.type()) + ")v" + r.value();
    s.append(indent).append("acc = ").append(accumulate(r.fn(), r.type(), "acc", v));
    s.append(";\n");
  }

  /** The body's values at linear index {@code i}, and the domain-shaped stores. */
  private static void body(StringBuilder s, String indent, LoopKernel k, boolean arborMath) {
    List<Op> body = k.body();
    for (int v = 0; v < body.size(); v++) {
      Op op = body.get(v);
      // erf_inv has no OpenCL builtin: always DoubleMath's (the PTX kernel's operations).
      String viaArbor =
          arborMath || isErfInv(op) ? ClMath.value(s, indent, op, "m" + v + "_") : null;
      if (viaArbor != null) {
        s.append(indent)
            .append("const ")
            .append(type(op.type()))
            .append(" v")
            .append(v)
            .append(" = ")
            .append(viaArbor)
            .append(";\n");
        continue;
      }
      s.append(indent)
          .append("const ")
          .append(type(op.type()))
          .append(" v")
          .append(v)
          .append(" = ")
          .append(expression(op, body))
          .append(";\n");
    }
    List<Integer> stores = k.stores();
    for (int o = 0; o < stores.size(); o++) {
      s.append(indent).append("out").append(o).append("[i] = v").append(stores.get(o));
      s.append(";\n");
    }
  }

  private static boolean isErfInv(Op op) {
    return op instanceof Op.Unary u && u.fn() == Op.UnaryFn.ERF_INV;
  }

  // ------------------------------------------------------------------ tree reductions

  private static String groupAttribute() {
    int g = PartialReduceKernel.GROUP;
    return "__kernel __attribute__((reqd_work_group_size(" + g + ", 1, 1)))\n";
  }

  private static String partial(PartialReduceKernel p, boolean arborMath) {
    LoopKernel k = p.loop();
    LoopKernel.Reduction r = k.reduction();
    int group = PartialReduceKernel.GROUP;
    int groups = p.groups();
    StringBuilder s = new StringBuilder(header(usesF64(k) || arborMath));
    if (arborMath) {
      s.append("#pragma OPENCL FP_CONTRACT OFF\n");
    }
    s.append(groupAttribute());
    signature(s, k);
    String t = type(r.type());
    s.append("  __local ").append(t).append(" scratch[").append(group).append("];\n");
    s.append("  const int lid = get_local_id(0);\n");
    s.append("  const int grp = get_group_id(0);\n");
    s.append("  if (grp >= n) return;\n");
    if (groups == 1) {
      s.append("  const int gid = grp;\n");
      s.append("  const int part = 0;\n");
    } else {
      s.append("  const int gid = grp / ").append(groups).append(";\n");
      s.append("  const int part = grp % ").append(groups).append(";\n");
    }
    coordinates(s, "  ", "gid", k.domain(), d -> !k.isReduced(d));
    s.append("  ").append(t).append(" acc = ").append(identity(r.fn(), r.type())).append(";\n");
    s.append("  for (int j = part * ")
        .append(group)
        .append(" + lid; j < ")
        .append(k.reductionLength())
        .append("; j += ")
        .append((long) groups * group)
        .append(") {\n");
    reducedPoint(s, k, arborMath);
    s.append("  }\n");
    tree(s, r.fn(), r.type());
    s.append("  if (lid == 0) out").append(k.stores().size()).append("[grp] = acc;\n");
    s.append("}\n");
    return s.toString();
  }

  private static String combine(CombineKernel c) {
    int group = PartialReduceKernel.GROUP;
    String t = type(c.type());
    StringBuilder s = new StringBuilder(header(c.type() == DType.F64));
    s.append(groupAttribute());
    s.append("void ").append(c.name()).append("(__global const ").append(t);
    s.append("* restrict partial, __global ").append(t).append("* restrict out,");
    s.append(" const int groups) {\n");
    s.append("  __local ").append(t).append(" scratch[").append(group).append("];\n");
    s.append("  const int lid = get_local_id(0);\n");
    s.append("  const int grp = get_group_id(0);\n");
    s.append("  __global const ").append(t).append("* p = partial + grp * groups;\n");
    s.append("  ").append(t).append(" acc = ").append(identity(c.fn(), c.type())).append(";\n");
    s.append("  for (int j = lid; j < groups; j += ").append(group).append(") {\n");
    s.append("    const ").append(t).append(" v = p[j];\n");
    s.append("    acc = ").append(accumulate(c.fn(), c.type(), "acc", "v")).append(";\n");
    s.append("  }\n");
    tree(s, c.fn(), c.type());
    s.append("  if (lid == 0) out[grp] = acc;\n");
    s.append("}\n");
    return s.toString();
  }

  /**
   * Combines each work item's {@code acc} across the group through {@code scratch}: a fixed tree
   * (item {@code lid} takes {@code lid + s} for {@code s = GROUP/2, …, 1}); item 0 ends with the
   * group's value in {@code acc}.
   */
  private static void tree(StringBuilder s, Op.ReduceFn fn, DType t) {
    s.append("  scratch[lid] = acc;\n");
    s.append("  barrier(CLK_LOCAL_MEM_FENCE);\n");
    s.append("  for (int s = ")
        .append(PartialReduceKernel.GROUP / 2)
        .append("; s > 0; s >>= 1) {\n");
    s.append("    if (lid < s) {\n");
    s.append("      const ").append(type(t)).append(" w = scratch[lid + s];\n");
    s.append("      acc = ").append(accumulate(fn, t, "acc", "w")).append(";\n");
    s.append("      scratch[lid] = acc;\n");
    s.append("    }\n");
    s.append("    barrier(CLK_LOCAL_MEM_FENCE);\n");
    s.append("  }\n");
  }

  /** Declares {@code c<d>} for the axes {@code which} selects, unravelled from {@code from}. */
  private static void coordinates(
      StringBuilder s,
      String indent,
      String from,
      int[] dom,
      java.util.function.IntPredicate which) {
    String t = from.equals("gid") ? "t" : "u";
    s.append(indent).append("int ").append(t).append(" = ").append(from).append(";\n");
    for (int d = dom.length - 1; d >= 0; d--) {
      if (!which.test(d)) {
        continue;
      }
      s.append(indent)
          .append("const int c")
          .append(d)
          .append(" = ")
          .append(t)
          .append(" % ")
          .append(dom[d])
          .append("; ")
          .append(t)
          .append(" /= ")
          .append(dom[d])
          .append(";\n");
    }
  }

  /** {@code sum(c[d] * strides[d])} over the non-zero strides. */
  static String offset(int[] strides) {
    StringBuilder e = new StringBuilder();
    for (int d = 0; d < strides.length; d++) {
      if (strides[d] == 0) {
        continue;
      }
      if (!e.isEmpty()) {
        e.append(" + ");
      }
      e.append("c").append(d).append(" * ").append(strides[d]);
    }
    return e.isEmpty() ? "0" : e.toString();
  }

  private static String expression(Op op, List<Op> body) {
    return switch (op) {
      case Op.Load l -> "in" + l.input() + "[" + (l.isLinear() ? "i" : offset(l.strides())) + "]";
      case Op.Unary u -> unary(u.fn(), u.type(), "v" + u.arg());
      case Op.Binary b -> binary(b.fn(), b.type(), "v" + b.a(), "v" + b.b());
      case Op.Compare c -> "(uchar)(" + "v" + c.a() + compare(c.fn()) + "v" + c.b() + ")";
      case Op.Select sel -> "v" + sel.pred() + " ? v" + sel.a() + " : v" + sel.b();
      case Op.Convert c -> convert(c.from(), c.type(), "v" + c.arg());
      case Op.Index x -> "c" + x.axis();
      case Op.Constant c -> constant(c.type(), c.value());
      case Op.LoadAt l -> {
        String read = "in" + l.input() + "[v" + l.index() + "]";
        // C's ?: evaluates only the chosen operand: a guarded-off index is never dereferenced.
        yield l.guard() < 0
            ? read
            : "v" + l.guard() + " ? " + read + " : (" + type(l.type()) + ")0";
      }
    };
  }

  /** An integer literal of type {@code t} (I32, I64 or BOOL). */
  private static String constant(DType t, long v) {
    return switch (t) {
      case I32 -> v == Integer.MIN_VALUE ? "(-2147483647 - 1)" : Long.toString(v);
      case I64 -> v == Long.MIN_VALUE ? "(-9223372036854775807L - 1)" : v + "L";
      case BOOL -> "(uchar)" + v;
      default -> throw new AssertionError(t);
    };
  }

  private static String lit(DType t, String value) {
    return switch (t) {
      case F32 -> value + "f";
      case F64 -> value;
      default -> throw new AssertionError(t);
    };
  }

  private static String unary(Op.UnaryFn fn, DType t, String a) {
    boolean fl = t.isFloating();
    String one = fl ? lit(t, "1.0") : "1";
    if (!fl
        && fn != Op.UnaryFn.NEG
        && fn != Op.UnaryFn.ABS
        && fn != Op.UnaryFn.SIGN
        && fn != Op.UnaryFn.NOT) {
      throw new UnsupportedKernelException(fn + " on " + t);
    }
    if ((fl && fn == Op.UnaryFn.NOT) || (t == DType.BOOL && fn != Op.UnaryFn.NOT)) {
      throw new UnsupportedKernelException(fn + " on " + t);
    }
    return switch (fn) {
      case NEG -> "-" + a;
      case ABS -> fl ? "fabs(" + a + ")" : "(" + a + " < 0 ? -" + a + " : " + a + ")";
      case SIGN -> "(" + a + " > 0 ? " + one + " : (" + a + " < 0 ? -" + one + " : " + a + "))";
      case EXP -> "exp(" + a + ")";
      case LOG -> "log(" + a + ")";
      case LOG1P -> "log1p(" + a + ")";
      case EXPM1 -> "expm1(" + a + ")";
      case TANH -> "tanh(" + a + ")";
      case LOGISTIC -> one + " / (" + one + " + exp(-" + a + "))";
      case SIN -> "sin(" + a + ")";
      case COS -> "cos(" + a + ")";
      case SQRT -> "sqrt(" + a + ")";
      case RSQRT -> "rsqrt(" + a + ")";
      case FLOOR -> "floor(" + a + ")";
      case CEIL -> "ceil(" + a + ")";
      case ROUND -> "rint(" + a + ")";
      case NOT -> t == DType.BOOL ? "(uchar)(" + a + " ^ 1)" : "~" + a;
      case ERF_INV -> throw new AssertionError("erf_inv is emitted through ClMath");
    };
  }

  private static String binary(Op.BinaryFn fn, DType t, String a, String b) {
    boolean fl = t.isFloating();
    return switch (fn) {
      case ADD -> a + " + " + b;
      case SUB -> a + " - " + b;
      case MUL -> a + " * " + b;
      case DIV -> {
        // Integer division (C's, like Java's, truncates) is emitted for index arithmetic by
        // positive constants; Lowering keeps the user's integer div on the host (zero divisors).
        if (t == DType.BOOL) {
          throw new UnsupportedKernelException(fn + " on " + t);
        }
        yield a + " / " + b;
      }
      case MAX ->
          fl
              ? "(isnan("
                  + a
                  + ") || isnan("
                  + b
                  + ")) ? "
                  + a
                  + " + "
                  + b
                  + " : fmax("
                  + a
                  + ", "
                  + b
                  + ")"
              : "max(" + a + ", " + b + ")";
      case MIN ->
          fl
              ? "(isnan("
                  + a
                  + ") || isnan("
                  + b
                  + ")) ? "
                  + a
                  + " + "
                  + b
                  + " : fmin("
                  + a
                  + ", "
                  + b
                  + ")"
              : "min(" + a + ", " + b + ")";
      case POW -> floatOnly(fn, t, "pow(" + a + ", " + b + ")");
      case ATAN2 -> floatOnly(fn, t, "atan2(" + a + ", " + b + ")");
      case REM -> floatOnly(fn, t, "fmod(" + a + ", " + b + ")");
      case AND -> intOnly(fn, t, a + " & " + b);
      case OR -> intOnly(fn, t, a + " | " + b);
      case XOR -> intOnly(fn, t, a + " ^ " + b);
      case SHIFT_LEFT, SHIFT_RIGHT_LOGICAL -> {
        if (fl || t == DType.BOOL) {
          throw new UnsupportedKernelException(fn + " on " + t);
        }
        // Counts outside [0, width) give 0 (compared as unsigned: negative ones are huge); the
        // shift itself on the unsigned bits (no signed-overflow or sign-extension questions).
        boolean i32 = t == DType.I32;
        String u = i32 ? "uint" : "ulong";
        String op = fn == Op.BinaryFn.SHIFT_LEFT ? " << " : " >> ";
        yield "(("
            + u
            + ")"
            + b
            + (i32 ? " >= 32u) ? 0 : as_int(as_uint(" : " >= 64ul) ? 0L : as_long(as_ulong(")
            + a
            + ")"
            + op
            + b
            + ")";
      }
    };
  }

  private static String floatOnly(Object fn, DType t, String e) {
    if (!t.isFloating()) {
      throw new UnsupportedKernelException(fn + " on " + t);
    }
    return e;
  }

  private static String intOnly(Object fn, DType t, String e) {
    if (t.isFloating()) {
      throw new UnsupportedKernelException(fn + " on " + t);
    }
    return e;
  }

  private static String compare(Op.CompareFn fn) {
    return switch (fn) {
      case EQ -> " == ";
      case NE -> " != ";
      case LT -> " < ";
      case LE -> " <= ";
      case GT -> " > ";
      case GE -> " >= ";
    };
  }

  private static String convert(DType from, DType to, String a) {
    if (from == to) {
      return a;
    }
    if (to == DType.BOOL) {
      return "(uchar)(" + a + " != 0)";
    }
    if (from.isFloating() && !to.isFloating()) {
      // Java: (long) truncates toward zero, saturates and maps NaN to 0; I32 then wraps.
      return "(" + type(to) + ")convert_long_sat_rtz(" + a + ")";
    }
    return "(" + type(to) + ")" + a;
  }

  static String identity(Op.ReduceFn fn, DType t) {
    return switch (fn) {
      case SUM -> t.isFloating() ? lit(t, "0.0") : "0";
      case PROD -> t.isFloating() ? lit(t, "1.0") : "1";
      case MAX ->
          switch (t) {
            case F32 -> "-INFINITY";
            case F64 -> "-(double)INFINITY";
            case I32 -> "INT_MIN";
            case I64 -> "LONG_MIN";
            case BOOL -> "0";
          };
      case MIN ->
          switch (t) {
            case F32 -> "INFINITY";
            case F64 -> "(double)INFINITY";
            case I32 -> "INT_MAX";
            case I64 -> "LONG_MAX";
            case BOOL -> "1";
          };
    };
  }

  private static String accumulate(Op.ReduceFn fn, DType t, String acc, String v) {
    return switch (fn) {
      case SUM -> acc + " + " + v;
      case PROD -> acc + " * " + v;
      case MAX -> binary(Op.BinaryFn.MAX, t, acc, v);
      case MIN -> binary(Op.BinaryFn.MIN, t, acc, v);
    };
  }

  // ------------------------------------------------------------------ matmul

  private static String matmul(MatmulKernel k) {
    int tm = k.microTile();
    int bt = k.blockTile();
    String body =
        """
        /* One K slice from k0 into ga/gb: a vector (VW consecutive elements) or L scalars each. */
        #define LOAD(k0) \\
          for (int i = 0; i < L; i++) { \\
            const int ka = aVec ? (k0) + kA[0] : (k0) + kA[i]; \\
            ga[i] = aVec ? (inA[0] && ka < k ? a[offA[0] + ka + i] : ZERO) \\
                         : (inA[i] && ka < k ? a[offA[i] + ka * aK] : ZERO); \\
            const int kb = bVec ? (k0) + kB[0] : (k0) + kB[i]; \\
            gb[i] = bVec ? (inB[0] && kb < k ? b[offB[0] + kb * bK + i] : ZERO) \\
                         : (inB[i] && kb < k ? b[offB[i] + kb * bK] : ZERO); \\
          }
        /* ga/gb into local buffer buf: A's vector to VW consecutive k rows, B's to VW columns. */
        #define STORE(buf) \\
          for (int i = 0; i < L; i++) { \\
            if (aVec) as[buf][kA[0] + i][mA[0]] = ga[i]; else as[buf][kA[i]][mA[i]] = ga[i]; \\
            if (bVec) bs[buf][kB[0]][nB[0] + i] = gb[i]; else bs[buf][kB[i]][nB[i]] = gb[i]; \\
          }
        __kernel __attribute__((reqd_work_group_size(THREADS, 1, 1)))
        void NAME(__global const T* restrict a, __global const T* restrict b, __global T* restrict c,
            const int batch, const int m, const int n, const int k,
            const int aBatch, const int aRow, const int aK, const int bBatch, const int bK, const int bCol) {
          /* Two buffers of the K slice: A transposed (as[k][m]), B as is (bs[k][n]). */
          __local T as[2][BK][LD];
          __local T bs[2][BK][LD];
          const int tid = get_local_id(0), tx = tid & 15, ty = tid >> 4;
          const int m0 = get_group_id(1) * BT, n0 = get_group_id(0) * BT;
          a += (long) get_group_id(2) * aBatch;
          b += (long) get_group_id(2) * bBatch;
          c += (long) get_group_id(2) * m * n;
          /* Global-to-local map: consecutive items walk A's k and B's n where that stride is 1. */
          const int aKFast = aK == 1, bNFast = bCol == 1;
          const int kA0 = aKFast ? tid % BK : tid / BT, mA0 = aKFast ? tid / BK : tid % BT;
          const int dkA = aKFast ? 0 : THREADS / BT, dmA = aKFast ? THREADS / BK : 0;
          const int kB0 = bNFast ? tid / BT : tid % BK, nB0 = bNFast ? tid % BT : tid / BK;
          const int dkB = bNFast ? THREADS / BT : 0, dnB = bNFast ? 0 : THREADS / BK;
          int kA[L], mA[L], offA[L], inA[L], kB[L], nB[L], offB[L], inB[L];
          for (int i = 0; i < L; i++) {
            kA[i] = kA0 + i * dkA;
            mA[i] = mA0 + i * dmA;
            inA[i] = m0 + mA[i] < m;
            offA[i] = (m0 + mA[i]) * aRow;
            kB[i] = kB0 + i * dkB;
            nB[i] = nB0 + i * dnB;
            inB[i] = n0 + nB[i] < n;
            offB[i] = (n0 + nB[i]) * bCol;
          }
          /* Vector loads (VW elements, 16 bytes) where the operand allows them: A along k, B along n;
             then load 0 is the item's one vector, elements at k + e (A) or n + e (B). */
          const int aVec = aK == 1 && ((aRow | k) & (VW - 1)) == 0 && ((size_t) a & 15) == 0;
          const int bVec = bCol == 1 && ((bK | n) & (VW - 1)) == 0 && ((size_t) b & 15) == 0;
          if (aVec) {
            kA[0] = tid % (BK / VW) * VW;
            mA[0] = tid / (BK / VW);
            inA[0] = m0 + mA[0] < m;
            offA[0] = (m0 + mA[0]) * aRow;
          }
          if (bVec) {
            kB[0] = tid / (BT / VW);
            nB[0] = tid % (BT / VW) * VW;
            inB[0] = n0 + nB[0] < n;
            offB[0] = (n0 + nB[0]) * bCol;
          }
          T ga[L], gb[L];
          T acc[TM][TM];
          for (int i = 0; i < TM; i++) {
            for (int j = 0; j < TM; j++) {
              acc[i][j] = ZERO;
            }
          }
          LOAD(0);
          STORE(0);
          barrier(CLK_LOCAL_MEM_FENCE);
          int cur = 0;
          for (int k0 = 0;; k0 += BK) {
            const int k1 = k0 + BK;
            const int more = k1 < k;
            if (more) {
              /* The next slice, into registers, while this one is multiplied. */
              LOAD(k1);
            }
            for (int q = 0; q < BK; q++) {
              T ra[TM], rb[TM];
              for (int i = 0; i < H; i++) {
                ra[i] = as[cur][q][ty * H + i];
                ra[H + i] = as[cur][q][BT / 2 + ty * H + i];
                rb[i] = bs[cur][q][tx * H + i];
                rb[H + i] = bs[cur][q][BT / 2 + tx * H + i];
              }
              for (int i = 0; i < TM; i++) {
                for (int j = 0; j < TM; j++) {
                  acc[i][j] = fma(ra[i], rb[j], acc[i][j]);
                }
              }
            }
            if (!more) {
              break;
            }
            STORE(cur ^ 1);
            barrier(CLK_LOCAL_MEM_FENCE);
            cur ^= 1;
          }
          for (int i = 0; i < TM; i++) {
            const int row = m0 + (i < H ? ty * H + i : BT / 2 + ty * H + i - H);
            for (int j = 0; j < TM; j++) {
              const int col = n0 + (j < H ? tx * H + j : BT / 2 + tx * H + j - H);
              if (row < m && col < n) {
                c[(long) row * n + col] = acc[i][j];
              }
            }
          }
        }
        """;
    return header(k.type() == DType.F64)
        + "#define THREADS "
        + MatmulKernel.THREADS
        + "\n#define BK "
        + MatmulKernel.BK
        + "\n#define BT "
        + bt
        + "\n#define TM "
        + tm
        + "\n#define H "
        + tm / 2
        + "\n#define LD "
        + k.localRow()
        + "\n#define L "
        + k.loadsPerItem()
        + "\n#define VW "
        + k.vectorWidth()
        + "\n#define T "
        + type(k.type())
        + "\n#define ZERO "
        + lit(k.type(), "0.0")
        + "\n"
        + body.replace("NAME", k.name());
  }
}
