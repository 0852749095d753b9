package dev.arbor.array;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.core.Params;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Sorting;
import dev.arbor.core.primitives.Threefry;
import dev.arbor.transform.ad.Ad;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Promotion, broadcasting, integer semantics and error messages of the prims-a op surface. */
class OpsSurfaceTest {
  static final Tensor F = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
  static final Tensor I = Tensor.of(1, 2, 3);

  // ------------------------------------------------------------ promotion and broadcasting

  record Promo(String name, Supplier<Tensor> op, DType dtype, int... dims) {}

  @TestFactory
  Stream<DynamicTest> promotionAndBroadcasting() {
    Tensor i31 = Tensor.of(1, 2, 3).reshape(3, 1);
    Tensor f4 = Tensor.of(1f, 2f, 3f, 4f);
    Tensor l4 = Tensor.of(1L, 2L, 3L, 4L);
    Tensor b4 = Tensor.of(1, 0, 1, 0).astype(DType.BOOL);
    return Stream.of(
            new Promo("atan2 i32 x f32", () -> Ops.atan2(i31, f4), DType.F32, 3, 4),
            new Promo("rem i32 x i64", () -> Ops.rem(i31, l4), DType.I64, 3, 4),
            new Promo("less i32 x f32", () -> Ops.less(i31, f4), DType.BOOL, 3, 4),
            new Promo("equal bool x i64", () -> Ops.equal(b4, l4), DType.BOOL, 4),
            new Promo("bitwiseAnd i32 x i64", () -> Ops.bitwiseAnd(i31, l4), DType.I64, 3, 4),
            new Promo("logicalOr f32 x bool", () -> Ops.logicalOr(f4, b4), DType.BOOL, 4),
            new Promo("sqrt i32", () -> Ops.sqrt(I), DType.F32, 3),
            new Promo("abs i32 stays i32", () -> Ops.abs(I), DType.I32, 3),
            new Promo("floor i64 unchanged", () -> Ops.floor(l4), DType.I64, 4),
            new Promo("sigmoid f64", () -> Ops.sigmoid(F), DType.F64, 2, 3),
            new Promo("cumsum bool counts", () -> Ops.cumsum(b4, 0), DType.I32, 4),
            new Promo("min keeps dtype", () -> Ops.min(l4), DType.I64),
            new Promo("prod over axis", () -> Ops.prod(F, 1), DType.F64, 2),
            new Promo("argmax", () -> Ops.argmax(F, 0), DType.I32, 3),
            new Promo("logSumExp keepDims", () -> Ops.logSumExp(F, 1, true), DType.F64, 2, 1),
            new Promo("softmax", () -> Ops.softmax(F, 0), DType.F64, 2, 3),
            new Promo("oneHot", () -> Ops.oneHot(I, 4), DType.F32, 3, 4),
            new Promo("weak double on i32", () -> I.mul(2.0), DType.F32, 3),
            new Promo("weak long on f32", () -> f4.add(1L), DType.F32, 4))
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.name(),
                    () -> {
                      Tensor t = c.op().get();
                      assertEquals(c.dtype(), t.dtype(), c.name());
                      assertEquals(Shape.of(c.dims()), t.shape(), c.name());
                    }));
  }

  // ------------------------------------------------------------ values and integer semantics

  @Test
  void sizeZeroAxesBroadcastLikeNumpy() {
    // A size-1 axis stretches to any size, 0 included: [4,0] * [4,1] is [4,0].
    assertEquals(Shape.of(4, 0), Ops.broadcastShapes("mul", Shape.of(4, 0), Shape.of(4, 1)));
    assertEquals(Shape.of(4, 0), Ops.broadcastShapes("mul", Shape.of(1, 0), Shape.of(4, 1)));
    assertEquals(Shape.of(0, 3), Ops.broadcastShapes("add", Shape.of(3), Shape.of(0, 1)));
    Tensor r = Ops.mul(Tensor.zeros(4, 0), Tensor.zeros(4, 1));
    assertArrayEquals(new int[] {4, 0}, r.shape().dims());
    assertThrows(
        IllegalArgumentException.class, () -> Ops.broadcastShapes("add", Shape.of(0), Shape.of(2)));
  }

  @Test
  void integerSemantics() {
    Tensor big = Tensor.of(Integer.MAX_VALUE, Integer.MIN_VALUE, -7);
    assertArrayEquals(new long[] {-2, 0, -14}, big.mul(2L).toLongArray(), "I32 wraps");
    assertArrayEquals(
        new long[] {Integer.MAX_VALUE, Integer.MIN_VALUE, 7}, Ops.abs(big).toLongArray());
    assertArrayEquals(
        new long[] {-1, 1, -1}, Ops.rem(Tensor.of(-7, 7, -7), Tensor.of(3, -3, -3)).toLongArray());
    assertArrayEquals(new long[] {0, 0, -1}, Ops.sign(Tensor.of(0L, 0L, -5L)).toLongArray());
    assertArrayEquals(
        new long[] {15, 0, 1},
        Elementwise.shiftRightLogical(Tensor.of(-1, -1, 2), Tensor.of(28, 32, 1)).toLongArray());
    assertArrayEquals(new long[] {-2, -3, 6}, Ops.bitwiseNot(Tensor.of(1, 2, -7)).toLongArray());
    assertArrayEquals(
        new long[] {(int) (60000L * 60000L)},
        Ops.prod(Tensor.of(60000, 60000)).reshape(1).toLongArray());
    ArithmeticException e =
        assertThrows(ArithmeticException.class, () -> Ops.rem(Tensor.of(1), Tensor.of(0)));
    assertTrue(e.getMessage().contains("'rem'"));
  }

  @Test
  void roundingAndSpecialValues() {
    assertArrayEquals(
        new double[] {0, 2, -2, 2, -0.0},
        Ops.round(Tensor.of(0.5, 1.5, -2.5, 2.4, -0.4)).toDoubleArray(),
        "round half to even");
    assertArrayEquals(
        new double[] {Double.NEGATIVE_INFINITY, 1000 + Math.log(2)},
        Ops.logSumExp(
                Tensor.fromArray(
                    new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 1000, 1000},
                    2,
                    2),
                1)
            .toDoubleArray(),
        1e-12);
    assertArrayEquals(
        new double[] {0.5, 0.5}, Ops.softmax(Tensor.of(1000.0, 1000.0), 0).toDoubleArray());
    assertArrayEquals(
        new double[] {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
        Ops.oneHot(Tensor.of(1, -1, 5, 2), 3).reshape(-1).toDoubleArray(),
        "labels outside [0, n) give zero rows");
    assertArrayEquals(
        new long[] {1, 0, 1},
        Ops.argmax(Tensor.of(1.0, Double.NaN, 5.0, 5.0, 0.0, 3.0).reshape(3, 2), 1).toLongArray(),
        "first maximum wins ties; NaN counts as the maximum");
    assertArrayEquals(
        new double[] {Double.POSITIVE_INFINITY, 0, Double.NEGATIVE_INFINITY},
        Ops.erfInv(Tensor.of(1.0, 0.0, -1.0)).toDoubleArray());
    // Reference values: mpmath.erfinv of the same doubles, at 40 digits.
    assertEquals(0.4769362762044699, Ops.erfInv(Tensor.of(0.5)).item(), 1e-15);
    assertEquals(2.7510639057120607, Ops.erfInv(Tensor.of(0.9999)).item(), 1e-13);
    assertEquals(4.572824958544925, Ops.erfInv(Tensor.of(0.9999999999)).item(), 1e-14);
  }

  static Tensor grad(Function<Tensor, Tensor> f, Tensor x) {
    Ad.Linearized lin = Ad.linearize(l -> List.of(f.apply(l.get(0))), List.of(x), "grad");
    return lin.transpose(List.of(Tensor.scalar(1.0, lin.primals().get(0).dtype()))).get(0);
  }

  @Test
  void derivativesAtKinks() {
    assertArrayEquals(
        new double[] {0, 0, 1},
        grad(x -> Ops.relu(x).sum(), Tensor.of(-1.0, 0.0, 2.0)).toDoubleArray());
    // prod with two zeros: the gradient is zero except where exactly one other factor is zero.
    assertArrayEquals(
        new double[] {0, 0, 0}, grad(x -> Ops.prod(x), Tensor.of(0.0, 0.0, 3.0)).toDoubleArray());
    assertArrayEquals(
        new double[] {6, 0, 0}, grad(x -> Ops.prod(x), Tensor.of(0.0, 2.0, 3.0)).toDoubleArray());
    assertArrayEquals(
        new double[] {0.5, 0.5, 0},
        grad(x -> Ops.min(x), Tensor.of(1.0, 1.0, 2.0)).toDoubleArray(),
        "tied minima share the gradient");
  }

  @Test
  void iotaAndSort() {
    assertArrayEquals(
        new long[] {0, 0, 0, 1, 1, 1},
        Generators.iota(DType.I32, new int[] {2, 3}, 0).reshape(-1).toLongArray());
    assertArrayEquals(
        new double[] {Double.NEGATIVE_INFINITY, -0.0, 0.0, 1, Double.NaN},
        Ops.sort(Tensor.of(Double.NaN, 0.0, 1.0, -0.0, Double.NEGATIVE_INFINITY), 0)
            .toDoubleArray());
    assertArrayEquals(
        new long[] {1, 3, 0, 2}, Ops.argsort(Tensor.of(2, 1, 2, 1), 0).toLongArray(), "stable");
  }

  // ------------------------------------------------------------ errors

  record Bad(String name, Runnable call, String... mentions) {}

  @TestFactory
  Stream<DynamicTest> badInputsFailWithTeachingMessages() {
    Tensor f3 = Tensor.of(1.0, 2.0, 3.0);
    Tensor f4 = Tensor.of(1.0, 2.0, 3.0, 4.0);
    Tensor b3 = Tensor.of(1, 0, 1).astype(DType.BOOL);
    return Stream.of(
            new Bad("sqrt of ints", () -> Elementwise.sqrt(I), "'sqrt'", "i32[3]", "astype"),
            new Bad("erf_inv of ints", () -> Elementwise.erfInv(I), "'erf_inv'", "i32[3]"),
            new Bad("abs of bool", () -> Elementwise.abs(b3), "'abs'", "bool"),
            new Bad("floor of ints", () -> Elementwise.floor(I), "'floor'", "i32[3]"),
            new Bad("and of floats", () -> Elementwise.and(f3, f3), "'and'", "f64[3]"),
            new Bad(
                "shift of bools", () -> Elementwise.shiftLeft(b3, b3), "'shift_left'", "bool[3]"),
            new Bad("not of floats", () -> Elementwise.not(f3), "'not'", "f64[3]"),
            new Bad(
                "rem of mixed dtypes", () -> Elementwise.rem(f3, I), "'rem'", "f64[3]", "i32[3]"),
            new Bad(
                "atan2 of unequal shapes",
                () -> Elementwise.atan2(f3, f4),
                "'atan2'",
                "f64[3]",
                "f64[4]"),
            new Bad("Ops.atan2 shapes", () -> Ops.atan2(f3, f4), "'atan2'", "[3]", "[4]"),
            new Bad("Ops.less shapes", () -> Ops.less(f3, f4), "'lt'", "[3]", "[4]"),
            new Bad("Ops.logicalAnd shapes", () -> Ops.logicalAnd(f3, f4), "'and'", "[3]", "[4]"),
            new Bad("Ops.rem shapes", () -> Ops.rem(F, f4), "'rem'", "[2,3]", "[4]"),
            new Bad("Ops.min axis", () -> Ops.min(F, 2), "'reduce_min'", "axis 2", "[2,3]"),
            new Bad("Ops.prod axis", () -> Ops.prod(F, -3), "'reduce_prod'", "axis -3", "[2,3]"),
            new Bad("Ops.prod repeated", () -> Ops.prod(F, 1, -1), "'reduce_prod'", "repeated"),
            new Bad("argmax axis", () -> Ops.argmax(F, 2), "'argmax'", "axis 2", "[2,3]"),
            new Bad(
                "argmin empty axis",
                () -> Ops.argmin(Tensor.zeros(2, 0), 1),
                "'argmin'",
                "empty",
                "f32[2,0]"),
            new Bad(
                "argmax index dtype",
                () -> Reductions.ARGMAX.bind1(Params.of("axis", 0, "index_dtype", DType.F32), F),
                "'argmax'",
                "index_dtype"),
            new Bad("cumsum axis", () -> Ops.cumsum(F, 5), "'cumsum'", "axis 5", "[2,3]"),
            new Bad("cumsum of bool", () -> Reductions.cumsum(b3, 0, false), "'cumsum'", "bool[3]"),
            new Bad("sort axis", () -> Ops.sort(F, 2), "'sort'", "axis 2", "[2,3]"),
            new Bad(
                "sort operand shapes",
                () -> Sorting.sort(List.of(f3, f4), 0),
                "'sort'",
                "f64[3]",
                "f64[4]"),
            new Bad(
                "iota dimension",
                () -> Generators.iota(DType.I32, new int[] {2, 3}, 2),
                "'iota'",
                "dimension 2",
                "[2, 3]"),
            new Bad(
                "iota bool", () -> Generators.iota(DType.BOOL, new int[] {2}, 0), "'iota'", "BOOL"),
            new Bad(
                "threefry dtype",
                () -> Threefry.threefry2x32(List.of(f3, f3, f3, f3)),
                "'threefry2x32'",
                "f64[3]"),
            new Bad(
                "threefry arity",
                () -> Threefry.threefry2x32(List.of(I, I)),
                "'threefry2x32'",
                "4 operand"),
            new Bad("oneHot floats", () -> Ops.oneHot(f3, 3), "oneHot", "f64[3]"),
            new Bad("logSumExp axis", () -> Ops.logSumExp(F, 2), "'logSumExp'", "axis 2", "[2,3]"),
            new Bad("softmax axis", () -> Ops.softmax(F, -3), "'softmax'", "axis -3", "[2,3]"))
        .map(
            b ->
                DynamicTest.dynamicTest(
                    b.name(),
                    () -> {
                      IllegalArgumentException e =
                          assertThrows(IllegalArgumentException.class, b.call()::run, b.name());
                      for (String m : b.mentions()) {
                        assertTrue(
                            e.getMessage().contains(m),
                            b.name() + ": message should mention " + m + ": " + e.getMessage());
                      }
                    }));
  }
}
