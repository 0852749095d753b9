package dev.arbor.core.primitives;

import static dev.arbor.core.primitives.Shapes.arity;
import static dev.arbor.core.primitives.Shapes.requireFloat;
import static dev.arbor.core.primitives.Shapes.sameShapeAndType;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.Batched;
import dev.arbor.core.Primitive.JvpResult;
import dev.arbor.core.Primitive.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * Elementwise primitives: operands of equal shape and dtype (the {@code Ops} layer broadcasts and
 * promotes before binding). Each is declared once with its shape rule, reference kernel, JVP rule
 * and, when linear, transpose rule; all share the elementwise batching rule.
 */
public final class Elementwise {
  private Elementwise() {}

  /** The tangent of a unary op, linear in {@code t}: {@code x} input, {@code y} output. */
  @FunctionalInterface
  interface UnaryJvp {
    Tensor tangent(Tensor x, Tensor y, Tensor t);
  }

  /** One operand's contribution to a binary op's tangent, linear in {@code t}. */
  @FunctionalInterface
  interface PartialJvp {
    Tensor tangent(Tensor x, Tensor y, Tensor out, Tensor t);
  }

  // ---------------------------------------------------------------- builders

  static Primitive unary(
      String name, boolean floatOnly, DoubleUnaryOperator f, LongUnaryOperator fi) {
    return elementwise(name)
        .shapeRule(
            (in, p) -> {
              arity(name, in, 1);
              if (floatOnly) {
                requireFloat(name, in.get(0));
              } else if (fi == null && !in.get(0).dtype().isFloating()) {
                requireFloat(name, in.get(0));
              } else if (in.get(0).dtype() == DType.BOOL) {
                throw new IllegalArgumentException(
                    "'" + name + "' is not defined on bool tensors, got " + in.get(0));
              }
              return List.of(in.get(0));
            })
        .reference(
            (in, p, out) -> {
              HostArray x = in.get(0);
              HostArray r = HostArray.zeros(out.get(0));
              if (x.dtype().isFloating()) {
                double[] d = x.doubles();
                for (int k = 0; k < d.length; k++) {
                  r.setDouble(k, f.applyAsDouble(d[k]));
                }
              } else {
                long[] d = x.longs();
                for (int k = 0; k < d.length; k++) {
                  r.setLong(k, fi.applyAsLong(d[k]));
                }
              }
              return List.of(r);
            });
  }

  static Primitive unary(String name, DoubleUnaryOperator f, UnaryJvp jvp) {
    Primitive p = unary(name, true, f, null);
    return p.jvp(
        (x, t, params) -> {
          Tensor y = p.bind1(params, x.get(0));
          return JvpResult.of(y, t.get(0) == null ? null : jvp.tangent(x.get(0), y, t.get(0)));
        });
  }

  /** A unary op whose derivative is zero almost everywhere (floor, sign, …). */
  static Primitive piecewiseConstant(String name, DoubleUnaryOperator f, LongUnaryOperator fi) {
    Primitive p = unary(name, false, f, fi);
    return p.jvp((x, t, params) -> JvpResult.of(p.bind1(params, x.get(0)), null));
  }

  static Primitive binary(
      String name, DoubleBinaryOperator f, LongBinaryOperator fi, PartialJvp dx, PartialJvp dy) {
    Primitive p =
        elementwise(name)
            .shapeRule(
                (in, params) -> {
                  arity(name, in, 2);
                  AbstractValue a = sameShapeAndType(name, in);
                  if (fi == null) {
                    requireFloat(name, a);
                  } else if (a.dtype() == DType.BOOL && f != null) {
                    throw new IllegalArgumentException(
                        "'" + name + "' is not defined on bool tensors, got " + in);
                  }
                  return List.of(a);
                })
            .reference(
                (in, params, out) -> {
                  HostArray x = in.get(0);
                  HostArray y = in.get(1);
                  HostArray r = HostArray.zeros(out.get(0));
                  if (x.dtype().isFloating()) {
                    double[] a = x.doubles();
                    double[] b = y.doubles();
                    for (int k = 0; k < a.length; k++) {
                      r.setDouble(k, f.applyAsDouble(a[k], b[k]));
                    }
                  } else {
                    long[] a = x.longs();
                    long[] b = y.longs();
                    for (int k = 0; k < a.length; k++) {
                      r.setLong(k, fi.applyAsLong(a[k], b[k]));
                    }
                  }
                  return List.of(r);
                });
    if (dx != null) {
      p.jvp(
          (xs, ts, params) -> {
            Tensor x = xs.get(0);
            Tensor y = xs.get(1);
            Tensor out = p.bind1(params, x, y);
            Tensor tx = ts.get(0) == null ? null : dx.tangent(x, y, out, ts.get(0));
            Tensor ty = ts.get(1) == null ? null : dy.tangent(x, y, out, ts.get(1));
            return JvpResult.of(out, AdMath.addTangents(tx, ty));
          });
    }
    return p;
  }

  static Primitive comparison(String name, DoubleBinaryOperator f, LongBinaryOperator fi) {
    Primitive p =
        elementwise(name)
            .shapeRule(
                (in, params) -> {
                  arity(name, in, 2);
                  AbstractValue a = sameShapeAndType(name, in);
                  return List.of(Shapes.withType(a, DType.BOOL));
                })
            .reference(
                (in, params, out) -> {
                  HostArray x = in.get(0);
                  HostArray y = in.get(1);
                  HostArray r = HostArray.zeros(out.get(0));
                  for (int k = 0; k < x.size(); k++) {
                    boolean b =
                        x.dtype().isFloating()
                            ? f.applyAsDouble(x.getDouble(k), y.getDouble(k)) != 0
                            : fi.applyAsLong(x.getLong(k), y.getLong(k)) != 0;
                    r.setLong(k, b ? 1 : 0);
                  }
                  return List.of(r);
                });
    return p.jvp((xs, ts, params) -> JvpResult.of(p.bind1(params, xs.get(0), xs.get(1)), null));
  }

  /** A new primitive with the elementwise batching rule. */
  static Primitive elementwise(String name) {
    Primitive p = Primitive.single(name).kind(Primitive.Kind.ELEMENTWISE);
    return p.batch((args, dims, params) -> batchElementwise(p, args, dims, params));
  }

  /**
   * The batching rule shared by all elementwise primitives: move every batch axis to the front,
   * broadcast unbatched operands along it, apply the primitive once.
   */
  public static Batched batchElementwise(
      Primitive p, List<Tensor> args, int[] dims, Params params) {
    int size = -1;
    for (int k = 0; k < args.size(); k++) {
      if (dims[k] != Primitive.NOT_MAPPED) {
        size = args.get(k).shape().dim(dims[k]);
      }
    }
    List<Tensor> moved = new ArrayList<>(args.size());
    for (int k = 0; k < args.size(); k++) {
      moved.add(Structural.batchAxisToFront(args.get(k), dims[k], size));
    }
    return Batched.of(p.bind(moved, params).get(0), 0);
  }

  // ---------------------------------------------------------------- unary

  public static final Primitive NEG =
      unary("neg", false, x -> -x, x -> -x)
          .jvp((x, t, p) -> JvpResult.of(neg(x.get(0)), t.get(0) == null ? null : neg(t.get(0))))
          .transpose((ct, args, p) -> Arrays.asList(ct.get(0) == null ? null : neg(ct.get(0))));

  public static final Primitive EXP = unary("exp", Math::exp, (x, y, t) -> mul(t, y));
  public static final Primitive LOG = unary("log", Math::log, (x, y, t) -> div(t, x));
  public static final Primitive TANH =
      unary("tanh", Math::tanh, (x, y, t) -> mul(t, sub(AdMath.onesLike(y), mul(y, y))));
  public static final Primitive SIN = unary("sin", Math::sin, (x, y, t) -> mul(t, cos(x)));
  public static final Primitive COS = unary("cos", Math::cos, (x, y, t) -> neg(mul(t, sin(x))));

  // ---------------------------------------------------------------- binary

  public static final Primitive ADD =
      binary("add", Double::sum, Long::sum, (x, y, o, t) -> t, (x, y, o, t) -> t)
          .transpose(
              (ct, args, p) ->
                  Arrays.asList(linearOr(args, 0, ct.get(0)), linearOr(args, 1, ct.get(0))));

  public static final Primitive SUB =
      binary("sub", (a, b) -> a - b, (a, b) -> a - b, (x, y, o, t) -> t, (x, y, o, t) -> neg(t))
          .transpose(
              (ct, args, p) ->
                  Arrays.asList(
                      linearOr(args, 0, ct.get(0)),
                      linearOr(args, 1, ct.get(0) == null ? null : neg(ct.get(0)))));

  public static final Primitive MUL =
      binary(
              "mul",
              (a, b) -> a * b,
              (a, b) -> a * b,
              (x, y, o, t) -> mul(t, y),
              (x, y, o, t) -> mul(x, t))
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                if (args.get(0) instanceof Linear && args.get(1) instanceof Linear) {
                  throw new UnsupportedOperationException(
                      "'mul' of two tangents is not linear and cannot be transposed");
                }
                if (c == null) {
                  return Arrays.asList(null, null);
                }
                return args.get(0) instanceof Linear
                    ? Arrays.asList(mul(c, (Tensor) args.get(1)), null)
                    : Arrays.asList(null, mul((Tensor) args.get(0), c));
              });

  public static final Primitive DIV =
      binary(
              "div",
              (a, b) -> a / b,
              Elementwise::intDiv,
              (x, y, o, t) -> div(t, y),
              (x, y, o, t) -> neg(mul(t, div(o, y))))
          .transpose(
              (ct, args, p) -> {
                if (args.get(1) instanceof Linear) {
                  throw new UnsupportedOperationException(
                      "'div' is linear in its numerator only; a tangent reached the denominator");
                }
                Tensor c = ct.get(0);
                return Arrays.asList(c == null ? null : div(c, (Tensor) args.get(1)), null);
              });

  // Where x == y the derivative is split evenly between the operands, as JAX does.
  public static final Primitive MAX =
      binary(
          "max",
          Math::max,
          Math::max,
          (x, y, o, t) -> mul(t, AdMath.chooserWeight(gt(x, y), eq(x, y), x.dtype())),
          (x, y, o, t) -> mul(t, AdMath.chooserWeight(lt(x, y), eq(x, y), x.dtype())));

  public static final Primitive MIN =
      binary(
          "min",
          Math::min,
          Math::min,
          (x, y, o, t) -> mul(t, AdMath.chooserWeight(lt(x, y), eq(x, y), x.dtype())),
          (x, y, o, t) -> mul(t, AdMath.chooserWeight(gt(x, y), eq(x, y), x.dtype())));

  /** {@code pow(x, y)} for floats. */
  public static final Primitive POW =
      binary(
          "pow",
          Math::pow,
          null,
          (x, y, o, t) -> mul(t, mul(y, pow(x, sub(y, AdMath.onesLike(y))))),
          (x, y, o, t) -> mul(t, mul(o, log(x))));

  public static Tensor pow(Tensor x, Tensor y) {
    return POW.bind1(x, y);
  }

  static long intDiv(long a, long b) {
    if (b == 0) {
      throw new ArithmeticException("integer division by zero in 'div'");
    }
    return a / b;
  }

  // ---------------------------------------------------------------- comparisons

  public static final Primitive EQ =
      comparison("eq", (a, b) -> a == b ? 1 : 0, (a, b) -> a == b ? 1 : 0);
  public static final Primitive NE =
      comparison("ne", (a, b) -> a != b ? 1 : 0, (a, b) -> a != b ? 1 : 0);
  public static final Primitive LT =
      comparison("lt", (a, b) -> a < b ? 1 : 0, (a, b) -> a < b ? 1 : 0);
  public static final Primitive LE =
      comparison("le", (a, b) -> a <= b ? 1 : 0, (a, b) -> a <= b ? 1 : 0);
  public static final Primitive GT =
      comparison("gt", (a, b) -> a > b ? 1 : 0, (a, b) -> a > b ? 1 : 0);
  public static final Primitive GE =
      comparison("ge", (a, b) -> a >= b ? 1 : 0, (a, b) -> a >= b ? 1 : 0);

  // ---------------------------------------------------------------- select, convert

  /** {@code select(pred, onTrue, onFalse)}: pred BOOL, branches of equal shape and dtype. */
  public static final Primitive SELECT =
      elementwise("select")
          .shapeRule(
              (in, p) -> {
                arity("select", in, 3);
                AbstractValue pred = in.get(0);
                AbstractValue a = sameShapeAndType("select", in.subList(1, 3));
                if (pred.dtype() != DType.BOOL || !pred.shape().equals(a.shape())) {
                  throw new IllegalArgumentException(
                      "'select' needs a bool predicate of the branches' shape "
                          + a.shape()
                          + ", got "
                          + pred
                          + "; Ops.where broadcasts for you");
                }
                return List.of(a);
              })
          .reference(
              (in, p, out) -> {
                HostArray c = in.get(0);
                HostArray r = HostArray.zeros(out.get(0));
                for (int k = 0; k < r.size(); k++) {
                  r.copyElement(c.getLong(k) != 0 ? in.get(1) : in.get(2), k, k);
                }
                return List.of(r);
              })
          .jvp(
              (x, t, p) -> {
                Tensor out = select(x.get(0), x.get(1), x.get(2));
                if (t.get(1) == null && t.get(2) == null) {
                  return JvpResult.of(out, null);
                }
                Tensor ta = t.get(1) == null ? AdMath.zerosLike(x.get(1)) : t.get(1);
                Tensor tb = t.get(2) == null ? AdMath.zerosLike(x.get(2)) : t.get(2);
                return JvpResult.of(out, select(x.get(0), ta, tb));
              })
          .transpose(
              (ct, args, p) -> {
                Tensor pred = (Tensor) args.get(0);
                Tensor c = ct.get(0);
                if (c == null) {
                  return Arrays.asList(null, null, null);
                }
                Tensor z = AdMath.zerosLike(c);
                return Arrays.asList(
                    null,
                    args.get(1) instanceof Linear ? select(pred, c, z) : null,
                    args.get(2) instanceof Linear ? select(pred, z, c) : null);
              });

  /** {@code convert[dtype=D]}: changes the element type. */
  public static final Primitive CONVERT =
      elementwise("convert")
          .shapeRule(
              (in, p) -> {
                arity("convert", in, 1);
                return List.of(Shapes.withType(in.get(0), p.get("dtype", DType.class)));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                HostArray r = HostArray.zeros(out.get(0));
                for (int k = 0; k < x.size(); k++) {
                  if (x.dtype().isFloating()) {
                    r.setDouble(k, x.getDouble(k));
                  } else {
                    r.setLong(k, x.getLong(k));
                  }
                }
                return List.of(r);
              })
          .jvp(
              (x, t, p) -> {
                DType to = p.get("dtype", DType.class);
                Tensor out = convert(x.get(0), to);
                boolean differentiable = x.get(0).dtype().isFloating() && to.isFloating();
                return JvpResult.of(
                    out, t.get(0) == null || !differentiable ? null : convert(t.get(0), to));
              })
          .transpose(
              (ct, args, p) -> {
                Tensor c = ct.get(0);
                DType from = ((Linear) args.get(0)).aval().dtype();
                return Arrays.asList(c == null ? null : convert(c, from));
              });

  private static Tensor linearOr(List<Object> args, int k, Tensor ct) {
    return args.get(k) instanceof Linear ? ct : null;
  }

  // ---------------------------------------------------------------- binders

  public static Tensor neg(Tensor x) {
    return NEG.bind1(x);
  }

  public static Tensor exp(Tensor x) {
    return EXP.bind1(x);
  }

  public static Tensor log(Tensor x) {
    return LOG.bind1(x);
  }

  public static Tensor tanh(Tensor x) {
    return TANH.bind1(x);
  }

  public static Tensor sin(Tensor x) {
    return SIN.bind1(x);
  }

  public static Tensor cos(Tensor x) {
    return COS.bind1(x);
  }

  public static Tensor add(Tensor x, Tensor y) {
    return ADD.bind1(x, y);
  }

  public static Tensor sub(Tensor x, Tensor y) {
    return SUB.bind1(x, y);
  }

  public static Tensor mul(Tensor x, Tensor y) {
    return MUL.bind1(x, y);
  }

  public static Tensor div(Tensor x, Tensor y) {
    return DIV.bind1(x, y);
  }

  public static Tensor max(Tensor x, Tensor y) {
    return MAX.bind1(x, y);
  }

  public static Tensor min(Tensor x, Tensor y) {
    return MIN.bind1(x, y);
  }

  public static Tensor eq(Tensor x, Tensor y) {
    return EQ.bind1(x, y);
  }

  public static Tensor lt(Tensor x, Tensor y) {
    return LT.bind1(x, y);
  }

  public static Tensor gt(Tensor x, Tensor y) {
    return GT.bind1(x, y);
  }

  /** {@code x != 0} as BOOL. */
  public static Tensor ne0(Tensor x) {
    return NE.bind1(x, AdMath.zerosLike(x));
  }

  public static Tensor select(Tensor pred, Tensor onTrue, Tensor onFalse) {
    return SELECT.bind1(pred, onTrue, onFalse);
  }

  public static Tensor convert(Tensor x, DType to) {
    return x.dtype() == to ? x : CONVERT.bind1(Params.of("dtype", to), x);
  }

  // ================================================================ more math (prims-a)

  /** A binary op on integer (and, where {@code allowBool}, boolean) operands; no derivative. */
  @FunctionalInterface
  interface IntegralOp {
    long apply(long a, long b, DType t);
  }

  static Primitive integral(String name, boolean allowBool, IntegralOp f) {
    Primitive p =
        elementwise(name)
            .shapeRule(
                (in, params) -> {
                  arity(name, in, 2);
                  AbstractValue a = sameShapeAndType(name, in);
                  requireIntegral(name, a, allowBool);
                  return List.of(a);
                })
            .reference(
                (in, params, out) -> {
                  long[] a = in.get(0).longs();
                  long[] b = in.get(1).longs();
                  DType t = in.get(0).dtype();
                  HostArray r = HostArray.zeros(out.get(0));
                  for (int k = 0; k < a.length; k++) {
                    r.setLong(k, f.apply(a[k], b[k], t));
                  }
                  return List.of(r);
                });
    return p.jvp((xs, ts, params) -> JvpResult.of(p.bind1(params, xs.get(0), xs.get(1)), null));
  }

  private static void requireIntegral(String name, AbstractValue a, boolean allowBool) {
    if (a.dtype().isFloating() || (!allowBool && a.dtype() == DType.BOOL)) {
      throw new IllegalArgumentException(
          "'"
              + name
              + "' needs "
              + (allowBool ? "integer or bool" : "integer")
              + " operands, got "
              + a
              + (a.dtype().isFloating() ? "; convert with astype(DType.I32)" : ""));
    }
  }

  /** Numerically stable logistic function {@code 1 / (1 + exp(-x))}. */
  static double logistic(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  public static final Primitive LOG1P =
      unary("log1p", Math::log1p, (x, y, t) -> div(t, add(AdMath.onesLike(x), x)));
  public static final Primitive EXPM1 =
      unary("expm1", Math::expm1, (x, y, t) -> mul(t, add(y, AdMath.onesLike(y))));

  /** The sigmoid {@code 1 / (1 + exp(-x))} (JAX's {@code lax.logistic}). */
  public static final Primitive LOGISTIC =
      unary(
          "logistic",
          Elementwise::logistic,
          (x, y, t) -> mul(t, mul(y, sub(AdMath.onesLike(y), y))));

  public static final Primitive SQRT =
      unary("sqrt", Math::sqrt, (x, y, t) -> div(t, mul(AdMath.fullLike(y, 2), y)));

  /** {@code 1 / sqrt(x)}. */
  public static final Primitive RSQRT =
      unary(
          "rsqrt",
          v -> 1 / Math.sqrt(v),
          (x, y, t) -> mul(t, mul(AdMath.fullLike(y, -0.5), div(y, x))));

  /**
   * The inverse error function on (-1, 1) (±inf at ±1, NaN outside), computed in double with Giles'
   * approximation ("Approximating the erfinv function", GPU Computing Gems Jade, 2011), relative
   * error below 1e-15 on most of the domain.
   */
  public static final Primitive ERF_INV =
      unary(
          "erf_inv",
          Elementwise::erfInv,
          (x, y, t) -> mul(t, mul(AdMath.fullLike(y, Math.sqrt(Math.PI) / 2), exp(mul(y, y)))));

  /** {@code |x|}; on integers {@code abs(MIN_VALUE)} wraps to {@code MIN_VALUE}, as in C. */
  public static final Primitive ABS = unary("abs", false, Math::abs, Math::abs);

  static {
    ABS.jvp(
        (x, t, p) ->
            JvpResult.of(abs(x.get(0)), t.get(0) == null ? null : mul(t.get(0), sign(x.get(0)))));
  }

  /** -1, 0 or 1 (NaN stays NaN; -0.0 stays -0.0); integers too. Derivative zero. */
  public static final Primitive SIGN = piecewiseConstant("sign", Math::signum, Long::signum);

  /** Floats only ({@code Ops.floor} returns integer tensors unchanged). */
  public static final Primitive FLOOR = piecewiseConstant("floor", Math::floor, null);

  public static final Primitive CEIL = piecewiseConstant("ceil", Math::ceil, null);

  /**
   * Rounds half to even, as numpy's and {@code jnp.round} do (not {@code lax.round}'s default of
   * half away from zero): 0.5 → 0, 1.5 → 2, -2.5 → -2.
   */
  public static final Primitive ROUND = piecewiseConstant("round", Math::rint, null);

  /** {@code atan2(x, y)}: the angle of the point (y, x), as {@code Math.atan2(x, y)}. */
  public static final Primitive ATAN2 =
      binary(
          "atan2",
          Math::atan2,
          null,
          (x, y, o, t) -> mul(t, div(y, add(mul(x, x), mul(y, y)))),
          (x, y, o, t) -> neg(mul(t, div(x, add(mul(x, x), mul(y, y))))));

  /**
   * C-style remainder {@code x - y * trunc(x / y)}: the sign of the dividend, as {@code lax.rem}
   * and Java's {@code %} (numpy's {@code mod} differs for negative operands). Integer division by
   * zero fails. JVP: {@code dx - dy * trunc(x / y)}.
   */
  public static final Primitive REM =
      binary(
          "rem",
          (a, b) -> a % b,
          Elementwise::intRem,
          (x, y, o, t) -> t,
          (x, y, o, t) -> neg(mul(t, trunc(div(x, y)))));

  static long intRem(long a, long b) {
    if (b == 0) {
      throw new ArithmeticException("integer remainder by zero in 'rem'");
    }
    return a % b;
  }

  private static Tensor trunc(Tensor q) {
    return select(ge(q, AdMath.zerosLike(q)), floor(q), ceil(q));
  }

  /** Bitwise and; logical and on bool. */
  public static final Primitive AND = integral("and", true, (a, b, t) -> a & b);

  /** Bitwise or; logical or on bool. */
  public static final Primitive OR = integral("or", true, (a, b, t) -> a | b);

  /** Bitwise exclusive or; logical xor on bool. */
  public static final Primitive XOR = integral("xor", true, (a, b, t) -> a ^ b);

  /** Bitwise complement; logical not on bool. */
  public static final Primitive NOT =
      elementwise("not")
          .shapeRule(
              (in, p) -> {
                arity("not", in, 1);
                requireIntegral("not", in.get(0), true);
                return List.of(in.get(0));
              })
          .reference(
              (in, p, out) -> {
                HostArray x = in.get(0);
                HostArray r = HostArray.zeros(out.get(0));
                boolean bool = x.dtype() == DType.BOOL;
                for (int k = 0; k < r.size(); k++) {
                  r.setLong(k, bool ? 1 - x.getLong(k) : ~x.getLong(k));
                }
                return List.of(r);
              });

  static {
    NOT.jvp((x, t, p) -> JvpResult.of(not(x.get(0)), null));
  }

  /**
   * {@code x << y} on integers; shifts of the bit width or more (or negative) give 0, as in {@code
   * lax.shift_left}.
   */
  public static final Primitive SHIFT_LEFT =
      integral("shift_left", false, (a, b, t) -> b < 0 || b >= bits(t) ? 0 : a << b);

  /**
   * {@code x >>> y} on integers, treating them as unsigned of their width (so an I32 holding uint32
   * bits shifts as uint32); shifts of the bit width or more give 0.
   */
  public static final Primitive SHIFT_RIGHT_LOGICAL =
      integral(
          "shift_right_logical",
          false,
          (a, b, t) -> b < 0 || b >= bits(t) ? 0 : (t == DType.I32 ? a & 0xFFFFFFFFL : a) >>> b);

  private static int bits(DType t) {
    return t == DType.I32 ? 32 : 64;
  }

  /** Giles' double-precision erfinv; see {@link #ERF_INV}. */
  static double erfInv(double x) {
    if (Double.isNaN(x) || x < -1 || x > 1) {
      return Double.NaN;
    }
    if (x == 1 || x == -1) {
      return x * Double.POSITIVE_INFINITY;
    }
    double w = -Math.log((1.0 - x) * (1.0 + x));
    double[] c;
    if (w < 6.25) {
      w -= 3.125;
      c = ErfInvPolynomials.CENTRAL;
    } else if (w < 16.0) {
      w = Math.sqrt(w) - 3.25;
      c = ErfInvPolynomials.TAIL;
    } else {
      w = Math.sqrt(w) - 5.0;
      c = ErfInvPolynomials.FAR_TAIL;
    }
    double p = c[0];
    for (int k = 1; k < c.length; k++) {
      p = c[k] + p * w;
    }
    return p * x;
  }

  // ---------------------------------------------------------------- binders (prims-a)

  public static Tensor log1p(Tensor x) {
    return LOG1P.bind1(x);
  }

  public static Tensor expm1(Tensor x) {
    return EXPM1.bind1(x);
  }

  public static Tensor logistic(Tensor x) {
    return LOGISTIC.bind1(x);
  }

  public static Tensor sqrt(Tensor x) {
    return SQRT.bind1(x);
  }

  public static Tensor rsqrt(Tensor x) {
    return RSQRT.bind1(x);
  }

  public static Tensor erfInv(Tensor x) {
    return ERF_INV.bind1(x);
  }

  public static Tensor abs(Tensor x) {
    return ABS.bind1(x);
  }

  public static Tensor sign(Tensor x) {
    return SIGN.bind1(x);
  }

  public static Tensor floor(Tensor x) {
    return FLOOR.bind1(x);
  }

  public static Tensor ceil(Tensor x) {
    return CEIL.bind1(x);
  }

  public static Tensor round(Tensor x) {
    return ROUND.bind1(x);
  }

  public static Tensor atan2(Tensor x, Tensor y) {
    return ATAN2.bind1(x, y);
  }

  public static Tensor rem(Tensor x, Tensor y) {
    return REM.bind1(x, y);
  }

  public static Tensor and(Tensor x, Tensor y) {
    return AND.bind1(x, y);
  }

  public static Tensor or(Tensor x, Tensor y) {
    return OR.bind1(x, y);
  }

  public static Tensor xor(Tensor x, Tensor y) {
    return XOR.bind1(x, y);
  }

  public static Tensor not(Tensor x) {
    return NOT.bind1(x);
  }

  public static Tensor shiftLeft(Tensor x, Tensor y) {
    return SHIFT_LEFT.bind1(x, y);
  }

  public static Tensor shiftRightLogical(Tensor x, Tensor y) {
    return SHIFT_RIGHT_LOGICAL.bind1(x, y);
  }

  public static Tensor ne(Tensor x, Tensor y) {
    return NE.bind1(x, y);
  }

  public static Tensor le(Tensor x, Tensor y) {
    return LE.bind1(x, y);
  }

  public static Tensor ge(Tensor x, Tensor y) {
    return GE.bind1(x, y);
  }
}
