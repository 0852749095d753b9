package dev.arbor.gpu.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Shape;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.gpu.device.DeviceBackend;
import dev.arbor.gpu.ir.MatmulKernel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The register-tiled {@link MatmulKernel} on the {@code opencl} backend (PoCL in CI) against the
 * {@code reference} backend, one {@code dot_general} at a time, on the shapes that reach every edge
 * of its tiles: M, N and K of 1, 127, 128, 129 and 300 (F32 tiles are 128, F64 tiles 64, K steps
 * 8), batches of 3, operands stored transposed (A as {@code [K, M]}, B as {@code [N, K]}, which
 * switches the kernel's global-load map) and an operand with no unit stride on either matrix axis
 * (the batch axis last); the shapes whose K (for A) or N (for B) is a multiple of 4 take the
 * kernel's vector-load path, the others its scalar path. Each element must agree within {@code
 * 2·K·u·Σ|a·b|} ({@code u} the unit roundoff): the error bound of two sums of K products, so a
 * wrong index fails by far.
 */
class OpenClMatmulTest {
  static DeviceBackend cl;
  static Backend ref;

  @BeforeAll
  static void device() {
    Backend b =
        Backends.all().stream().filter(x -> x.name().equals("opencl")).findFirst().orElseThrow();
    assumeTrue(b.isAvailable(), () -> "no OpenCL device: " + b.unavailableReason());
    cl = (DeviceBackend) b;
    ref =
        Backends.all().stream().filter(x -> x.name().equals("reference")).findFirst().orElseThrow();
  }

  /** How A or B is stored: the layouts of one matrix of a (possibly batched) operand. */
  enum Layout {
    /** A as [M, K], B as [K, N] (with the batch axis first where batched). */
    PLAIN,
    /** A as [K, M], B as [N, K]. */
    TRANSPOSED,
    /** A as [K, M, batch], B as [N, K, batch]: no unit stride along either matrix axis. */
    BATCH_LAST
  }

  record Case(DType type, int batch, int m, int k, int n, Layout la, Layout lb) {
    @Override
    public String toString() {
      return type + " batch " + batch + " M" + m + " K" + k + " N" + n + " A " + la + " B " + lb;
    }
  }

  @TestFactory
  Stream<DynamicTest> edgeTiles() {
    List<Case> cases = new ArrayList<>();
    int[][] mkn = {
      {1, 1, 1},
      {1, 300, 129},
      {127, 1, 300},
      {128, 129, 1},
      {129, 128, 127},
      {300, 127, 128},
      {128, 128, 128},
      {129, 129, 129},
      {127, 9, 65},
      {300, 300, 300}
    };
    for (DType t : List.of(DType.F32, DType.F64)) {
      for (int[] s : mkn) {
        for (Layout la : List.of(Layout.PLAIN, Layout.TRANSPOSED)) {
          for (Layout lb : List.of(Layout.PLAIN, Layout.TRANSPOSED)) {
            cases.add(new Case(t, 1, s[0], s[1], s[2], la, lb));
          }
        }
      }
      cases.add(new Case(t, 3, 129, 17, 130, Layout.PLAIN, Layout.PLAIN));
      cases.add(new Case(t, 3, 65, 127, 64, Layout.TRANSPOSED, Layout.PLAIN));
      cases.add(new Case(t, 3, 1, 8, 1, Layout.PLAIN, Layout.TRANSPOSED));
      cases.add(new Case(t, 3, 65, 16, 132, Layout.PLAIN, Layout.PLAIN));
      cases.add(new Case(t, 3, 130, 36, 6, Layout.PLAIN, Layout.PLAIN));
      cases.add(new Case(t, 3, 130, 33, 129, Layout.BATCH_LAST, Layout.BATCH_LAST));
      cases.add(new Case(t, 3, 7, 300, 5, Layout.BATCH_LAST, Layout.PLAIN));
    }
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
  }

  private static void check(Case c) {
    boolean batched = c.batch() > 1 || c.la() == Layout.BATCH_LAST || c.lb() == Layout.BATCH_LAST;
    int[] aDims;
    int[] bDims;
    int[] lb;
    int[] rb;
    int lc;
    int rc;
    switch (c.la()) {
      case PLAIN -> {
        aDims = batched ? new int[] {c.batch(), c.m(), c.k()} : new int[] {c.m(), c.k()};
        lb = batched ? new int[] {0} : new int[0];
        lc = batched ? 2 : 1;
      }
      case TRANSPOSED -> {
        aDims = batched ? new int[] {c.batch(), c.k(), c.m()} : new int[] {c.k(), c.m()};
        lb = batched ? new int[] {0} : new int[0];
        lc = batched ? 1 : 0;
      }
      default -> {
        aDims = new int[] {c.k(), c.m(), c.batch()};
        lb = new int[] {2};
        lc = 0;
      }
    }
    switch (c.lb()) {
      case PLAIN -> {
        bDims = batched ? new int[] {c.batch(), c.k(), c.n()} : new int[] {c.k(), c.n()};
        rb = batched ? new int[] {0} : new int[0];
        rc = batched ? 1 : 0;
      }
      case TRANSPOSED -> {
        bDims = batched ? new int[] {c.batch(), c.n(), c.k()} : new int[] {c.n(), c.k()};
        rb = batched ? new int[] {0} : new int[0];
        rc = batched ? 2 : 1;
      }
      default -> {
        bDims = new int[] {c.n(), c.k(), c.batch()};
        rb = new int[] {2};
        rc = 1;
      }
    }
    Params p =
        Params.of(
            "lhs_contract",
            new int[] {lc},
            "rhs_contract",
            new int[] {rc},
            "lhs_batch",
            lb,
            "rhs_batch",
            rb);
    AbstractValue av = new AbstractValue(Shape.of(aDims), c.type());
    AbstractValue bv = new AbstractValue(Shape.of(bDims), c.type());
    AbstractValue out =
        new AbstractValue(
            batched ? Shape.of(c.batch(), c.m(), c.n()) : Shape.of(c.m(), c.n()), c.type());
    Random r = new Random(c.hashCode());
    double[] a = values(r, av);
    double[] b = values(r, bv);
    // Host copies in [batch][m][k] and [batch][k][n] order, for the error bound.
    int[] aIdx = index(aDims, c.la(), batched, c.batch(), c.m(), c.k(), true);
    int[] bIdx = index(bDims, c.lb(), batched, c.batch(), c.k(), c.n(), false);
    double[] got = run(cl, c, av, bv, out, a, b, p);
    double[] want = run(ref, c, av, bv, out, a, b, p);
    assertEquals(want.length, got.length);
    double u = c.type() == DType.F32 ? 0x1p-24 : 0x1p-53;
    int mk = c.m() * c.k();
    int kn = c.k() * c.n();
    for (int q = 0; q < c.batch(); q++) {
      for (int i = 0; i < c.m(); i++) {
        for (int j = 0; j < c.n(); j++) {
          double mag = 0;
          for (int l = 0; l < c.k(); l++) {
            mag += Math.abs(a[aIdx[q * mk + i * c.k() + l]] * b[bIdx[q * kn + l * c.n() + j]]);
          }
          int o = (q * c.m() + i) * c.n() + j;
          double bound = 2 * c.k() * u * mag + Double.MIN_NORMAL;
          if (!(Math.abs(got[o] - want[o]) <= bound)) {
            fail(
                c
                    + ": C["
                    + q
                    + ", "
                    + i
                    + ", "
                    + j
                    + "] = "
                    + got[o]
                    + ", reference "
                    + want[o]
                    + " (bound "
                    + bound
                    + ")");
          }
        }
      }
    }
    assertTrue(cl.plan(LinearAlgebra.DOT_GENERAL, p, List.of(av, bv)).startsWith("matmul kernel"));
  }

  /** Flat positions of A[q, i, l] (or B[q, l, j]) in the stored operand, in [q][i][l] order. */
  private static int[] index(
      int[] dims, Layout lay, boolean batched, int batch, int rows, int cols, boolean isA) {
    int[] idx = new int[batch * rows * cols];
    for (int q = 0; q < batch; q++) {
      for (int i = 0; i < rows; i++) {
        for (int l = 0; l < cols; l++) {
          // (i, l) is (m, k) for A and (k, n) for B.
          int pos;
          boolean transposed = lay == Layout.TRANSPOSED;
          if (lay == Layout.BATCH_LAST) {
            // A [K, M, batch]: (l, i, q); B [N, K, batch]: (l, i, q) too.
            pos = (l * dims[1] + i) * dims[2] + q;
          } else {
            int r0 = transposed ? l : i;
            int c0 = transposed ? i : l;
            int inner = dims[dims.length - 1];
            int outer = dims[dims.length - 2];
            pos = (batched ? q * outer * inner : 0) + r0 * inner + c0;
          }
          idx[(q * rows + i) * cols + l] = pos;
        }
      }
    }
    return idx;
  }

  private static double[] values(Random r, AbstractValue av) {
    double[] v = new double[(int) av.shape().size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = av.dtype() == DType.F32 ? (float) r.nextGaussian() : r.nextGaussian();
    }
    return v;
  }

  private static double[] run(
      Backend be,
      Case c,
      AbstractValue av,
      AbstractValue bv,
      AbstractValue out,
      double[] a,
      double[] b,
      Params p) {
    Buffer da = be.upload(HostArray.ofDoubles(av, a));
    Buffer db = be.upload(HostArray.ofDoubles(bv, b));
    List<Buffer> res =
        be.kernel(LinearAlgebra.DOT_GENERAL)
            .orElseThrow()
            .run(List.of(da, db), List.of(av, bv), p, List.of(out));
    double[] v = be.download(res.get(0)).toDoubles();
    res.get(0).release();
    da.release();
    db.release();
    return v;
  }
}
