package dev.arbor.gpu.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, strict interpreter for the subset of PTX that {@link PtxEmitter} writes — the matmul
 * kernel, loop kernels (with {@link DoubleMath}'s F64 code) and the index, scan and hash kernels;
 * scalar instructions are decoded by {@link PtxScalarOps} — so that the PTX text itself (not only
 * the OpenCL mirror of its algorithm) runs in the tests where no GPU is. It executes one work group
 * at a time: every thread runs until {@code bar.sync} or {@code ret}, then the next, and all must
 * meet at each barrier. Memory is checked: global accesses must fall inside the buffer they
 * address, shared ones inside the declared arrays, and vector accesses must be aligned to their
 * size. An instruction it does not know is an error.
 *
 * <p>Semantics follow the PTX ISA for these instructions: 32-bit integer ops wrap, {@code
 * mul.wide.s32} sign-extends, {@code fma.rn} is {@link Math#fma}, {@code ld.param} reads the launch
 * arguments by name.
 */
final class PtxInterpreter {
  /** A global buffer at a fake device address. */
  record Global(long address, ByteBuffer data) {}

  record Operand(int kind, int slot, long value, int[] slots) {}

  private record Instr(int guard, boolean negate, String op, Operand[] args, String text) {}

  private static final int REG = 0;
  private static final int IMM = 1;
  // value: 0..2 tid.x/y/z, 3..5 ctaid.x/y/z, 6..8 ntid.x/y/z, 9..11 nctaid.x/y/z
  private static final int SPECIAL = 2;
  private static final int ADDR = 3; // slot (or -1) + value
  private static final int VEC = 4;
  private static final int PARAM = 5; // value: parameter index

  private final List<Instr> code = new ArrayList<>();
  private final Map<String, Integer> labels = new HashMap<>();
  private final Map<String, Integer> slots = new HashMap<>();
  private final Map<String, Integer> shared = new HashMap<>();
  private final List<String> params = new ArrayList<>();
  private int sharedBytes;
  private int[] launchGrid = {1, 1, 1};
  private int launchBlock = 1;

  PtxInterpreter(String ptx) {
    boolean body = false;
    Pattern param = Pattern.compile("\\s*\\.param \\.\\w+ (\\w+),?");
    Pattern sh = Pattern.compile("\\.shared \\.align (\\d+) \\.b8 (\\w+)\\[(\\d+)\\]");
    for (String raw : ptx.split("\n")) {
      String line = raw.strip();
      Matcher pm = param.matcher(raw);
      if (!body && pm.matches()) {
        params.add(pm.group(1));
        continue;
      }
      if (line.equals("{")) {
        body = true;
        continue;
      }
      if (!body || line.isEmpty() || line.equals("}") || line.startsWith("//")) {
        continue;
      }
      if (line.startsWith(".reg")) {
        continue;
      }
      Matcher sm = sh.matcher(line);
      if (sm.find()) {
        int align = Integer.parseInt(sm.group(1));
        sharedBytes = (sharedBytes + align - 1) / align * align;
        shared.put(sm.group(2), sharedBytes);
        sharedBytes += Integer.parseInt(sm.group(3));
        continue;
      }
      if (line.endsWith(":")) {
        labels.put(line.substring(0, line.length() - 1), code.size());
        continue;
      }
      code.add(parse(line.substring(0, line.length() - 1)));
    }
  }

  private Instr parse(String text) {
    String s = text;
    int guard = -1;
    boolean negate = false;
    if (s.startsWith("@")) {
      int sp = s.indexOf(' ');
      String p = s.substring(1, sp);
      negate = p.startsWith("!");
      guard = slot(negate ? p.substring(1) : p);
      s = s.substring(sp + 1);
    }
    int sp = s.indexOf(' ');
    String op = sp < 0 ? s : s.substring(0, sp);
    List<Operand> args = new ArrayList<>();
    if (sp >= 0 && !op.startsWith("bra")) {
      String rest = s.substring(sp + 1);
      int depth = 0;
      StringBuilder cur = new StringBuilder();
      for (char ch : rest.toCharArray()) {
        if (ch == '{' || ch == '[') {
          depth++;
        } else if (ch == '}' || ch == ']') {
          depth--;
        }
        if (ch == ',' && depth == 0) {
          args.add(operand(cur.toString().strip(), op));
          cur.setLength(0);
        } else {
          cur.append(ch);
        }
      }
      args.add(operand(cur.toString().strip(), op));
    }
    return new Instr(guard, negate, op, args.toArray(Operand[]::new), text);
  }

  private Operand operand(String a, String op) {
    if (a.startsWith("{")) {
      String[] parts = a.substring(1, a.length() - 1).split(",");
      int[] v = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        v[i] = slot(parts[i].strip());
      }
      return new Operand(VEC, -1, 0, v);
    }
    if (a.startsWith("[")) {
      String in = a.substring(1, a.length() - 1);
      if (op.startsWith("ld.param")) {
        int i = params.indexOf(in);
        if (i < 0) {
          throw new IllegalArgumentException("unknown parameter " + in);
        }
        return new Operand(PARAM, -1, i, null);
      }
      int plus = in.indexOf('+');
      String base = plus < 0 ? in : in.substring(0, plus);
      long off = plus < 0 ? 0 : Long.parseLong(in.substring(plus + 1));
      if (shared.containsKey(base)) {
        return new Operand(ADDR, -1, shared.get(base) + off, null);
      }
      return new Operand(ADDR, slot(base), off, null);
    }
    if (a.startsWith("%tid.") || a.startsWith("%ctaid.")) {
      int axis = a.charAt(a.length() - 1) - 'x';
      return new Operand(SPECIAL, -1, (a.startsWith("%tid.") ? 0 : 3) + axis, null);
    }
    if (a.startsWith("%ntid.") || a.startsWith("%nctaid.")) {
      int axis = a.charAt(a.length() - 1) - 'x';
      return new Operand(SPECIAL, -1, (a.startsWith("%ntid.") ? 6 : 9) + axis, null);
    }
    if (a.startsWith("%")) {
      return new Operand(REG, slot(a), 0, null);
    }
    if (a.startsWith("0f")) {
      return new Operand(IMM, -1, Long.parseLong(a.substring(2), 16), null);
    }
    if (a.startsWith("0d")) {
      return new Operand(IMM, -1, Long.parseUnsignedLong(a.substring(2), 16), null);
    }
    if (shared.containsKey(a)) {
      return new Operand(IMM, -1, shared.get(a), null);
    }
    return new Operand(IMM, -1, Long.parseLong(a), null);
  }

  private int slot(String reg) {
    return slots.computeIfAbsent(reg, r -> slots.size());
  }

  /**
   * Runs the kernel on a grid of {@code grid[0..2]} groups of {@code block} threads (x only), with
   * these parameter values (pointers as the {@link Global#address} of a buffer).
   */
  void launch(int[] grid, int block, long[] args, List<Global> globals) {
    launchGrid = grid.clone();
    launchBlock = block;
    for (int z = 0; z < grid[2]; z++) {
      for (int y = 0; y < grid[1]; y++) {
        for (int x = 0; x < grid[0]; x++) {
          runGroup(new int[] {x, y, z}, block, args, globals);
        }
      }
    }
  }

  private void runGroup(int[] ctaid, int block, long[] args, List<Global> globals) {
    ByteBuffer smem = ByteBuffer.allocate(sharedBytes).order(ByteOrder.LITTLE_ENDIAN);
    long[][] regs = new long[block][slots.size()];
    int[] pc = new int[block];
    boolean[] done = new boolean[block];
    while (true) {
      int atBarrier = 0;
      int finished = 0;
      for (int t = 0; t < block; t++) {
        if (done[t]) {
          finished++;
          continue;
        }
        int stop = run(regs[t], pc[t], t, ctaid, args, globals, smem);
        if (stop < 0) {
          done[t] = true;
          finished++;
        } else {
          pc[t] = stop + 1;
          atBarrier++;
        }
      }
      if (finished == block) {
        return;
      }
      if (finished != 0 && atBarrier != 0 && finished + atBarrier == block) {
        throw new IllegalStateException("threads exited while others wait at a barrier");
      }
    }
  }

  /** Runs one thread from {@code pc}; the index of the bar.sync it stops at, or -1 at ret. */
  private int run(
      long[] r, int pc, int tid, int[] ctaid, long[] args, List<Global> globals, ByteBuffer smem) {
    int steps = 0;
    while (true) {
      if (pc >= code.size()) {
        throw new IllegalStateException("ran off the end of the kernel");
      }
      if (++steps > 50_000_000) {
        throw new IllegalStateException("no progress");
      }
      Instr in = code.get(pc);
      if (in.guard >= 0 && ((r[in.guard] != 0) == in.negate)) {
        pc++;
        continue;
      }
      String op = in.op;
      Operand[] a = in.args;
      switch (op) {
        case "ret" -> {
          return -1;
        }
        case "bar.sync" -> {
          return pc;
        }
        case "bra", "bra.uni" -> {
          Integer target = labels.get(in.text.substring(in.text.lastIndexOf(' ') + 1));
          if (target == null) {
            throw new IllegalStateException("no label in " + in.text);
          }
          pc = target;
          continue;
        }
        case "ld.param.u32" -> r[a[0].slot] = (int) args[(int) a[1].value];
        case "ld.param.u64" -> r[a[0].slot] = args[(int) a[1].value];
        case "cvta.to.global.u64",
            "mov.u32",
            "mov.f32",
            "mov.f64",
            "mov.u64",
            "mov.b32",
            "mov.b64" ->
            r[a[0].slot] = value(r, a[1], tid, ctaid, launchBlock, launchGrid);
        case "add.s32" -> r[a[0].slot] = i32(v(r, a[1]) + v(r, a[2]));
        case "add.s64" -> r[a[0].slot] = v(r, a[1]) + v(r, a[2]);
        case "mul.lo.s32" -> r[a[0].slot] = i32(v(r, a[1]) * v(r, a[2]));
        case "mad.lo.s32" -> r[a[0].slot] = i32(v(r, a[1]) * v(r, a[2]) + v(r, a[3]));
        case "mul.wide.s32" -> r[a[0].slot] = i32(v(r, a[1])) * i32(v(r, a[2]));
        case "shl.b64" -> r[a[0].slot] = shift(v(r, a[1]), v(r, a[2]), 64, true);
        case "and.b32" -> r[a[0].slot] = i32(v(r, a[1]) & v(r, a[2]));
        case "or.b32" -> r[a[0].slot] = i32(v(r, a[1]) | v(r, a[2]));
        case "xor.b32" -> r[a[0].slot] = i32(v(r, a[1]) ^ v(r, a[2]));
        case "shr.u32" ->
            r[a[0].slot] = i32(shift(v(r, a[1]) & 0xFFFF_FFFFL, v(r, a[2]), 32, false));
        case "cvt.u32.u64" -> r[a[0].slot] = i32(v(r, a[1]));
        case "cvt.s64.s32" -> r[a[0].slot] = i32(v(r, a[1]));
        case "setp.eq.s32" -> r[a[0].slot] = i32(v(r, a[1])) == i32(v(r, a[2])) ? 1 : 0;
        case "setp.lt.s32" -> r[a[0].slot] = i32(v(r, a[1])) < i32(v(r, a[2])) ? 1 : 0;
        case "setp.eq.and.s32" ->
            r[a[0].slot] = i32(v(r, a[1])) == i32(v(r, a[2])) && v(r, a[3]) != 0 ? 1 : 0;
        case "setp.lt.and.s32" ->
            r[a[0].slot] = i32(v(r, a[1])) < i32(v(r, a[2])) && v(r, a[3]) != 0 ? 1 : 0;
        case "and.pred" -> r[a[0].slot] = v(r, a[1]) != 0 && v(r, a[2]) != 0 ? 1 : 0;
        // The loop kernels' index arithmetic (layout primitives, coordinates).
        case "fma.rn.f32" ->
            r[a[0].slot] =
                Float.floatToRawIntBits(Math.fma(f(r, a[1]), f(r, a[2]), f(r, a[3])))
                    & 0xFFFF_FFFFL;
        case "fma.rn.f64" ->
            r[a[0].slot] = Double.doubleToRawLongBits(Math.fma(d(r, a[1]), d(r, a[2]), d(r, a[3])));
        default -> {
          if (!PtxScalarOps.execute(op, a, r)) {
            memory(op, a, r, globals, smem, in);
          }
        }
      }
      pc++;
    }
  }

  private void memory(
      String op, Operand[] a, long[] r, List<Global> globals, ByteBuffer smem, Instr in) {
    boolean load = op.startsWith("ld.");
    boolean isShared = op.contains(".shared.");
    if (!load && !op.startsWith("st.") || !isShared && !op.contains(".global.")) {
      throw new IllegalStateException("instruction not supported: " + in.text);
    }
    int width = op.endsWith("64") ? 8 : op.endsWith("8") ? 1 : 4;
    Operand addrOp = load ? a[1] : a[0];
    Operand data = load ? a[0] : a[1];
    int[] regs = data.kind == VEC ? data.slots : new int[] {data.slot};
    long addr = (addrOp.slot >= 0 ? r[addrOp.slot] : 0) + addrOp.value;
    int bytes = width * regs.length;
    if (addr % bytes != 0 || (regs.length > 1 && !op.contains(".v" + regs.length + "."))) {
      throw new IllegalStateException("misaligned access at " + addr + ": " + in.text);
    }
    ByteBuffer buf;
    int at;
    if (isShared) {
      buf = smem;
      at = (int) addr;
      if (addr < 0 || addr + bytes > sharedBytes) {
        throw new IllegalStateException("shared access out of bounds at " + addr + ": " + in.text);
      }
    } else {
      buf = null;
      at = 0;
      for (Global g : globals) {
        if (addr >= g.address() && addr + bytes <= g.address() + g.data().capacity()) {
          buf = g.data();
          at = (int) (addr - g.address());
        }
      }
      if (buf == null) {
        throw new IllegalStateException("global access out of bounds at " + addr + ": " + in.text);
      }
    }
    for (int i = 0; i < regs.length; i++) {
      int p = at + i * width;
      if (load) {
        r[regs[i]] =
            width == 8
                ? buf.getLong(p)
                : width == 1 ? buf.get(p) & 0xFFL : buf.getInt(p) & 0xFFFF_FFFFL;
      } else if (width == 1) {
        buf.put(p, (byte) r[regs[i]]);
      } else if (width == 8) {
        buf.putLong(p, r[regs[i]]);
      } else {
        buf.putInt(p, (int) r[regs[i]]);
      }
    }
  }

  private static long value(long[] r, Operand o, int tid, int[] ctaid, int block, int[] grid) {
    if (o.kind == SPECIAL) {
      int s = (int) o.value;
      return switch (s / 3) {
        case 0 -> s == 0 ? tid : 0;
        case 1 -> ctaid[s - 3];
        case 2 -> s == 6 ? block : 1;
        default -> grid[s - 9];
      };
    }
    return v(r, o);
  }

  /**
   * A PTX shift of the {@code width}-bit value {@code x} (zero-extended for right shifts) by the
   * unsigned 32-bit count {@code n}: counts above the width are clamped to it (giving 0).
   */
  static long shift(long x, long n, int width, boolean left) {
    long count = n & 0xFFFF_FFFFL;
    if (count >= width) {
      return 0;
    }
    return left ? x << count : x >>> count;
  }

  static long v(long[] r, Operand o) {
    return switch (o.kind) {
      case REG -> r[o.slot];
      case IMM -> o.value;
      default -> throw new IllegalStateException("operand kind " + o.kind);
    };
  }

  private static int u32(long[] r, Operand o) {
    return (int) v(r, o);
  }

  private static long i32(long x) {
    return (int) x;
  }

  private static float f(long[] r, Operand o) {
    return Float.intBitsToFloat((int) v(r, o));
  }

  private static double d(long[] r, Operand o) {
    return Double.longBitsToDouble(v(r, o));
  }
}
