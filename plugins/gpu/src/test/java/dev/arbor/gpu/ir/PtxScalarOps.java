package dev.arbor.gpu.ir;

import dev.arbor.gpu.ir.PtxInterpreter.Operand;

/**
 * The scalar instructions of {@link PtxInterpreter} that loop kernels and {@link DoubleMath} use,
 * decoded from their type suffix: integer and float arithmetic, comparisons ({@code setp}),
 * selects, conversions, bit operations and shifts, predicate logic. Registers hold raw bits in a
 * {@code long}: 32-bit integers sign-extended, F32 as its bits, F64 as its bits, predicates 0/1.
 *
 * <p>Semantics per the PTX ISA: float operations round to nearest (Java's {@code float}/{@code
 * double} arithmetic), {@code min}/{@code max} return the non-NaN operand, ordered comparisons are
 * false on NaN ({@code neu} etc. true), {@code cvt.rzi} to an integer truncates, saturates and maps
 * NaN to 0, shift counts above the width give 0.
 */
final class PtxScalarOps {
  private PtxScalarOps() {}

  /** Executes {@code op} if it is one of these instructions; false if it is not. */
  static boolean execute(String op, Operand[] a, long[] r) {
    String[] p = op.split("\\.");
    String name = p[0];
    String t = p[p.length - 1];
    switch (name) {
      case "setp" -> {
        if (p.length != 3) {
          return false;
        }
        r[a[0].slot()] = compare(p[1], t, val(r, a[1]), val(r, a[2])) ? 1 : 0;
      }
      case "selp" -> r[a[0].slot()] = norm(t, val(r, a[3]) != 0 ? val(r, a[1]) : val(r, a[2]));
      case "mov" -> {
        if (a[1].kind() != 0 && a[1].kind() != 1) {
          return false; // special registers: the interpreter's own mov
        }
        r[a[0].slot()] = norm(t, val(r, a[1]));
      }
      case "and", "or", "xor", "not" -> {
        if (t.equals("pred")) {
          long x = val(r, a[1]);
          long y = a.length > 2 ? val(r, a[2]) : 0;
          r[a[0].slot()] =
              switch (name) {
                case "and" -> x & y;
                case "or" -> x | y;
                case "xor" -> x ^ y;
                default -> x ^ 1;
              };
        } else {
          long x = val(r, a[1]);
          long y = a.length > 2 ? val(r, a[2]) : 0;
          long v =
              switch (name) {
                case "and" -> x & y;
                case "or" -> x | y;
                case "xor" -> x ^ y;
                default -> ~x;
              };
          r[a[0].slot()] = norm(t, v);
        }
      }
      case "shl", "shr" -> {
        int w = width(t);
        long x = val(r, a[1]);
        long n = val(r, a[2]) & 0xFFFF_FFFFL;
        long v;
        if (name.equals("shl")) {
          v = n >= w ? 0 : x << n;
        } else if (t.startsWith("s")) {
          long sx = w == 32 ? (int) x : x;
          v = sx >> Math.min(n, w - 1);
        } else {
          long ux = w == 32 ? x & 0xFFFF_FFFFL : x;
          v = n >= w ? 0 : ux >>> n;
        }
        r[a[0].slot()] = norm(t, v);
      }
      case "cvt" -> r[a[0].slot()] = convert(p, val(r, a[1]));
      case "add",
          "sub",
          "mul",
          "div",
          "rem",
          "min",
          "max",
          "neg",
          "abs",
          "sqrt",
          "fma",
          "rcp",
          "copysign",
          "mad" -> {
        if (t.equals("f32") || t.equals("f64")) {
          r[a[0].slot()] = floating(name, t.equals("f64"), a, r);
        } else {
          r[a[0].slot()] = integer(name, p, t, a, r);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static long val(long[] r, Operand o) {
    return PtxInterpreter.v(r, o);
  }

  private static int width(String t) {
    return switch (t.substring(1)) {
      case "64" -> 64;
      case "32" -> 32;
      case "16" -> 16;
      case "8" -> 8;
      default -> throw new IllegalStateException("type " + t);
    };
  }

  /** Normalises a result of type {@code t}: 32-bit values sign-extended, f32 bits zero-extended. */
  private static long norm(String t, long v) {
    if (t.equals("pred")) {
      return v & 1;
    }
    if (t.equals("f32")) {
      return v & 0xFFFF_FFFFL;
    }
    return t.endsWith("32") ? (int) v : v;
  }

  private static double d(long bits) {
    return Double.longBitsToDouble(bits);
  }

  private static float f(long bits) {
    return Float.intBitsToFloat((int) bits);
  }

  private static long bits(double v) {
    return Double.doubleToRawLongBits(v);
  }

  private static long bits(float v) {
    return Float.floatToRawIntBits(v) & 0xFFFF_FFFFL;
  }

  private static boolean compare(String cmp, String t, long x, long y) {
    if (t.equals("f32") || t.equals("f64")) {
      double a = t.equals("f64") ? d(x) : f(x);
      double b = t.equals("f64") ? d(y) : f(y);
      boolean nan = Double.isNaN(a) || Double.isNaN(b);
      return switch (cmp) {
        case "eq" -> !nan && a == b;
        case "ne" -> !nan && a != b;
        case "lt" -> !nan && a < b;
        case "le" -> !nan && a <= b;
        case "gt" -> !nan && a > b;
        case "ge" -> !nan && a >= b;
        case "equ" -> nan || a == b;
        case "neu" -> nan || a != b;
        case "ltu" -> nan || a < b;
        case "leu" -> nan || a <= b;
        case "gtu" -> nan || a > b;
        case "geu" -> nan || a >= b;
        case "nan" -> nan;
        case "num" -> !nan;
        default -> throw new IllegalStateException("setp." + cmp);
      };
    }
    int w = width(t);
    boolean unsigned = !t.startsWith("s");
    long a = w == 32 ? (unsigned ? x & 0xFFFF_FFFFL : (int) x) : x;
    long b = w == 32 ? (unsigned ? y & 0xFFFF_FFFFL : (int) y) : y;
    int c = unsigned && w == 64 ? Long.compareUnsigned(a, b) : Long.compare(a, b);
    return switch (cmp) {
      case "eq" -> c == 0;
      case "ne" -> c != 0;
      case "lt", "lo" -> c < 0;
      case "le", "ls" -> c <= 0;
      case "gt", "hi" -> c > 0;
      case "ge", "hs" -> c >= 0;
      default -> throw new IllegalStateException("setp." + cmp);
    };
  }

  private static long floating(String name, boolean f64, Operand[] a, long[] r) {
    if (f64) {
      double x = d(val(r, a[1]));
      double y = a.length > 2 ? d(val(r, a[2])) : 0;
      double v =
          switch (name) {
            case "add" -> x + y;
            case "sub" -> x - y;
            case "mul" -> x * y;
            case "div" -> x / y;
            case "min" -> Double.isNaN(x) ? y : Double.isNaN(y) ? x : Math.min(x, y);
            case "max" -> Double.isNaN(x) ? y : Double.isNaN(y) ? x : Math.max(x, y);
            case "neg" -> -x;
            case "abs" -> Math.abs(x);
            case "sqrt" -> Math.sqrt(x);
            case "rcp" -> 1 / x;
            case "fma" -> Math.fma(x, y, d(val(r, a[3])));
            case "copysign" -> Math.copySign(y, x); // d = b with the sign of a
            default -> throw new IllegalStateException(name + ".f64");
          };
      return bits(v);
    }
    float x = f(val(r, a[1]));
    float y = a.length > 2 ? f(val(r, a[2])) : 0;
    float v =
        switch (name) {
          case "add" -> x + y;
          case "sub" -> x - y;
          case "mul" -> x * y;
          case "div" -> x / y;
          case "min" -> Float.isNaN(x) ? y : Float.isNaN(y) ? x : Math.min(x, y);
          case "max" -> Float.isNaN(x) ? y : Float.isNaN(y) ? x : Math.max(x, y);
          case "neg" -> -x;
          case "abs" -> Math.abs(x);
          case "sqrt" -> (float) Math.sqrt(x);
          case "rcp" -> 1 / x;
          case "fma" -> Math.fma(x, y, f(val(r, a[3])));
          case "copysign" -> Math.copySign(y, x);
          default -> throw new IllegalStateException(name + ".f32");
        };
    return bits(v);
  }

  private static long integer(String name, String[] p, String t, Operand[] a, long[] r) {
    int w = width(t);
    boolean unsigned = !t.startsWith("s");
    long x = ext(val(r, a[1]), w, unsigned);
    long y = a.length > 2 ? ext(val(r, a[2]), w, unsigned) : 0;
    long v =
        switch (name) {
          case "add" -> x + y;
          case "sub" -> x - y;
          case "mul" -> {
            if (!p[1].equals("lo")) {
              throw new IllegalStateException("mul." + p[1] + " not interpreted here");
            }
            yield x * y;
          }
          case "mad" -> {
            if (!p[1].equals("lo")) {
              throw new IllegalStateException("mad." + p[1] + " not interpreted here");
            }
            yield x * y + ext(val(r, a[3]), w, unsigned);
          }
          case "div" -> {
            if (y == 0) {
              throw new IllegalStateException("integer division by zero");
            }
            yield unsigned && w == 64 ? Long.divideUnsigned(x, y) : x / y;
          }
          case "rem" -> {
            if (y == 0) {
              throw new IllegalStateException("integer remainder by zero");
            }
            yield unsigned && w == 64 ? Long.remainderUnsigned(x, y) : x % y;
          }
          case "min" ->
              unsigned && w == 64 ? (Long.compareUnsigned(x, y) <= 0 ? x : y) : Math.min(x, y);
          case "max" ->
              unsigned && w == 64 ? (Long.compareUnsigned(x, y) >= 0 ? x : y) : Math.max(x, y);
          case "neg" -> -x;
          case "abs" -> Math.abs(x);
          default -> throw new IllegalStateException(name + "." + t);
        };
    return norm(t, v);
  }

  private static long ext(long v, int w, boolean unsigned) {
    if (w == 64) {
      return v;
    }
    return unsigned ? v & 0xFFFF_FFFFL : (int) v;
  }

  /** {@code cvt[.rnd].dst.src}. */
  private static long convert(String[] p, long x) {
    String dst = p[p.length - 2];
    String src = p[p.length - 1];
    String rnd = p.length == 4 ? p[1] : "";
    boolean srcF = src.startsWith("f");
    boolean dstF = dst.startsWith("f");
    if (srcF && dstF) {
      double v = src.equals("f64") ? d(x) : f(x);
      v =
          switch (rnd) {
            case "rni" -> Math.rint(v);
            case "rzi" -> v < 0 ? Math.ceil(v) : Math.floor(v);
            case "rmi" -> Math.floor(v);
            case "rpi" -> Math.ceil(v);
            case "rn", "" -> v;
            default -> throw new IllegalStateException("cvt." + rnd);
          };
      return dst.equals("f64") ? bits(v) : bits((float) v);
    }
    if (srcF) {
      double v = src.equals("f64") ? d(x) : f(x);
      if (!rnd.equals("rzi")) {
        throw new IllegalStateException("cvt." + rnd + " to an integer not interpreted");
      }
      int w = width(dst);
      boolean unsigned = !dst.startsWith("s");
      if (Double.isNaN(v)) {
        return 0;
      }
      if (w == 64 && !unsigned) {
        return (long) v; // Java's cast: truncating, saturating
      }
      if (w == 32 && !unsigned) {
        return (int) v;
      }
      throw new IllegalStateException("cvt to " + dst + " not interpreted");
    }
    int sw = width(src);
    long v = ext(x, sw, !src.startsWith("s"));
    if (dstF) {
      if (src.equals("u64")) {
        throw new IllegalStateException("cvt from u64 to float not interpreted");
      }
      return dst.equals("f64") ? bits((double) v) : bits((float) v);
    }
    return norm(dst, v);
  }
}
