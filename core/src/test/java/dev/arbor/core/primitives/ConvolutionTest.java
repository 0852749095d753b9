package dev.arbor.core.primitives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.testing.RuleChecks;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * conv_general: values against a direct loop written from the definition, JVP against finite
 * differences, VJP against JVP (both transpose rules, with strides, uneven and negative padding),
 * and vmap against a loop with the batch on the input, the kernel, or both.
 */
class ConvolutionTest {

  /** One configuration: input NHWC, kernel HWIO, strides, padding {top, bottom, left, right}. */
  record Case(String name, int[] x, int[] k, int[] strides, int[] padding) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case(
            "valid 3x3", new int[] {2, 5, 5, 2}, new int[] {3, 3, 2, 3}, s(1, 1), p(0, 0, 0, 0)),
        new Case(
            "same 3x3", new int[] {1, 4, 5, 3}, new int[] {3, 3, 3, 2}, s(1, 1), p(1, 1, 1, 1)),
        new Case(
            "stride 2", new int[] {2, 6, 5, 2}, new int[] {3, 2, 2, 2}, s(2, 2), p(0, 0, 0, 0)),
        new Case(
            "stride 2 uneven pad",
            new int[] {1, 7, 6, 1},
            new int[] {3, 3, 1, 2},
            s(2, 3),
            p(1, 2, 0, 1)),
        new Case("1x1", new int[] {2, 3, 3, 4}, new int[] {1, 1, 4, 3}, s(1, 1), p(0, 0, 0, 0)),
        new Case("big pad", new int[] {1, 3, 3, 1}, new int[] {2, 2, 1, 1}, s(1, 1), p(3, 2, 2, 3)),
        new Case(
            "cropping pad",
            new int[] {1, 6, 6, 2},
            new int[] {2, 2, 2, 1},
            s(1, 2),
            p(-1, 0, 0, -1)));
  }

  static int[] s(int a, int b) {
    return new int[] {a, b};
  }

  static int[] p(int a, int b, int c, int d) {
    return new int[] {a, b, c, d};
  }

  /** The definition, one output element at a time, on host arrays. */
  static double[] oracle(Tensor x, Tensor k, int[] st, int[] pad, int[] od) {
    int[] xd = x.shape().dims();
    int[] kd = k.shape().dims();
    double[] xv = x.toDoubleArray();
    double[] kv = k.toDoubleArray();
    double[] r = new double[od[0] * od[1] * od[2] * od[3]];
    int[] idx = new int[4];
    for (int q = 0; q < r.length; q++) {
      Shapes.unravel(q, od, idx);
      double sum = 0;
      for (int u = 0; u < kd[0]; u++) {
        for (int v = 0; v < kd[1]; v++) {
          for (int c = 0; c < kd[2]; c++) {
            int ih = idx[1] * st[0] + u - pad[0];
            int iw = idx[2] * st[1] + v - pad[2];
            if (ih >= 0 && ih < xd[1] && iw >= 0 && iw < xd[2]) {
              sum +=
                  xv[((idx[0] * xd[1] + ih) * xd[2] + iw) * xd[3] + c]
                      * kv[((u * kd[1] + v) * kd[2] + c) * kd[3] + idx[3]];
            }
          }
        }
      }
      r[q] = sum;
    }
    return r;
  }

  static Function<List<Tensor>, List<Tensor>> f(Case c) {
    return in -> List.of(Convolution.conv(in.get(0), in.get(1), c.strides(), c.padding()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void valuesMatchTheDefinition(Case c) {
    Random rng = new Random(1);
    Tensor x = RuleChecks.random(rng, -1, 1, c.x());
    Tensor k = RuleChecks.random(rng, -1, 1, c.k());
    Tensor y = Convolution.conv(x, k, c.strides(), c.padding());
    int oh = (c.x()[1] + c.padding()[0] + c.padding()[1] - c.k()[0]) / c.strides()[0] + 1;
    int ow = (c.x()[2] + c.padding()[2] + c.padding()[3] - c.k()[1]) / c.strides()[1] + 1;
    int[] od = {c.x()[0], oh, ow, c.k()[3]};
    assertEquals(Shape.of(od), y.shape());
    assertArrayEquals(oracle(x, k, c.strides(), c.padding(), od), y.toDoubleArray(), 1e-12);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void jvpMatchesFiniteDifferences(Case c) {
    Random rng = new Random(2);
    List<Tensor> xs =
        List.of(RuleChecks.random(rng, -1, 1, c.x()), RuleChecks.random(rng, -1, 1, c.k()));
    RuleChecks.checkJvp("conv " + c, f(c), xs, 1e-6);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void vjpMatchesJvp(Case c) {
    Random rng = new Random(3);
    List<Tensor> xs =
        List.of(RuleChecks.random(rng, -1, 1, c.x()), RuleChecks.random(rng, -1, 1, c.k()));
    RuleChecks.checkVjp("conv " + c, f(c), xs, 1e-9);
    // Each transpose rule on its own (the other operand a constant).
    Tensor x = xs.get(0);
    Tensor k = xs.get(1);
    RuleChecks.checkVjp(
        "conv wrt input " + c,
        in -> List.of(Convolution.conv(in.get(0), k, c.strides(), c.padding())),
        List.of(x),
        1e-9);
    RuleChecks.checkVjp(
        "conv wrt kernel " + c,
        in -> List.of(Convolution.conv(x, in.get(0), c.strides(), c.padding())),
        List.of(k),
        1e-9);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void vmapMatchesALoop(Case c) {
    Random rng = new Random(4);
    int[] bx = prepend(3, c.x());
    int[] bk = prepend(3, c.k());
    Tensor x = RuleChecks.random(rng, -1, 1, c.x());
    Tensor k = RuleChecks.random(rng, -1, 1, c.k());
    Tensor xb = RuleChecks.random(rng, -1, 1, bx);
    Tensor kb = RuleChecks.random(rng, -1, 1, bk);
    RuleChecks.checkVmap("conv input batched " + c, f(c), List.of(xb, k), new int[] {0, -1}, 1e-9);
    RuleChecks.checkVmap("conv kernel batched " + c, f(c), List.of(x, kb), new int[] {-1, 0}, 1e-9);
    RuleChecks.checkVmap("conv both batched " + c, f(c), List.of(xb, kb), new int[] {0, 0}, 1e-9);
    // A batch axis that is not leading.
    Tensor xMid = xb.transpose(1, 2, 0, 3, 4);
    RuleChecks.checkVmap(
        "conv input batched axis 2 " + c, f(c), List.of(xMid, k), new int[] {2, -1}, 1e-9);
  }

  @Test
  void secondOrderRulesComposeThroughTheTransposes() {
    // grad of a function of the kernel gradient: the transpose rules themselves are differentiated.
    Case c = cases().toList().get(3);
    Random rng = new Random(5);
    List<Tensor> xs =
        List.of(RuleChecks.random(rng, -1, 1, c.x()), RuleChecks.random(rng, -1, 1, c.k()));
    Function<List<Tensor>, List<Tensor>> gradK =
        in -> {
          Tensor x = in.get(0);
          var lin =
              dev.arbor.transform.ad.Ad.linearize(
                  ks ->
                      List.of(
                          Convolution.conv(x, ks.get(0), c.strides(), c.padding()).pow(2.0).sum()),
                  List.of(in.get(1)),
                  "inner grad");
          return lin.transpose(List.of(Tensor.scalar(1, x.dtype())));
        };
    RuleChecks.checkJvp("grad of conv", gradK, xs, 1e-5);
  }

  @Test
  void samePaddingKeepsTheSizeAtStrideOne() {
    assertArrayEquals(new int[] {1, 1, 1, 1}, Convolution.samePadding(5, 5, 3, 3, 1, 1));
    assertArrayEquals(new int[] {0, 1, 0, 1}, Convolution.samePadding(6, 6, 3, 3, 2, 2));
    assertArrayEquals(new int[] {0, 0, 0, 0}, Convolution.samePadding(4, 4, 2, 2, 2, 2));
  }

  @Test
  void badOperandsGetTeachingErrors() {
    Tensor x = Tensor.zeros(1, 5, 5, 3);
    var wrongChannels =
        assertThrows(
            IllegalArgumentException.class,
            () -> Convolution.conv(x, Tensor.zeros(3, 3, 2, 4), s(1, 1), p(0, 0, 0, 0)));
    assertTrue(wrongChannels.getMessage().contains("input channels 3"), wrongChannels.getMessage());
    var rank =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Convolution.conv(
                    Tensor.zeros(5, 5, 3), Tensor.zeros(3, 3, 3, 4), s(1, 1), p(0, 0, 0, 0)));
    assertTrue(rank.getMessage().contains("NHWC"), rank.getMessage());
    var big =
        assertThrows(
            IllegalArgumentException.class,
            () -> Convolution.conv(x, Tensor.zeros(7, 7, 3, 4), s(1, 1), p(0, 0, 0, 0)));
    assertTrue(big.getMessage().contains("larger than the padded input"), big.getMessage());
  }

  static int[] prepend(int n, int[] d) {
    int[] r = new int[d.length + 1];
    r[0] = n;
    System.arraycopy(d, 0, r, 1, d.length);
    return r;
  }
}
