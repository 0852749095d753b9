package dev.arbor.gpu.ir;

import dev.arbor.array.DType;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * {@link MathOps} as OpenCL C statements on {@code double} locals: one statement per operation (so
 * no contraction across them; the program also sets {@code FP_CONTRACT OFF}), integer and
 * conversion steps written to match the PTX emitter's ({@code convert_int_sat_rtz} is PTX's {@code
 * cvt.rzi.s32.f64}: truncating, saturating, NaN to 0). Used by {@link OpenClEmitter#emit(GpuKernel,
 * boolean)} to run {@link DoubleMath} on an OpenCL device.
 */
final class ClMath implements MathOps<String, String> {
  private final StringBuilder s;
  private final String indent;
  private final String prefix;
  private int n;

  private ClMath(StringBuilder s, String indent, String prefix) {
    this.s = s;
    this.indent = indent;
    this.prefix = prefix;
  }

  /**
   * Writes the statements computing {@code op} with {@link DoubleMath} and returns the expression
   * of its value (of {@code op}'s type), or null when {@code op} is not one DoubleMath computes.
   */
  static String value(StringBuilder s, String indent, Op op, String prefix) {
    ClMath m = new ClMath(s, indent, prefix);
    return switch (op) {
      case Op.Unary u when u.type().isFloating() -> {
        boolean f64 = u.type() == DType.F64;
        String a = m.widen(u.type(), "v" + u.arg());
        String r =
            switch (u.fn()) {
              case EXP -> f64 ? DoubleMath.exp(m, a) : null;
              case LOG -> f64 ? DoubleMath.log(m, a) : null;
              case TANH -> f64 ? DoubleMath.tanh(m, a) : null;
              case LOGISTIC -> f64 ? DoubleMath.logistic(m, a) : null;
              case SIN -> f64 ? DoubleMath.sin(m, a) : null;
              case COS -> f64 ? DoubleMath.cos(m, a) : null;
              case LOG1P -> DoubleMath.log1p(m, a);
              case EXPM1 -> DoubleMath.expm1(m, a);
              case ERF_INV -> DoubleMath.erfInv(m, a);
              default -> null;
            };
        yield r == null ? null : m.narrow(u.type(), r);
      }
      case Op.Binary b when b.type().isFloating() -> {
        String x = m.widen(b.type(), "v" + b.a());
        String y = m.widen(b.type(), "v" + b.b());
        String r =
            switch (b.fn()) {
              case POW -> DoubleMath.pow(m, x, y);
              case ATAN2 -> DoubleMath.atan2(m, x, y);
              case REM -> DoubleMath.rem(m, x, y);
              default -> null;
            };
        yield r == null ? null : m.narrow(b.type(), r);
      }
      default -> null;
    };
  }

  private String widen(DType t, String v) {
    return t == DType.F64 ? v : def("double", "(double)" + v);
  }

  private String narrow(DType t, String v) {
    return t == DType.F64 ? v : "(float)" + v;
  }

  private String def(String type, String expr) {
    String name = prefix + (++n);
    s.append(indent).append(type).append(' ').append(name).append(" = ").append(expr);
    s.append(";\n");
    return name;
  }

  private String d(String expr) {
    return def("double", expr);
  }

  private String p(String expr) {
    return def("int", expr);
  }

  @Override
  public String c(double v) {
    if (Double.isNaN(v)) {
      return d("(double)NAN");
    }
    if (Double.isInfinite(v)) {
      return d(v > 0 ? "(double)INFINITY" : "-(double)INFINITY");
    }
    return d(Double.toHexString(v));
  }

  @Override
  public String add(String a, String b) {
    return d(a + " + " + b);
  }

  @Override
  public String sub(String a, String b) {
    return d(a + " - " + b);
  }

  @Override
  public String mul(String a, String b) {
    return d(a + " * " + b);
  }

  @Override
  public String div(String a, String b) {
    return d(a + " / " + b);
  }

  @Override
  public String fma(String a, String b, String c) {
    return d("fma(" + a + ", " + b + ", " + c + ")");
  }

  @Override
  public String neg(String a) {
    return d("-" + a);
  }

  @Override
  public String abs(String a) {
    return d("fabs(" + a + ")");
  }

  @Override
  public String rint(String a) {
    return d("rint(" + a + ")");
  }

  @Override
  public String sqrt(String a) {
    return d("sqrt(" + a + ")"); // correctly rounded in double (OpenCL 1.2, 7.4)
  }

  @Override
  public String trunc(String a) {
    return d("trunc(" + a + ")");
  }

  @Override
  public String copysign(String mag, String sign) {
    return d("copysign(" + mag + ", " + sign + ")");
  }

  @Override
  public String select(String p, String a, String b) {
    return d(p + " ? " + a + " : " + b);
  }

  @Override
  public String lt(String a, String b) {
    return p(a + " < " + b);
  }

  @Override
  public String le(String a, String b) {
    return p(a + " <= " + b);
  }

  @Override
  public String gt(String a, String b) {
    return p(a + " > " + b);
  }

  @Override
  public String ge(String a, String b) {
    return p(a + " >= " + b);
  }

  @Override
  public String eq(String a, String b) {
    return p(a + " == " + b);
  }

  @Override
  public String isNan(String a) {
    return p("isnan(" + a + ") != 0");
  }

  @Override
  public String signBit(String a) {
    return p("as_long(" + a + ") < 0");
  }

  @Override
  public String and(String a, String b) {
    return p(a + " && " + b);
  }

  @Override
  public String or(String a, String b) {
    return p(a + " || " + b);
  }

  @Override
  public String not(String a) {
    return p("!" + a);
  }

  @Override
  public String ldexp(String x, String k) {
    String ki = def("int", "clamp(convert_int_sat_rtz(" + k + "), -2200, 2200)");
    String k1 = def("int", ki + " / 3");
    String rest = def("int", ki + " - " + k1);
    String k2 = def("int", rest + " / 2");
    String k3 = def("int", rest + " - " + k2);
    String v = x;
    for (String part : new String[] {k1, k2, k3}) {
      v = d(v + " * as_double((long)(" + part + " + 1023) << 52)");
    }
    return v;
  }

  @Override
  public String exponent(String x) {
    return d("(double)((int)((as_ulong(" + x + ") >> 52) & 0x7ffUL) - 1023)");
  }

  @Override
  public String mantissa(String x) {
    return d("as_double((as_ulong(" + x + ") & 0x000FFFFFFFFFFFFFUL) | 0x3FF0000000000000UL)");
  }

  @Override
  public String loopWhile(String state, Function<String, String> cond, UnaryOperator<String> body) {
    String v = d(state);
    s.append(indent).append("for (;;) {\n");
    String p = cond.apply(v); // declared inside the loop: only v outlives it
    s.append(indent).append("if (!").append(p).append(") break;\n");
    String next = body.apply(v);
    s.append(indent).append(v).append(" = ").append(next).append(";\n");
    s.append(indent).append("}\n");
    return v;
  }
}
