package dev.arbor.gpu.ir;

import dev.arbor.array.DType;

/**
 * One value of a {@link LoopKernel}'s body, in SSA form: operands are indices of earlier values of
 * the same body. Every value has one element type; emitters map it to a register or a local
 * variable.
 */
public sealed interface Op {
  /** The element type of the value. */
  DType type();

  /** Elementwise functions of one operand. */
  enum UnaryFn {
    NEG,
    ABS,
    SIGN,
    EXP,
    LOG,
    LOG1P,
    EXPM1,
    TANH,
    LOGISTIC,
    SIN,
    COS,
    SQRT,
    RSQRT,
    FLOOR,
    CEIL,
    ROUND,
    NOT,
    /** The inverse error function ({@link DoubleMath#erfInv}); floats only. */
    ERF_INV
  }

  /** Elementwise functions of two operands of one type. */
  enum BinaryFn {
    ADD,
    SUB,
    MUL,
    DIV,
    MAX,
    MIN,
    POW,
    ATAN2,
    REM,
    AND,
    OR,
    XOR,
    /**
     * {@code a << b} on integers; a count {@code b} outside {@code [0, width)} gives 0 (the
     * reference's {@code shift_left}).
     */
    SHIFT_LEFT,
    /**
     * {@code a >>> b} on integers taken as unsigned of their width; a count outside {@code [0,
     * width)} gives 0 (the reference's {@code shift_right_logical}).
     */
    SHIFT_RIGHT_LOGICAL
  }

  /** Comparisons; the result is BOOL. {@code NE} is true when either operand is NaN. */
  enum CompareFn {
    EQ,
    NE,
    LT,
    LE,
    GT,
    GE
  }

  /** Reductions with their identity element. */
  enum ReduceFn {
    SUM,
    MAX,
    MIN,
    PROD
  }

  /**
   * Reads input {@code input} at the current point of the domain. {@code strides} (one per domain
   * axis, in elements, 0 where the input is broadcast) gives the input's offset as {@code sum(c[d]
   * * strides[d])}; an empty array means the input has the domain's shape and is read at the linear
   * index.
   */
  record Load(DType type, int input, int[] strides) implements Op {
    public Load {
      strides = strides.clone();
    }

    @Override
    public int[] strides() {
      return strides.clone();
    }

    /** Whether the input is read at the domain's linear index. */
    public boolean isLinear() {
      return strides.length == 0;
    }
  }

  /** {@code fn(arg)}. */
  record Unary(DType type, UnaryFn fn, int arg) implements Op {}

  /** {@code fn(a, b)} with both operands of {@code type}. */
  record Binary(DType type, BinaryFn fn, int a, int b) implements Op {}

  /** {@code a fn b} on operands of type {@code operandType}; the result is BOOL. */
  record Compare(CompareFn fn, DType operandType, int a, int b) implements Op {
    @Override
    public DType type() {
      return DType.BOOL;
    }
  }

  /** {@code pred ? a : b}, {@code pred} BOOL. */
  record Select(DType type, int pred, int a, int b) implements Op {}

  /** Converts {@code arg} (of type {@code from}) to {@code type}, with Java's cast semantics. */
  record Convert(DType type, DType from, int arg) implements Op {}

  /**
   * The current point's coordinate along domain axis {@code axis}, as I32 (the domain has fewer
   * than 2^31 points). With {@link Constant}, integer {@link Binary} ops and {@link LoadAt} it
   * expresses index arithmetic: slices, padding, concatenation, dynamic windows, iota.
   */
  record Index(int axis) implements Op {
    @Override
    public DType type() {
      return DType.I32;
    }
  }

  /** An integer constant of type I32, I64 or BOOL (0 or 1). */
  record Constant(DType type, long value) implements Op {
    public Constant {
      if (type.isFloating()) {
        throw new IllegalArgumentException("integer constants only, got " + type);
      }
    }
  }

  /**
   * Reads input {@code input} at the linear element index held by body value {@code index} (I32),
   * where body value {@code guard} (BOOL) is true; elsewhere the value is 0 and no memory is read,
   * so the index may then be out of range. {@code guard} -1: always read (the index must then be in
   * range).
   */
  record LoadAt(DType type, int input, int index, int guard) implements Op {}
}
