package dev.arbor.gpu.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The emitters' output for {@link KernelCases#golden()} equals the checked-in files under {@code
 * src/test/resources/golden} ({@code NAME.cl}, {@code NAME.ptx}). A change to code generation shows
 * up as a diff of those files: regenerate them with {@code -Darbor.golden.update=true}, read the
 * diff, and commit it with the change. (Validity is tested elsewhere: PTX with {@code ptxas},
 * OpenCL by building and running on PoCL.)
 */
class EmitterGoldenTest {
  private static final boolean UPDATE = Boolean.getBoolean("arbor.golden.update");

  @TestFactory
  Stream<DynamicTest> openClMatchesGoldenFiles() {
    return cases(".cl", OpenClEmitter::emit);
  }

  @TestFactory
  Stream<DynamicTest> ptxMatchesGoldenFiles() {
    return cases(".ptx", PtxEmitter::emit);
  }

  private static Stream<DynamicTest> cases(String ext, Function<GpuKernel, String> emit) {
    List<DynamicTest> tests = new ArrayList<>();
    for (Map.Entry<String, GpuKernel> e : KernelCases.golden().entrySet()) {
      String file = e.getKey() + ext;
      tests.add(
          DynamicTest.dynamicTest(
              file,
              () ->
                  assertEquals(
                      golden(file, emit.apply(e.getValue())), emit.apply(e.getValue()), file)));
    }
    return tests.stream();
  }

  private static String golden(String file, String actual) throws IOException {
    if (UPDATE) {
      Path p = Path.of("src/test/resources/golden", file);
      Files.createDirectories(p.getParent());
      Files.writeString(p, actual);
      return actual;
    }
    try (InputStream in = EmitterGoldenTest.class.getResourceAsStream("/golden/" + file)) {
      if (in == null) {
        throw new AssertionError(
            "no golden file golden/" + file + "; create it with -Darbor.golden.update=true");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void ptxComputesF64TranscendentalsWithDoubleMath() {
    // Every F64 transcendental and log1p/expm1/pow/atan2/rem in either type is emitted from
    // DoubleMath (exact operations, no .approx instructions), not refused.
    for (DType t : List.of(DType.F32, DType.F64)) {
      for (Op op :
          List.<Op>of(
              new Op.Unary(t, Op.UnaryFn.LOG1P, 0),
              new Op.Unary(t, Op.UnaryFn.EXPM1, 0),
              new Op.Binary(t, Op.BinaryFn.POW, 0, 1),
              new Op.Binary(t, Op.BinaryFn.ATAN2, 0, 1),
              new Op.Binary(t, Op.BinaryFn.REM, 0, 1))) {
        String ptx = PtxEmitter.emit(KernelCases.kernel("k", t, List.of(op)));
        assertTrue(ptx.contains("fma.rn.f64"), op + " " + t);
        assertTrue(!ptx.contains(".approx"), op + " " + t + " uses an approximate instruction");
      }
    }
    for (Op.UnaryFn f : List.of(Op.UnaryFn.EXP, Op.UnaryFn.TANH, Op.UnaryFn.LOG, Op.UnaryFn.SIN)) {
      String ptx =
          PtxEmitter.emit(
              KernelCases.kernel("k", DType.F64, List.of(new Op.Unary(DType.F64, f, 0))));
      assertTrue(!ptx.contains(".approx"), f + " on F64 uses an approximate instruction");
    }
  }

  /** The ops (of {@link KernelCases#allOps}) an emitter rejects for {@code t}, in words. */
  static String rejected(DType t, Function<GpuKernel, String> emit) {
    List<Op> ok = KernelCases.supported(t, emit);
    List<String> r = new ArrayList<>();
    for (Op op : KernelCases.allOps(t)) {
      if (!ok.contains(op)) {
        r.add(
            switch (op) {
              case Op.Unary u -> u.fn().name();
              case Op.Binary b -> b.fn().name();
              case Op.Compare c -> c.fn().name();
              case Op.Convert c -> "to " + c.type();
              default -> op.toString();
            });
      }
    }
    return String.join(" ", r);
  }

  /**
   * Integer DIV (truncating, as Java's) is emitted for the layout primitives' index arithmetic; the
   * user's integer {@code div} stays on the host ({@link Lowering} refuses it: the reference raises
   * on a zero divisor).
   */
  @Test
  void emittersRejectExactlyTheDocumentedOps() {
    Map<DType, String> openCl =
        Map.of(
            DType.F32, "NOT AND OR XOR SHIFT_LEFT SHIFT_RIGHT_LOGICAL",
            DType.F64, "NOT AND OR XOR SHIFT_LEFT SHIFT_RIGHT_LOGICAL",
            DType.I32,
                "EXP LOG LOG1P EXPM1 TANH LOGISTIC SIN COS SQRT RSQRT FLOOR CEIL ROUND ERF_INV POW ATAN2 REM",
            DType.I64,
                "EXP LOG LOG1P EXPM1 TANH LOGISTIC SIN COS SQRT RSQRT FLOOR CEIL ROUND ERF_INV POW ATAN2 REM",
            DType.BOOL,
                "NEG ABS SIGN EXP LOG LOG1P EXPM1 TANH LOGISTIC SIN COS SQRT RSQRT FLOOR CEIL ROUND ERF_INV DIV POW ATAN2 REM SHIFT_LEFT SHIFT_RIGHT_LOGICAL");
    Map<DType, String> ptx =
        Map.of(
            DType.F32, "NOT AND OR XOR SHIFT_LEFT SHIFT_RIGHT_LOGICAL",
            DType.F64, "NOT AND OR XOR SHIFT_LEFT SHIFT_RIGHT_LOGICAL",
            DType.I32,
                "EXP LOG LOG1P EXPM1 TANH LOGISTIC SIN COS SQRT RSQRT FLOOR CEIL ROUND ERF_INV POW ATAN2 REM",
            DType.I64,
                "EXP LOG LOG1P EXPM1 TANH LOGISTIC SIN COS SQRT RSQRT FLOOR CEIL ROUND ERF_INV POW ATAN2 REM",
            DType.BOOL,
                "NEG ABS SIGN EXP LOG LOG1P EXPM1 TANH LOGISTIC SIN COS SQRT RSQRT FLOOR CEIL ROUND ERF_INV DIV POW ATAN2 REM SHIFT_LEFT SHIFT_RIGHT_LOGICAL");
    for (DType t : DType.values()) {
      assertEquals(openCl.get(t), rejected(t, OpenClEmitter::emit), "OpenCL " + t);
      assertEquals(ptx.get(t), rejected(t, PtxEmitter::emit), "PTX " + t);
    }
  }

  @Test
  void integerDivIsLeftToTheHost() {
    var a = KernelCases.av(DType.I32, 8);
    UnsupportedKernelException e =
        assertThrows(
            UnsupportedKernelException.class,
            () ->
                Lowering.loop(
                    "arbor_div_i32",
                    dev.arbor.core.primitives.Elementwise.DIV,
                    dev.arbor.core.Params.EMPTY,
                    List.of(a, a),
                    List.of(a)));
    assertTrue(e.getMessage().contains("integer div"), e.getMessage());
  }

  @Test
  void matmulLoweringFlattensAxesOrRefuses() {
    var lhs = KernelCases.av(DType.F32, 2, 3, 4);
    var rhs = KernelCases.av(DType.F32, 2, 4, 5);
    Lowering.MatmulShape s =
        Lowering.matmul(
            dev.arbor.core.Params.of(
                "lhs_contract",
                new int[] {2},
                "rhs_contract",
                new int[] {1},
                "lhs_batch",
                new int[] {0},
                "rhs_batch",
                new int[] {0}),
            lhs,
            rhs);
    assertEquals(new Lowering.MatmulShape(2, 3, 5, 4, 12, 4, 1, 20, 5, 1), s);
    // Contracting axes {0, 2} of [3, 4, 5] are not adjacent: no single stride covers them.
    assertThrows(
        UnsupportedKernelException.class,
        () ->
            Lowering.matmul(
                dev.arbor.core.Params.of(
                    "lhs_contract",
                    new int[] {0, 2},
                    "rhs_contract",
                    new int[] {0, 1},
                    "lhs_batch",
                    new int[0],
                    "rhs_batch",
                    new int[0]),
                KernelCases.av(DType.F32, 3, 4, 5),
                KernelCases.av(DType.F32, 3, 5, 6)));
  }
}
