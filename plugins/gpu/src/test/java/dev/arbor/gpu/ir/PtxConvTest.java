package dev.arbor.gpu.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Convolution;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The im2col kernel of {@code conv_general} ({@link Lowering#im2col}) emitted as PTX and executed
 * by {@link PtxInterpreter}: its patch matrix must equal, bit for bit, the patches read straight
 * from the input by the convolution formula (zero outside), and that matrix multiplied through the
 * {@link Lowering#convMatmul} view (its strides, as the matmul kernel reads them) must equal the
 * reference {@code conv_general}. Shapes cover strides 2 and 3, asymmetric and negative padding,
 * 1x1 kernels, an empty batch and an empty input axis. The interpreter fails any out-of-range
 * access a missing guard would let through.
 */
class PtxConvTest {
  /** {x NHWC, kernel HWIO, strides, padding {top, bottom, left, right}}. */
  static final int[][][] SPECS = {
    {{2, 7, 7, 3}, {3, 3, 3, 4}, {1, 1}, {1, 1, 1, 1}},
    {{1, 9, 11, 2}, {3, 3, 2, 5}, {2, 2}, {0, 1, 0, 1}},
    {{1, 9, 9, 3}, {3, 3, 3, 3}, {1, 1}, {-1, 2, -2, 0}},
    {{1, 13, 13, 2}, {5, 3, 2, 3}, {2, 2}, {2, 1, 0, 3}},
    {{3, 5, 7, 8}, {1, 1, 8, 3}, {1, 1}, {0, 0, 0, 0}},
    {{2, 8, 9, 4}, {1, 1, 4, 2}, {2, 1}, {0, 0, 0, 0}},
    {{1, 4, 5, 2}, {2, 2, 2, 2}, {3, 3}, {0, 0, 1, 0}},
    {{0, 5, 5, 2}, {3, 3, 2, 2}, {1, 1}, {1, 1, 1, 1}},
    {{1, 0, 3, 2}, {1, 1, 2, 1}, {1, 1}, {1, 1, 0, 0}},
  };

  record Case(String name, Params params, HostArray x, HostArray kernel) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> cases() {
    Random r = new Random(7);
    List<Case> c = new ArrayList<>();
    for (DType t : List.of(DType.F32, DType.F64)) {
      for (int[][] s : SPECS) {
        Params p = Params.of("strides", s[2], "padding", s[3]);
        c.add(
            new Case(
                "conv "
                    + t.shortName()
                    + Shape.of(s[0])
                    + " x "
                    + Shape.of(s[1])
                    + " strides "
                    + Arrays.toString(s[2]).replace(" ", "")
                    + " padding "
                    + Arrays.toString(s[3]).replace(" ", ""),
                p,
                PtxLayoutTest.random(r, t, s[0]),
                PtxLayoutTest.random(r, t, s[1])));
      }
    }
    return c;
  }

  @TestFactory
  Stream<DynamicTest> im2colThenMatmulMatchesTheReference() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c, null)));
  }

  @Test
  void onlyAnUnpaddedStride1OneByOneKernelSkipsIm2col() {
    List<Boolean> identity = new ArrayList<>();
    for (Case c : cases().subList(0, SPECS.length)) {
      identity.add(Lowering.im2colIsIdentity(c.params(), c.kernel().aval()));
    }
    assertEquals(List.of(false, false, false, false, true, false, false, false, false), identity);
  }

  @Test
  void aMissingGuardFails() {
    // Without its guard, the load of a padding point reads before the start of the input.
    Case c = cases().get(0);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> check(c, ptx -> replaceOnce(ptx, "@%p\\d+ (ld\\.global)", "$1")));
    assertTrue(e.getMessage().startsWith("global access out of bounds"), e.getMessage());
  }

  @Test
  void aWrongOffsetFails() {
    // The top padding offset dropped (h = oh + kh instead of oh + kh - 1): the guard keeps every
    // read inside the input, but the patches shift by a row.
    Case c = cases().get(0);
    assertTrue(c.name().contains("padding [1,1,1,1]"), c.name());
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () ->
                check(
                    c,
                    p ->
                        replaceOnce(
                            p, "sub\\.s32 (%r\\d+), (%r\\d+), %r\\d+;", "mov.u32 $1, $2;")));
    assertTrue(e.getMessage().contains("patch element"), e.getMessage());
  }

  private static String replaceOnce(String text, String regex, String replacement) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), "no " + regex + " in\n" + text);
    return m.replaceFirst(replacement);
  }

  static AbstractValue out(Case c) {
    return Convolution.CONV_GENERAL
        .abstractEval(List.of(c.x().aval(), c.kernel().aval()), c.params())
        .get(0);
  }

  static LoopKernel kernel(Case c) {
    String name = "arbor_im2col_" + c.x().dtype().shortName();
    return Lowering.im2col(name, c.params(), c.x().aval(), c.kernel().aval(), out(c));
  }

  /** Runs the im2col PTX (after {@code edit}) and checks patches and product. */
  static void check(Case c, UnaryOperator<String> edit) {
    AbstractValue out = out(c);
    Lowering.MatmulShape s = Lowering.convMatmul(c.kernel().aval(), out);
    LoopKernel k = kernel(c);
    String ptx = PtxEmitter.emit(k);
    if (edit != null) {
      ptx = edit.apply(ptx);
    }
    DType t = c.x().dtype();
    AbstractValue patchAval = new AbstractValue(Shape.of(s.m(), s.k()), t);
    HostArray patches = PtxLayoutTest.run(ptx, k, List.of(c.x()), patchAval);
    double[] want = patches(c, out);
    assertEquals(want.length, patches.size());
    for (int i = 0; i < want.length; i++) {
      if (Double.doubleToRawLongBits(want[i]) != Double.doubleToRawLongBits(patches.getDouble(i))) {
        throw new AssertionError(
            c.name() + ": patch element " + i + " is " + patches.getDouble(i) + ", not " + want[i]);
      }
    }
    // The product through the matmul view's strides, against the reference convolution.
    HostArray ref =
        Convolution.CONV_GENERAL
            .referenceKernel()
            .apply(List.of(c.x(), c.kernel()), c.params(), List.of(out))
            .get(0);
    assertEquals(out.shape().size(), (long) s.m() * s.n(), "output = M x N");
    double tol = t == DType.F32 ? 1e-5 : 1e-12;
    for (int i = 0; i < s.m(); i++) {
      for (int j = 0; j < s.n(); j++) {
        double acc = 0;
        double mag = 0;
        for (int q = 0; q < s.k(); q++) {
          double a = patches.getDouble(i * s.aRow() + q * s.aK());
          double b = c.kernel().getDouble(q * s.bK() + j * s.bCol());
          acc += a * b;
          mag += Math.abs(a * b);
        }
        double w = ref.getDouble(i * s.n() + j);
        if (Math.abs(acc - w) > tol * mag + 1e-30) {
          throw new AssertionError(
              c.name() + ": output (" + i + ", " + j + ") is " + acc + ", the reference " + w);
        }
      }
    }
  }

  /** The patch matrix by the formula: {@code x[n, oh*sh + kh - top, ow*sw + kw - left, c]}. */
  static double[] patches(Case c, AbstractValue out) {
    int[] xd = c.x().aval().shape().dims();
    int[] kd = c.kernel().aval().shape().dims();
    int[] od = out.shape().dims();
    int[] st = c.params().ints("strides");
    int[] pad = c.params().ints("padding");
    double[] p = new double[od[0] * od[1] * od[2] * kd[0] * kd[1] * xd[3]];
    int i = 0;
    for (int n = 0; n < od[0]; n++) {
      for (int oh = 0; oh < od[1]; oh++) {
        for (int ow = 0; ow < od[2]; ow++) {
          for (int kh = 0; kh < kd[0]; kh++) {
            for (int kw = 0; kw < kd[1]; kw++) {
              for (int ch = 0; ch < xd[3]; ch++) {
                int h = oh * st[0] + kh - pad[0];
                int w = ow * st[1] + kw - pad[2];
                boolean in = h >= 0 && h < xd[1] && w >= 0 && w < xd[2];
                p[i++] = in ? c.x().getDouble(((n * xd[1] + h) * xd[2] + w) * xd[3] + ch) : 0.0;
              }
            }
          }
        }
      }
    }
    return p;
  }
}
