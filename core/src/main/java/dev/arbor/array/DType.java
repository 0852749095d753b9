package dev.arbor.array;

/**
 * Element types. Promotion between two tensors takes the larger in the order {@code BOOL < I32 <
 * I64 < F32 < F64} (as JAX does, an integer meeting a float becomes that float type).
 */
public enum DType {
  F32("f32", 4),
  F64("f64", 8),
  I32("i32", 4),
  I64("i64", 8),
  BOOL("bool", 1);

  private final String shortName;
  private final int byteSize;

  DType(String shortName, int byteSize) {
    this.shortName = shortName;
    this.byteSize = byteSize;
  }

  /** {@code f32}, {@code i64}, … as printed in graphs. */
  public String shortName() {
    return shortName;
  }

  /** Size of one element in bytes. */
  public int byteSize() {
    return byteSize;
  }

  /** True for F32 and F64. */
  public boolean isFloating() {
    return this == F32 || this == F64;
  }

  /** True for I32 and I64. */
  public boolean isInteger() {
    return this == I32 || this == I64;
  }

  private int rank() {
    return switch (this) {
      case BOOL -> 0;
      case I32 -> 1;
      case I64 -> 2;
      case F32 -> 3;
      case F64 -> 4;
    };
  }

  /** The promoted type of two operands. */
  public static DType promote(DType a, DType b) {
    return a.rank() >= b.rank() ? a : b;
  }
}
