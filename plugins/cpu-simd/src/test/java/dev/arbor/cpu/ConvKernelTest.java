package dev.arbor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.Convolution;
import dev.arbor.testkit.PrimitiveCases;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The im2col + GEMM conv_general kernel against the reference kernel: the conformance kit's forward
 * specs, the input- and kernel-gradient convolutions the transpose rules bind for every one of them
 * (negative padding, dilated cotangents), a larger strided case, and each case again with tiny
 * patch buffers so the per-image chunking runs.
 */
class ConvKernelTest {
  static Stream<Arguments> cases() {
    List<int[][]> specs = new ArrayList<>();
    List<int[][]> forward = new ArrayList<>(PrimitiveCases.convSpecs());
    forward.add(
        new int[][] {
          {2, 28, 28, 1}, {3, 3, 1, 32}, {1, 1}, Convolution.samePadding(28, 28, 3, 3, 1, 1)
        });
    forward.add(new int[][] {{2, 14, 15, 32}, {3, 3, 32, 64}, {2, 2}, {0, 1, 1, 0}});
    for (int[][] sp : forward) {
      specs.add(sp);
      specs.addAll(PrimitiveCases.convTransposeSpecs(sp));
    }
    List<Arguments> args = new ArrayList<>();
    for (DType t : new DType[] {DType.F32, DType.F64}) {
      for (int[][] sp : specs) {
        for (long maxPatch : new long[] {ConvKernel.MAX_PATCH_ELEMENTS, 1}) {
          args.add(Arguments.of(t, sp, maxPatch));
        }
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} {1} maxPatch={2}")
  @MethodSource("cases")
  void matchesReference(DType t, int[][] sp, long maxPatch) {
    CpuBackend backend = new CpuBackend();
    Random r = new Random(Arrays.deepHashCode(sp));
    HostArray x = random(sp[0], t, r);
    HostArray k = random(sp[1], t, r);
    Params p = PrimitiveCases.convParams(sp);
    List<AbstractValue> inAvals = List.of(x.aval(), k.aval());
    List<AbstractValue> outAvals = Convolution.CONV_GENERAL.abstractEval(inAvals, p);
    HostArray want =
        Convolution.CONV_GENERAL.referenceKernel().apply(List.of(x, k), p, outAvals).get(0);
    HostArray mag =
        Convolution.CONV_GENERAL
            .referenceKernel()
            .apply(List.of(abs(x), abs(k)), p, outAvals)
            .get(0);
    Buffer xb = backend.upload(x);
    Buffer kb = backend.upload(k);
    List<Buffer> out = ConvKernel.run(List.of(xb, kb), inAvals, p, outAvals, maxPatch);
    HostArray got = backend.download(out.get(0));
    assertEquals(want.aval(), got.aval());
    double rtol = t == DType.F32 ? 1e-5 : 1e-12;
    for (int i = 0; i < want.size(); i++) {
      double w = want.getDouble(i);
      double g = got.getDouble(i);
      int at = i;
      assertTrue(
          Math.abs(g - w) <= rtol * Math.max(Math.abs(mag.getDouble(i)), 1e-3),
          () -> "element " + at + ": got " + g + ", expected " + w);
    }
    out.get(0).release();
    xb.release();
    kb.release();
  }

  private static HostArray random(int[] shape, DType t, Random r) {
    AbstractValue aval = new AbstractValue(Shape.of(shape), t);
    double[] v = new double[(int) aval.shape().size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble() * 6 - 3;
    }
    if (t == DType.F32) {
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) v[i];
      }
    }
    return HostArray.ofDoubles(aval, v);
  }

  private static HostArray abs(HostArray h) {
    double[] v = h.toDoubles();
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.abs(v[i]);
    }
    return HostArray.ofDoubles(h.aval(), v);
  }
}
