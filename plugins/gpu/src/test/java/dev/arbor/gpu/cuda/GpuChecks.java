package dev.arbor.gpu.cuda;

import dev.arbor.Arbor;
import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Shape;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import dev.arbor.backend.Kernel;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Scope;
import dev.arbor.core.primitives.Elementwise;
import dev.arbor.core.primitives.LinearAlgebra;
import dev.arbor.gpu.device.DeviceBackend;
import dev.arbor.gpu.ir.DoubleMath;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The checks a session with a GPU runs (see {@code plugins/gpu/device/run-gpu-checks.sh} and
 * docs/gpu.md, "Running on a GPU"): every section writes its own file under the output folder and
 * one line per figure to {@code results.jsonl}; {@code summary.txt} collects them. Sections:
 *
 * <ul>
 *   <li>{@code conformance}: the backend-testkit suite on {@code cuda} ({@link CudaGpuTest}),
 *       through the JUnit launcher.
 *   <li>{@code math}: F64 transcendentals, {@code pow}/{@code atan2}/{@code rem} and F32 {@code
 *       log1p}/{@code expm1} computed by the PTX on the device, compared bit for bit with {@link
 *       DoubleMath#JAVA} (the same algorithm in Java) and in ULPs with {@link StrictMath}; tree
 *       reductions against a double-precision host sum, and repeatability bit for bit.
 *   <li>{@code sgemm}: F32 matmul 1024², 2048², 4096² and 8192² on cuBLAS and on Arbor's tiled
 *       kernel (kernel calls, each synchronized), TFLOP/s, the tiled kernel's fraction of cuBLAS's
 *       rate, and A·Bᵀ at 4096 (the tiled kernel's scalar-load path); 64 sampled elements of each
 *       result against the exact product (a wrong or NaN result fails), and cuBLAS against the
 *       tiled kernel. First, the tiled kernel on 11 edge shapes (partial tiles, batches, transposed
 *       operands, F64), every element against the exact product's error bound.
 *   <li>{@code fused}: a jitted elementwise chain over 2^26 floats, GB/s, against a
 *       device-to-device copy of the same size.
 *   <li>{@code mlp}: one jitted value-and-gradient step of a 784-1024-1024-10 MLP, batch 1024.
 *   <li>{@code indexing} (only when named): the index, scan and hash kernels — gather of embedding
 *       rows, the deterministic scatter_add of their gradient (checked bit for bit against the
 *       reference), cumsum and argmax along either axis of a square matrix (cumsum checked bit for
 *       bit), sort (an argsort) of the matrix's rows and of one long line (checked bit for bit),
 *       threefry2x32 and erf_inv — timed (best of 10) against {@code -x}.
 *   <li>{@code conv} (only when named): {@code conv_general} (im2col + matmul) on three F32 convnet
 *       layers (3x3 SAME, 3x3 stride 2, 1x1), TFLOP/s and the route {@code plan} names, 64 sampled
 *       outputs of each against the exact sum; a jitted input-and-kernel gradient, timed; forward
 *       and gradients of a small strided, asymmetrically padded case against the reference backend.
 * </ul>
 *
 * <p>Usage: {@code GpuChecks OUT_DIR [section,section,...]}. Exit status 0 when every check passed,
 * 1 when one failed, 2 when the {@code cuda} backend is unavailable (the reason is printed and
 * written to {@code summary.txt}).
 */
public final class GpuChecks {
  private final Path out;
  private final String backend;
  private final boolean small;
  private final StringBuilder summary = new StringBuilder();
  private final StringBuilder results = new StringBuilder();
  private boolean failed;

  /**
   * Checks writing to {@code out}, on {@code backend} ({@code cuda} on a GPU machine; the tests run
   * them on {@code opencl}), at full size or {@code small} (the tests' sizes).
   */
  GpuChecks(Path out, String backend, boolean small) {
    this.out = out;
    this.backend = backend;
    this.small = small;
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "gpu-checks-out");
    Set<String> all = new LinkedHashSet<>(List.of("conformance", "math", "sgemm", "fused", "mlp"));
    Set<String> which =
        args.length > 1 ? new LinkedHashSet<>(Arrays.asList(args[1].split(","))) : all;
    Files.createDirectories(out);
    GpuChecks c =
        new GpuChecks(
            out,
            System.getProperty("arbor.checks.backend", "cuda"),
            "small".equals(System.getProperty("arbor.checks.scale")));
    System.exit(c.run(which));
  }

  int run(Set<String> which) throws IOException {
    Backend b =
        Backends.all().stream().filter(x -> x.name().equals(backend)).findFirst().orElseThrow();
    line("arbor-gpu device checks, " + java.time.Instant.now());
    line("java " + System.getProperty("java.version") + ", sections " + which);
    line("backend: " + backend + (small ? ", small sizes" : ""));
    if (!b.isAvailable()) {
      line(backend.toUpperCase(Locale.ROOT) + " BACKEND UNAVAILABLE: " + b.unavailableReason());
      line("nothing ran on a GPU (expected on a machine without an NVIDIA driver)");
      flush();
      return 2;
    }
    CudaBackend cuda = b instanceof CudaBackend c ? c : null;
    line("device: " + ((DeviceBackend) b).describeDevice());
    flush();
    for (String s : which) {
      long t0 = System.nanoTime();
      try {
        switch (s) {
          case "conformance" -> conformance();
          case "math" -> math();
          case "sgemm" -> sgemm((DeviceBackend) b, cuda);
          case "fused" -> fused();
          case "mlp" -> mlp();
          case "indexing" -> indexing(b);
          case "conv" -> conv(b);
          default -> fail(s, "unknown section");
        }
      } catch (Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        fail(s, "threw " + w);
      }
      line(String.format(Locale.ROOT, "[%s] took %.1f s", s, (System.nanoTime() - t0) / 1e9));
      flush();
    }
    line(failed ? "SOME CHECKS FAILED" : "ALL CHECKS PASSED");
    flush();
    return failed ? 1 : 0;
  }

  // ------------------------------------------------------------------ output

  private void line(String s) {
    System.out.println(s);
    summary.append(s).append('\n');
  }

  private void fail(String section, String what) {
    failed = true;
    line("FAIL [" + section + "] " + what);
  }

  /** One figure: a line of results.jsonl and of the summary. */
  private void figure(String section, String name, double value, String unit, String note) {
    String n = note == null ? "" : note;
    results.append(
        String.format(
            Locale.ROOT,
            "{\"section\":\"%s\",\"name\":\"%s\",\"value\":%s,\"unit\":\"%s\",\"note\":\"%s\"}%n",
            section,
            name,
            Double.isFinite(value) ? String.format(Locale.ROOT, "%.6g", value) : "null",
            unit,
            n.replace("\"", "'")));
    line(String.format(Locale.ROOT, "  %-44s %12.4g %s %s", name, value, unit, n));
  }

  private void flush() throws IOException {
    Files.writeString(out.resolve("summary.txt"), summary);
    Files.writeString(out.resolve("results.jsonl"), results);
  }

  // ------------------------------------------------------------------ conformance

  private void conformance() throws IOException {
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request()
            .selectors(
                org.junit.platform.engine.discovery.DiscoverySelectors.selectClass(
                    backend.equals("cuda")
                        ? CudaGpuTest.class.getName()
                        : "dev.arbor.gpu.opencl.OpenClKitConformanceTest"))
            .build();
    Launcher launcher = LauncherFactory.create();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(request, listener);
    TestExecutionSummary s = listener.getSummary();
    StringWriter w = new StringWriter();
    s.printTo(new PrintWriter(w));
    s.printFailuresTo(new PrintWriter(w), 30);
    Files.writeString(out.resolve("conformance.txt"), w.toString());
    figure("conformance", "tests succeeded", s.getTestsSucceededCount(), "tests", null);
    figure("conformance", "tests failed", s.getTestsFailedCount(), "tests", "see conformance.txt");
    figure(
        "conformance",
        "tests skipped/aborted",
        s.getTestsSkippedCount() + s.getTestsAbortedCount(),
        "tests",
        null);
    if (s.getTestsFailedCount() > 0 || s.getTestsSucceededCount() == 0) {
      fail(
          "conformance",
          s.getTestsFailedCount() + " failed, " + s.getTestsSucceededCount() + " succeeded");
    }
  }

  // ------------------------------------------------------------------ math

  private static final MathOpsMirror M = new MathOpsMirror();

  /** The Java mirror, as plain functions. */
  private static final class MathOpsMirror {
    DoubleUnaryOperator unary(String fn) {
      var j = DoubleMath.JAVA;
      return switch (fn) {
        case "exp" -> x -> DoubleMath.exp(j, x);
        case "log" -> x -> DoubleMath.log(j, x);
        case "log1p" -> x -> DoubleMath.log1p(j, x);
        case "expm1" -> x -> DoubleMath.expm1(j, x);
        case "tanh" -> x -> DoubleMath.tanh(j, x);
        case "sin" -> x -> DoubleMath.sin(j, x);
        case "cos" -> x -> DoubleMath.cos(j, x);
        default -> throw new IllegalArgumentException(fn);
      };
    }
  }

  private static double ulps(double got, double want) {
    if (Double.isNaN(want) || Double.isNaN(got)) {
      return Double.isNaN(want) && Double.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
    }
    if (got == want) {
      return 0;
    }
    if (Double.isInfinite(want) || Double.isInfinite(got)) {
      return Double.POSITIVE_INFINITY;
    }
    return Math.abs(got - want) / Math.ulp(want);
  }

  private void math() {
    int n = small ? 1 << 14 : 1 << 20;
    Random r = new Random(42);
    double[] x = new double[n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i % 4 == 0 ? r.nextGaussian() * 800 : r.nextGaussian() * 4;
      y[i] = r.nextGaussian() * 3;
    }
    x[0] = 0.0;
    x[1] = -0.0;
    x[2] = Double.NaN;
    x[3] = Double.POSITIVE_INFINITY;
    x[4] = Double.NEGATIVE_INFINITY;
    x[5] = Double.MIN_VALUE;
    Tensor tx = Tensor.fromArray(x, n).to(backend);
    Tensor ty = Tensor.fromArray(y, n).to(backend);
    Tensor px = Ops.abs(tx); // positive arguments for log
    record U(String name, Function<Tensor, Tensor> op, DoubleUnaryOperator strict, boolean pos) {}
    List<U> unary =
        List.of(
            new U("exp", Ops::exp, StrictMath::exp, false),
            new U("log", Ops::log, StrictMath::log, true),
            new U("log1p", Elementwise::log1p, StrictMath::log1p, true),
            new U("expm1", Elementwise::expm1, StrictMath::expm1, false),
            new U("tanh", Ops::tanh, StrictMath::tanh, false),
            new U("sin", Ops::sin, StrictMath::sin, false),
            new U("cos", Ops::cos, StrictMath::cos, false));
    for (U u : unary) {
      double[] in = u.pos() ? px.toDoubleArray() : x;
      double[] got = u.op().apply(u.pos() ? px : tx).toDoubleArray();
      compare("F64 " + u.name(), in, null, got, u.strict(), null, M.unary(u.name()), null);
    }
    record B(
        String name,
        BiFunction<Tensor, Tensor, Tensor> op,
        DoubleBinaryOperator strict,
        DoubleBinaryOperator mirror) {}
    var j = DoubleMath.JAVA;
    List<B> binary =
        List.of(
            new B("pow", Elementwise::pow, StrictMath::pow, (a, b) -> DoubleMath.pow(j, a, b)),
            new B(
                "atan2",
                Elementwise::atan2,
                StrictMath::atan2,
                (a, b) -> DoubleMath.atan2(j, a, b)),
            new B("rem", Elementwise::rem, (a, b) -> a % b, (a, b) -> DoubleMath.rem(j, a, b)));
    double[] ax = px.toDoubleArray();
    for (B b : binary) {
      boolean pos = b.name().equals("pow");
      double[] got = b.op().apply(pos ? px : tx, ty).toDoubleArray();
      compare("F64 " + b.name(), pos ? ax : x, y, got, null, b.strict(), null, b.mirror());
    }
    // F32 log1p through F64: within 1 ulp of the float-rounded StrictMath value
    float[] xf = new float[n];
    for (int i = 0; i < n; i++) {
      xf[i] = (float) Math.abs(x[i]);
    }
    double[] gf = Elementwise.log1p(Tensor.fromArray(xf, n).to(backend)).toDoubleArray();
    double worstF = 0;
    for (int i = 0; i < n; i++) {
      float want = (float) StrictMath.log1p(xf[i]);
      float got = (float) gf[i];
      double e =
          got == want || (Float.isNaN(got) && Float.isNaN(want))
              ? 0
              : Float.isInfinite(want)
                  ? Double.POSITIVE_INFINITY
                  : Math.abs(got - want) / Math.ulp(want);
      worstF = Math.max(worstF, e);
    }
    figure("math", "F32 log1p max error", worstF, "ulp(f32)", "bound 1");
    if (!(worstF <= 1)) {
      fail("math", "F32 log1p " + worstF + " ulp");
    }
    trees();
  }

  private void compare(
      String what,
      double[] x,
      double[] y,
      double[] got,
      DoubleUnaryOperator strict1,
      DoubleBinaryOperator strict2,
      DoubleUnaryOperator mirror1,
      DoubleBinaryOperator mirror2) {
    double worst = 0;
    long mismatches = 0;
    int firstBad = -1;
    for (int i = 0; i < got.length; i++) {
      double want =
          strict1 != null ? strict1.applyAsDouble(x[i]) : strict2.applyAsDouble(x[i], y[i]);
      double mirror =
          mirror1 != null ? mirror1.applyAsDouble(x[i]) : mirror2.applyAsDouble(x[i], y[i]);
      if (Double.doubleToLongBits(mirror) != Double.doubleToLongBits(got[i])) {
        mismatches++;
        if (firstBad < 0) {
          firstBad = i;
        }
      }
      double e = ulps(got[i], want);
      if (Math.abs(x[i]) < 0x1p50) { // sin/cos: accurate below 2^50 only (documented)
        worst = Math.max(worst, e);
      }
    }
    String at =
        firstBad < 0
            ? "bit-identical to DoubleMath.JAVA"
            : "first mismatch with DoubleMath.JAVA at x="
                + x[firstBad]
                + (y != null ? ", y=" + y[firstBad] : "")
                + ": device "
                + got[firstBad];
    figure("math", what + " max error vs StrictMath", worst, "ulp", at);
    figure("math", what + " mismatches vs mirror", mismatches, "elements", null);
    boolean ptx = backend.equals("cuda"); // elsewhere the driver's math runs, not DoubleMath
    if ((ptx && mismatches > 0) || !(worst <= 32)) {
      fail("math", what + ": " + mismatches + " mismatches with the mirror, " + worst + " ulp");
    }
  }

  private void trees() {
    int side = small ? 256 : 4096;
    int n = side * side;
    float[] v = new float[n];
    Random r = new Random(7);
    double exact = 0;
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
      exact += v[i];
    }
    Tensor x = Tensor.fromArray(v, n).to(backend);
    double first = Ops.sum(x).item();
    boolean same = true;
    int reps = 20;
    long t0 = System.nanoTime();
    for (int k = 0; k < reps; k++) {
      same &= Double.doubleToRawLongBits(Ops.sum(x).item()) == Double.doubleToRawLongBits(first);
    }
    double sec = (System.nanoTime() - t0) / 1e9 / reps;
    figure(
        "math",
        "F32 sum of " + n + ": |error| / sqrt(n)",
        Math.abs(first - exact) / Math.sqrt(n),
        "abs",
        "host double sum " + exact + ", device " + first);
    figure(
        "math",
        "F32 sum of " + n + " (tree, incl. item() readback)",
        4.0 * n / sec / 1e9,
        "GB/s",
        null);
    figure("math", "F32 sum repeatable bit for bit", same ? 1 : 0, "bool", null);
    if (!same || Math.abs(first - exact) > 1e-3 * Math.sqrt(n)) {
      fail("math", "tree sum: repeatable=" + same + ", device " + first + ", host " + exact);
    }
    Tensor m = Ops.reshape(x, side, side);
    double[] rows = Ops.sum(m, 1).toDoubleArray();
    double worst = 0;
    for (int i = 0; i < side; i++) {
      double want = 0;
      for (int j = 0; j < side; j++) {
        want += v[i * side + j];
      }
      worst = Math.max(worst, Math.abs(rows[i] - want));
    }
    figure("math", "F32 row sums " + side + "^2 max |error|", worst, "abs", null);
    if (worst > 0.05) {
      fail("math", "row sums off by " + worst);
    }
  }

  // ------------------------------------------------------------------ sgemm

  private static final Params MATMUL =
      Params.of(
          "lhs_contract", new int[] {1},
          "rhs_contract", new int[] {0},
          "lhs_batch", new int[0],
          "rhs_batch", new int[0]);

  /** {@code A · Bᵀ}: B read transposed (the tiled kernel's scalar-load path, as in gradients). */
  private static final Params MATMUL_BT =
      Params.of(
          "lhs_contract", new int[] {1},
          "rhs_contract", new int[] {1},
          "lhs_batch", new int[0],
          "rhs_batch", new int[0]);

  private void sgemm(DeviceBackend main, CudaBackend cuda) {
    List<DeviceBackend> backends = new ArrayList<>(List.of(main));
    if (cuda != null) {
      backends.add(
          new CudaBackend(System.getProperty("arbor.cuda.library", "libcuda.so.1"), List.of()));
    }
    for (DeviceBackend be : backends) {
      if (!be.describeDevice().contains("matmul by ")) {
        edgeShapes(be, be == main ? "tiled kernel" : "tiled kernel (cuBLAS not searched)");
      }
    }
    for (int n : small ? new int[] {128, 129, 256} : new int[] {1024, 2048, 4096, 8192}) {
      AbstractValue av = new AbstractValue(Shape.of(n, n), DType.F32);
      double[] a = new double[n * n];
      double[] b = new double[n * n];
      Random r = new Random(n);
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) r.nextGaussian();
        b[i] = (float) r.nextGaussian();
      }
      HostArray ha = HostArray.ofDoubles(av, a);
      HostArray hb = HostArray.ofDoubles(av, b);
      boolean alsoTransposed = n == (small ? 256 : 4096);
      // 64 sampled elements of C, exactly (double sums of the float inputs' products), of A·B and
      // of A·Bᵀ.
      int[] at = new int[64];
      double[] exact = new double[64];
      double[] exactT = new double[64];
      for (int i = 0; i < 64; i++) {
        at[i] = (int) ((long) i * 7919 * 7919 % ((long) n * n));
        int row = at[i] / n;
        int col = at[i] % n;
        for (int q = 0; q < n && alsoTransposed; q++) {
          exactT[i] += a[row * n + q] * b[col * n + q];
        }
        for (int q = 0; q < n; q++) {
          exact[i] += a[row * n + q] * b[q * n + col];
        }
      }
      double[][] sample = new double[2][];
      double[] rate = new double[2];
      String[] label = new String[2];
      int k = 0;
      for (DeviceBackend be : backends) {
        // "matmul by cuBLAS (...)"; a backend without it says "tiled matmul kernel (no cuBLAS...)".
        boolean blas = be.describeDevice().contains("matmul by ");
        String which = blas ? "cuBLAS" : "tiled kernel";
        if (be == main && !blas && cuda != null) {
          which = "tiled kernel (no cuBLAS loaded)";
        }
        Buffer da = be.upload(ha);
        Buffer db = be.upload(hb);
        int reps = n >= 8192 ? 4 : n >= 4096 ? 10 : 30;
        Timed t = timeMatmul(be, da, db, av, MATMUL, n, reps, which, "", at, exact);
        if (alsoTransposed) {
          timeMatmul(be, da, db, av, MATMUL_BT, n, reps, which, ", B transposed", at, exactT);
        }
        rate[k] = t.rate();
        label[k] = which;
        sample[k++] = t.sample();
        da.release();
        db.release();
      }
      if (k < 2) {
        continue;
      }
      double worst = 0;
      for (int i = 0; i < 64; i++) {
        double e = Math.abs(sample[0][i] - sample[1][i]) / Math.sqrt(n);
        worst = Double.isNaN(e) ? Double.NaN : Math.max(worst, e);
      }
      figure("sgemm", "F32 " + n + " cuBLAS vs tiled max |diff|/sqrt(n)", worst, "abs", null);
      if (!(worst <= 1e-3)) {
        fail("sgemm", n + ": cuBLAS and the tiled kernel disagree by " + worst);
      }
      if (label[0].equals("cuBLAS") && label[1].startsWith("tiled")) {
        figure(
            "sgemm",
            "F32 " + n + "^3 tiled kernel / cuBLAS",
            rate[1] / rate[0],
            "fraction",
            "issue target >= 0.60 at 4096 and 8192");
      }
    }
  }

  /**
   * The tiled kernel on shapes that reach every edge of its tiles (partial tiles in M, N and K,
   * batches, transposed operands, both load paths, F64), each whole result against the exact
   * product within {@code 2·K·u·Σ|a·b|} per element (the error bound of any order of summation).
   */
  private void edgeShapes(DeviceBackend be, String which) {
    // batch, M, K, N, A transposed, B transposed, F64
    int[][] cases = {
      {1, 1, 1, 1, 0, 0, 0},
      {1, 127, 129, 128, 0, 0, 0},
      {1, 129, 128, 127, 1, 0, 0},
      {1, 300, 300, 300, 0, 1, 0},
      {1, 128, 8, 128, 0, 0, 0},
      {1, 130, 1, 3, 0, 0, 0},
      {3, 65, 16, 132, 0, 0, 0},
      {3, 33, 17, 9, 1, 1, 0},
      {1, 129, 127, 65, 0, 0, 1},
      {2, 64, 9, 63, 1, 0, 1},
      {1, 200, 64, 200, 0, 0, 1}
    };
    Kernel kern = be.kernel(LinearAlgebra.DOT_GENERAL).orElseThrow();
    double worstRatio = 0;
    for (int[] c : cases) {
      int batch = c[0];
      int m = c[1];
      int kk = c[2];
      int n = c[3];
      boolean ta = c[4] == 1;
      boolean tb = c[5] == 1;
      DType t = c[6] == 1 ? DType.F64 : DType.F32;
      boolean batched = batch > 1;
      int off = batched ? 1 : 0;
      int[] ad = ta ? new int[] {kk, m} : new int[] {m, kk};
      int[] bd = tb ? new int[] {n, kk} : new int[] {kk, n};
      AbstractValue av = new AbstractValue(Shape.of(withBatch(batch, ad)), t);
      AbstractValue bv = new AbstractValue(Shape.of(withBatch(batch, bd)), t);
      AbstractValue cv = new AbstractValue(Shape.of(withBatch(batch, new int[] {m, n})), t);
      Params p =
          Params.of(
              "lhs_contract",
              new int[] {off + (ta ? 0 : 1)},
              "rhs_contract",
              new int[] {off + (tb ? 1 : 0)},
              "lhs_batch",
              batched ? new int[] {0} : new int[0],
              "rhs_batch",
              batched ? new int[] {0} : new int[0]);
      Random r = new Random(31L * m + kk + 7L * n);
      double[] a = new double[batch * m * kk];
      double[] b = new double[batch * kk * n];
      for (int i = 0; i < a.length; i++) {
        a[i] = t == DType.F32 ? (float) r.nextGaussian() : r.nextGaussian();
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = t == DType.F32 ? (float) r.nextGaussian() : r.nextGaussian();
      }
      Buffer da = be.upload(HostArray.ofDoubles(av, a));
      Buffer db = be.upload(HostArray.ofDoubles(bv, b));
      List<Buffer> out = kern.run(List.of(da, db), List.of(av, bv), p, List.of(cv));
      double[] got = be.download(out.getFirst()).toDoubles();
      out.forEach(Buffer::release);
      da.release();
      db.release();
      double u = t == DType.F32 ? 0x1p-24 : 0x1p-53;
      for (int q = 0; q < batch; q++) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double want = 0;
            double mag = 0;
            for (int l = 0; l < kk; l++) {
              double x = a[q * m * kk + (ta ? l * m + i : i * kk + l)];
              double y = b[q * kk * n + (tb ? j * kk + l : l * n + j)];
              want += x * y;
              mag += Math.abs(x * y);
            }
            double bound = 2 * kk * u * mag + Double.MIN_NORMAL;
            double ratio = Math.abs(got[(q * m + i) * n + j] - want) / bound;
            worstRatio = Double.isNaN(ratio) ? Double.NaN : Math.max(worstRatio, ratio);
            if (!(ratio <= 1)) {
              fail(
                  "sgemm",
                  String.format(
                      Locale.ROOT,
                      "%s %s batch %d M%d K%d N%d%s%s: C[%d, %d, %d] = %s, exact %s",
                      which,
                      t,
                      batch,
                      m,
                      kk,
                      n,
                      ta ? " A transposed" : "",
                      tb ? " B transposed" : "",
                      q,
                      i,
                      j,
                      got[(q * m + i) * n + j],
                      want));
              return;
            }
          }
        }
      }
    }
    figure(
        "sgemm",
        which + ": " + cases.length + " edge shapes, worst error / bound",
        worstRatio,
        "ratio",
        "F32/F64, partial tiles, batches, transposed operands; must be <= 1");
  }

  private static int[] withBatch(int batch, int[] dims) {
    return batch > 1 ? new int[] {batch, dims[0], dims[1]} : dims;
  }

  /** A timed matmul's TFLOP/s and its 64 sampled elements. */
  private record Timed(double rate, double[] sample) {}

  /**
   * Times {@code reps} {@code dot_general} calls, each waited for (after one warm-up), on {@code
   * be}, writes the figure, and checks 64 sampled elements against {@code exact} (a wrong or NaN
   * result fails the section).
   */
  private Timed timeMatmul(
      DeviceBackend be,
      Buffer da,
      Buffer db,
      AbstractValue av,
      Params p,
      int n,
      int reps,
      String which,
      String variant,
      int[] at,
      double[] exact) {
    Kernel kern = be.kernel(LinearAlgebra.DOT_GENERAL).orElseThrow();
    List<AbstractValue> in = List.of(av, av);
    List<Buffer> warm = kern.run(List.of(da, db), in, p, List.of(av));
    warm.getFirst().awaitReady();
    warm.forEach(Buffer::release);
    double best = Double.MAX_VALUE;
    double total = 0;
    Buffer last = null;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      List<Buffer> c = kern.run(List.of(da, db), in, p, List.of(av));
      c.getFirst().awaitReady(); // launches are asynchronous
      double s = (System.nanoTime() - t0) / 1e9;
      best = Math.min(best, s);
      total += s;
      if (last != null) {
        last.release();
      }
      last = c.get(0);
    }
    double flops = 2.0 * n * n * (double) n;
    double rate = flops / best / 1e12;
    figure(
        "sgemm",
        "F32 " + n + "^3 " + which + variant + " (best of " + reps + ")",
        rate,
        "TFLOP/s",
        String.format(Locale.ROOT, "best %.3f ms, mean %.3f ms", best * 1e3, total / reps * 1e3));
    double[] c = be.download(last).doubles();
    last.release();
    double[] s = new double[64];
    double worst = 0;
    for (int i = 0; i < 64; i++) {
      s[i] = c[at[i]];
      double e = Math.abs(s[i] - exact[i]) / Math.sqrt(n);
      worst = Double.isNaN(e) ? Double.NaN : Math.max(worst, e);
    }
    figure(
        "sgemm", "F32 " + n + " " + which + variant + " max |error|/sqrt(n)", worst, "abs", null);
    // NaN fails too: the comparison is false for it.
    if (!(worst <= 1e-3)) {
      fail("sgemm", n + ": " + which + variant + " is off the exact product by " + worst);
    }
    return new Timed(rate, s);
  }

  // ------------------------------------------------------------------ fused

  private void fused() {
    int n = small ? 1 << 18 : 1 << 26;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (i % 1000) * 1e-3f;
    }
    Tensor x = Tensor.fromArray(v, n).to(backend);
    Function<List<Tensor>, List<Tensor>> f =
        Arbor.jit(
            (List<Tensor> in) ->
                List.of(Ops.tanh(Ops.add(Ops.mul(in.get(0), in.get(0)), in.get(0)).mul(0.5))));
    List<Tensor> args = List.of(x);
    f.apply(args).getFirst().blockUntilReady(); // compile
    int reps = 30;
    double best = Double.MAX_VALUE;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      f.apply(args).getFirst().blockUntilReady(); // launches are asynchronous
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    figure(
        "fused",
        "jit tanh(0.5*(x*x+x)) over " + n + " F32 (read+write)",
        8.0 * n / best / 1e9,
        "GB/s",
        String.format(Locale.ROOT, "best %.3f ms", best * 1e3));
    // The denominators: a copy-like kernel (-x: one read, one write, as JAX's baseline) and the
    // driver's device-to-device copy (a reshape copies), both waited for.
    Ops.neg(x).blockUntilReady();
    double neg = Double.MAX_VALUE;
    double copy = Double.MAX_VALUE;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      Ops.neg(x).blockUntilReady();
      long t1 = System.nanoTime();
      Ops.reshape(x, n >> 13, 1 << 13).blockUntilReady();
      long t2 = System.nanoTime();
      neg = Math.min(neg, (t1 - t0) / 1e9);
      copy = Math.min(copy, (t2 - t1) / 1e9);
    }
    figure(
        "fused",
        "device -x " + n + " F32 (read+write)",
        8.0 * n / neg / 1e9,
        "GB/s",
        String.format(Locale.ROOT, "best %.3f ms", neg * 1e3));
    figure(
        "fused",
        "device copy " + n + " F32 (read+write)",
        8.0 * n / copy / 1e9,
        "GB/s",
        String.format(
            Locale.ROOT, "best %.3f ms (the driver's device-to-device copy)", copy * 1e3));
    figure("fused", "fused / -x bandwidth", neg / best, "ratio", null);
    figure("fused", "fused / copy bandwidth", copy / best, "ratio", null);
  }

  // ------------------------------------------------------------------ indexing

  /** A device tensor of {@code h} on {@code b}. */
  private static Tensor on(Backend b, HostArray h) {
    return dev.arbor.core.ConcreteTensor.wrap(b, b.upload(h), h.aval());
  }

  /** Best of {@code reps} runs of {@code f} (each waited for), in seconds. */
  private static double best(int reps, java.util.function.Supplier<Tensor> f) {
    f.get().blockUntilReady();
    double best = Double.MAX_VALUE;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      f.get().blockUntilReady();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return best;
  }

  private void timed(String name, double seconds, double bytes) {
    figure(
        "indexing",
        name,
        seconds * 1e3,
        "ms",
        String.format(Locale.ROOT, "%.1f GB/s moved", bytes / seconds / 1e9));
  }

  private static boolean sameBits(HostArray a, HostArray b) {
    for (int i = 0; i < a.size(); i++) {
      if (Double.doubleToRawLongBits(a.getDouble(i))
          != Double.doubleToRawLongBits(b.getDouble(i))) {
        return false;
      }
    }
    return a.size() == b.size();
  }

  private void indexing(Backend b) {
    int reps = 10;
    Random r = new Random(5);
    int vocab = small ? 512 : 32768;
    int dim = small ? 64 : 512;
    int tokens = small ? 256 : 8192;
    float[] table = new float[vocab * dim];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) r.nextGaussian();
    }
    long[] ids = new long[tokens];
    for (int i = 0; i < tokens; i++) {
      ids[i] = (long) Math.min(vocab - 1, Math.abs(r.nextGaussian()) * vocab / 8); // Zipf-like
    }
    double[] up = new double[tokens * dim];
    for (int i = 0; i < up.length; i++) {
      up[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2));
    }
    HostArray hx =
        HostArray.ofDoubles(new AbstractValue(Shape.of(vocab, dim), DType.F32), toDoubles(table));
    HostArray hidx = HostArray.ofLongs(new AbstractValue(Shape.of(tokens), DType.I32), ids);
    HostArray hu = HostArray.ofDoubles(new AbstractValue(Shape.of(tokens, dim), DType.F32), up);
    Tensor x = on(b, hx);
    Tensor idx = on(b, hidx);
    Tensor u = on(b, hu);
    Params axis0 = Params.of("axis", 0, "batch_dims", 0);
    var gather = dev.arbor.core.primitives.Indexing.GATHER;
    var scatter = dev.arbor.core.primitives.Indexing.SCATTER_ADD;
    double g = best(reps, () -> gather.bind1(axis0, x, idx));
    timed("gather " + tokens + " rows of [" + vocab + ", " + dim + "] F32", g, 8.0 * tokens * dim);
    double sa = best(reps, () -> scatter.bind1(axis0, x, idx, u));
    timed(
        "scatter_add " + tokens + " rows into [" + vocab + ", " + dim + "] F32",
        sa,
        4.0 * (2L * vocab * dim + 2L * tokens * dim));
    HostArray want =
        scatter.referenceKernel().apply(List.of(hx, hidx, hu), axis0, List.of(hx.aval())).get(0);
    HostArray got = ((dev.arbor.core.ConcreteTensor) scatter.bind1(axis0, x, idx, u)).host();
    figure(
        "indexing",
        "scatter_add equals the reference bit for bit",
        sameBits(want, got) ? 1 : 0,
        "bool",
        null);
    if (!sameBits(want, got)) {
      fail("indexing", "scatter_add differs from the reference");
    }
    int n = small ? 256 : 4096;
    float[] sq = new float[n * n];
    for (int i = 0; i < sq.length; i++) {
      sq[i] = (float) r.nextGaussian();
    }
    HostArray hm = HostArray.ofDoubles(new AbstractValue(Shape.of(n, n), DType.F32), toDoubles(sq));
    Tensor m = on(b, hm);
    var cumsum = dev.arbor.core.primitives.Reductions.CUMSUM;
    for (int axis = 0; axis < 2; axis++) {
      Params p = Params.of("axis", axis, "reverse", false);
      double t = best(reps, () -> cumsum.bind1(p, m));
      timed("cumsum [" + n + ", " + n + "] F32 axis " + axis, t, 8.0 * n * n);
      HostArray cw = cumsum.referenceKernel().apply(List.of(hm), p, List.of(hm.aval())).get(0);
      HostArray cg = ((dev.arbor.core.ConcreteTensor) cumsum.bind1(p, m)).host();
      if (!sameBits(cw, cg)) {
        fail("indexing", "cumsum axis " + axis + " differs from the reference");
      }
      Params ap = Params.of("axis", axis, "index_dtype", DType.I32);
      double a = best(reps, () -> dev.arbor.core.primitives.Reductions.ARGMAX.bind1(ap, m));
      timed("argmax [" + n + ", " + n + "] F32 axis " + axis, a, 4.0 * n * n);
    }
    sorts(b, r, reps, hm, m);
    int len = small ? 1 << 16 : 1 << 24;
    long[] bits = new long[len];
    for (int i = 0; i < len; i++) {
      bits[i] = r.nextInt();
    }
    HostArray hb = HostArray.ofLongs(new AbstractValue(Shape.of(len), DType.I32), bits);
    Tensor k = on(b, hb);
    double tf =
        best(
            reps,
            () -> dev.arbor.core.primitives.Threefry.threefry2x32(List.of(k, k, k, k)).getFirst());
    timed("threefry2x32 " + len + " pairs", tf, 24.0 * len);
    double[] e = new double[len];
    for (int i = 0; i < len; i++) {
      e[i] = r.nextDouble() * 2 - 1;
    }
    Tensor ev = on(b, HostArray.ofDoubles(new AbstractValue(Shape.of(len), DType.F32), e));
    double ei = best(reps, () -> Elementwise.ERF_INV.bind1(Params.EMPTY, ev));
    timed("erf_inv " + len + " F32", ei, 8.0 * len);
    double neg = best(reps, () -> Ops.neg(ev));
    timed("-x " + len + " F32 (the copy-like floor)", neg, 8.0 * len);
  }

  /**
   * {@code sort} with positions riding along (an argsort): the rows of the square matrix {@code hm}
   * (lines of {@code n}: one work group each up to 2048, else the multi-pass network) and one line
   * of 2^20 (2^14 small) F32 with ties, NaNs and signed zeros (multi-pass); each checked bit for
   * bit against the reference.
   */
  private void sorts(Backend b, Random r, int reps, HostArray hm, Tensor m) {
    var sort = dev.arbor.core.primitives.Sorting.SORT;
    int n = hm.aval().shape().dim(0);
    int line = small ? 1 << 14 : 1 << 20;
    double[] v = new double[line];
    double[] special = {Double.NaN, -0.0, 0.0, Double.NEGATIVE_INFINITY};
    for (int i = 0; i < line; i++) {
      v[i] = r.nextInt(10) == 0 ? special[r.nextInt(4)] : (float) r.nextGaussian();
    }
    HostArray hl = HostArray.ofDoubles(new AbstractValue(Shape.of(line), DType.F32), v);
    for (HostArray keys : List.of(hm, hl)) {
      int[] dims = keys.aval().shape().dims();
      long[] at = new long[keys.size()];
      for (int i = 0; i < at.length; i++) {
        at[i] = i;
      }
      HostArray hp = HostArray.ofLongs(new AbstractValue(keys.aval().shape(), DType.I32), at);
      Tensor k = keys == hm ? m : on(b, keys);
      Tensor positions = on(b, hp);
      Params p = Params.of("axis", dims.length - 1);
      String what = "sort " + keys.aval() + " + positions, last axis";
      double t = best(reps, () -> sort.bind(List.of(k, positions), p).get(1));
      timed(what, t, 16.0 * keys.size());
      List<HostArray> want =
          sort.referenceKernel().apply(List.of(keys, hp), p, List.of(keys.aval(), hp.aval()));
      List<Tensor> got = sort.bind(List.of(k, positions), p);
      boolean same = true;
      for (int o = 0; o < 2; o++) {
        HostArray g = ((dev.arbor.core.ConcreteTensor) got.get(o)).host();
        HostArray w = want.get(o);
        for (int i = 0; i < w.size() && same; i++) {
          same =
              o == 0
                  ? Float.floatToRawIntBits((float) w.getDouble(i))
                      == Float.floatToRawIntBits((float) g.getDouble(i))
                  : w.getLong(i) == g.getLong(i);
        }
      }
      figure("indexing", what + " equals the reference bit for bit", same ? 1 : 0, "bool", null);
      if (!same) {
        fail("indexing", what + " differs from the reference");
      }
    }
  }

  /**
   * conv_general: three F32 layers timed (best of 10) with 64 sampled outputs each against the
   * exact sum (bound 2e-4 of the sum of |terms|: F32 accumulation passes, TF32 would not); the
   * jitted gradient of {@code sum(tanh(conv))} w.r.t. input and kernel of the first, timed; forward
   * and gradients of a small strided, asymmetrically padded case against the reference backend.
   */
  private void conv(Backend b) {
    int reps = 10;
    Random r = new Random(6);
    int n = small ? 2 : 32;
    int hw = small ? 12 : 56;
    int c = small ? 8 : 64;
    int[][][] layers = {
      // x, kernel, strides
      {{n, hw, hw, c}, {3, 3, c, c}, {1, 1}},
      {{n, hw, hw, c}, {3, 3, c, 2 * c}, {2, 2}},
      {{n, hw / 2, hw / 2, 2 * c}, {1, 1, 2 * c, 4 * c}, {1, 1}},
    };
    var conv = dev.arbor.core.primitives.Convolution.CONV_GENERAL;
    Tensor firstX = null;
    Tensor firstK = null;
    int[] firstPad = null;
    for (int[][] l : layers) {
      int[] xd = l[0];
      int[] kd = l[1];
      int[] st = l[2];
      int[] pad =
          dev.arbor.core.primitives.Convolution.samePadding(
              xd[1], xd[2], kd[0], kd[1], st[0], st[1]);
      Params p = Params.of("strides", st, "padding", pad);
      HostArray hx =
          HostArray.ofDoubles(new AbstractValue(Shape.of(xd), DType.F32), gaussians(r, xd));
      HostArray hk =
          HostArray.ofDoubles(new AbstractValue(Shape.of(kd), DType.F32), gaussians(r, kd));
      Tensor x = on(b, hx);
      Tensor k = on(b, hk);
      if (firstX == null) {
        firstX = x;
        firstK = k;
        firstPad = pad;
      }
      AbstractValue out = conv.abstractEval(List.of(hx.aval(), hk.aval()), p).get(0);
      int[] od = out.shape().dims();
      String what =
          "conv " + hx.aval() + " x " + hk.aval() + " strides " + Arrays.toString(st) + " SAME";
      String plan = ((DeviceBackend) b).plan(conv, p, List.of(hx.aval(), hk.aval()));
      double t = best(reps, () -> conv.bind1(p, x, k));
      double flops = 2.0 * out.shape().size() * kd[0] * kd[1] * kd[2];
      figure(
          "conv",
          what,
          t * 1e3,
          "ms",
          String.format(Locale.ROOT, "%.2f TFLOP/s; %s", flops / t / 1e12, plan));
      double[] got = conv.bind1(p, x, k).toDoubleArray();
      double worst = 0;
      for (int s = 0; s < 64; s++) {
        int at = r.nextInt(got.length);
        int o = at % od[3];
        int rest = at / od[3];
        int ow = rest % od[2];
        rest /= od[2];
        int oh = rest % od[1];
        int nn = rest / od[1];
        double sum = 0;
        double mag = 0;
        for (int u = 0; u < kd[0]; u++) {
          for (int v = 0; v < kd[1]; v++) {
            int ih = oh * st[0] + u - pad[0];
            int iw = ow * st[1] + v - pad[2];
            if (ih < 0 || ih >= xd[1] || iw < 0 || iw >= xd[2]) {
              continue;
            }
            for (int ci = 0; ci < kd[2]; ci++) {
              double term =
                  hx.getDouble(((nn * xd[1] + ih) * xd[2] + iw) * xd[3] + ci)
                      * hk.getDouble(((u * kd[1] + v) * kd[2] + ci) * kd[3] + o);
              sum += term;
              mag += Math.abs(term);
            }
          }
        }
        worst = Math.max(worst, Math.abs(got[at] - sum) / (mag + 1e-30));
      }
      figure("conv", what + " sampled error / sum|terms|", worst, "rel", null);
      if (!(worst <= 2e-4)) {
        fail("conv", what + ": a sampled output is off by " + worst + " of its terms' magnitude");
      }
    }
    int[] pad = firstPad;
    Function<List<Tensor>, List<Tensor>> grad =
        Arbor.jit(
            Arbor.grad(
                (List<Tensor> q) ->
                    Ops.sum(
                        Ops.tanh(
                            dev.arbor.core.primitives.Convolution.conv(
                                q.get(0), q.get(1), new int[] {1, 1}, pad)))));
    List<Tensor> args = List.of(firstX, firstK);
    double tg = best(reps, () -> grad.apply(args).get(1));
    figure(
        "conv",
        "jit grad of sum(tanh(conv)) w.r.t. input and kernel, first layer",
        tg * 1e3,
        "ms",
        null);
    // Small: forward and gradients against the reference backend.
    int[] xs = {2, 9, 11, 3};
    int[] ks = {3, 3, 3, 4};
    int[] st = {2, 2};
    int[] sp = {0, 1, 2, 1};
    HostArray hx =
        HostArray.ofDoubles(new AbstractValue(Shape.of(xs), DType.F32), gaussians(r, xs));
    HostArray hk =
        HostArray.ofDoubles(new AbstractValue(Shape.of(ks), DType.F32), gaussians(r, ks));
    Function<List<Tensor>, List<Tensor>> f =
        q -> {
          List<Tensor> o = new ArrayList<>();
          o.add(dev.arbor.core.primitives.Convolution.conv(q.get(0), q.get(1), st, sp));
          o.addAll(
              Arbor.grad(
                      (List<Tensor> v) ->
                          Ops.sum(
                              Ops.tanh(
                                  dev.arbor.core.primitives.Convolution.conv(
                                      v.get(0), v.get(1), st, sp))))
                  .apply(q));
          return o;
        };
    Backend ref = Backends.get("reference");
    List<Tensor> got = f.apply(List.of(on(b, hx), on(b, hk)));
    List<Tensor> want = f.apply(List.of(on(ref, hx), on(ref, hk)));
    double worst = 0;
    for (int i = 0; i < want.size(); i++) {
      double[] g = got.get(i).toDoubleArray();
      double[] w = want.get(i).toDoubleArray();
      for (int j = 0; j < w.length; j++) {
        worst = Math.max(worst, Math.abs(g[j] - w[j]) / Math.max(1, Math.abs(w[j])));
      }
    }
    figure(
        "conv",
        "small strided conv, forward and grads vs reference, max error / max(1, |ref|)",
        worst,
        "rel",
        null);
    if (!(worst <= 1e-4)) {
      fail("conv", "small conv or its gradients differ from the reference by " + worst);
    }
  }

  private static double[] gaussians(Random r, int[] dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static double[] toDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  // ------------------------------------------------------------------ mlp

  @SuppressWarnings("try") // the scopes only release each step's outputs
  private void mlp() {
    int batch = small ? 64 : 1024;
    int[] widths = {784, 1024, 1024, 10};
    Random r = new Random(3);
    List<Tensor> params = new ArrayList<>();
    for (int l = 0; l + 1 < widths.length; l++) {
      params.add(gaussian(r, 1 / Math.sqrt(widths[l]), widths[l], widths[l + 1]).to(backend));
      params.add(gaussian(r, 0, widths[l + 1]).to(backend));
    }
    Tensor xb = gaussian(r, 1, batch, widths[0]).to(backend);
    Tensor yb = gaussian(r, 1, batch, widths[widths.length - 1]).to(backend);
    Function<List<Tensor>, List<Tensor>> step =
        Arbor.jit(
            (List<Tensor> p) -> {
              List<Tensor> w = p.subList(0, 6);
              Tensor x = p.get(6);
              Tensor y = p.get(7);
              var vg = Arbor.valueAndGrad((List<Tensor> q) -> loss(q, x, y)).apply(w);
              List<Tensor> o = new ArrayList<>();
              o.add(vg.value());
              for (int i = 0; i < 6; i++) {
                o.add(Ops.sub(w.get(i), vg.grad().get(i).mul(0.01)));
              }
              return o;
            });
    List<Tensor> args = new ArrayList<>(params);
    args.add(xb);
    args.add(yb);
    double first = step.apply(args).get(0).item();
    int reps = 20;
    double best = Double.MAX_VALUE;
    double total = 0;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      double loss;
      // A training loop's scope: the step's outputs go back to the pool at once (JAX frees them
      // by reference counting), so no step allocates device memory.
      try (Scope scope = Arbor.scope()) {
        loss = step.apply(args).get(0).item();
      }
      double s = (System.nanoTime() - t0) / 1e9;
      best = Math.min(best, s);
      total += s;
      if (loss != first) {
        fail("mlp", "the same step gave another loss: " + loss + " vs " + first);
      }
    }
    figure(
        "mlp",
        "MLP 784-1024-1024-10 batch " + batch + " step (jit value+grad+SGD)",
        best * 1e3,
        "ms",
        String.format(Locale.ROOT, "mean %.3f ms, loss %.6f", total / reps * 1e3, first));
    perExample(params, small ? 16 : 128);
  }

  /**
   * Per-example gradients of the same MLP, {@code jit(vmap(grad))} over {@code batch} examples
   * (batched matmuls), checked against {@code grad} of one example.
   */
  @SuppressWarnings("try") // the scopes only release each call's outputs
  private void perExample(List<Tensor> w, int batch) {
    Random r = new Random(4);
    Tensor xs = gaussian(r, 1, batch, 784).to(backend);
    Tensor ys = gaussian(r, 1, batch, 10).to(backend);
    Function<List<Tensor>, List<Tensor>> one =
        (List<Tensor> in) ->
            Arbor.grad((List<Tensor> q) -> loss(q, in.get(0).reshape(1, 784), in.get(1)))
                .apply(in.subList(2, 8));
    List<Object> axes = new ArrayList<>(List.of(0, 0));
    for (int i = 0; i < 6; i++) {
      axes.add(null);
    }
    Function<List<Tensor>, List<Tensor>> perEx = Arbor.jit(Arbor.vmap(one, axes, 0));
    List<Tensor> args = new ArrayList<>();
    args.add(xs);
    args.add(ys);
    args.addAll(w);
    List<Tensor> g = perEx.apply(args);
    g.getFirst().blockUntilReady();
    int reps = 10;
    double best = Double.MAX_VALUE;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      try (Scope scope = Arbor.scope()) {
        perEx.apply(args).getFirst().blockUntilReady();
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    figure(
        "mlp",
        "per-example grads MLP 784-1024-1024-10 batch " + batch + " (jit vmap grad)",
        best * 1e3,
        "ms",
        null);
    // Example 5's gradient against grad of that example alone.
    List<Tensor> single =
        Arbor.grad(
                (List<Tensor> q) ->
                    loss(q, Ops.slice(xs, 0, 5, 6), Ops.slice(ys, 0, 5, 6).reshape(10)))
            .apply(w);
    double worst = 0;
    for (int i = 0; i < 6; i++) {
      double[] a = Ops.slice(g.get(i), 0, 5, 6).toDoubleArray();
      double[] b = single.get(i).toDoubleArray();
      for (int k = 0; k < a.length; k++) {
        worst = Math.max(worst, Math.abs(a[k] - b[k]) / (1e-3 + Math.abs(b[k])));
      }
    }
    figure("mlp", "per-example grads vs single grad max rel error", worst, "rel", null);
    if (worst > 1e-3) {
      fail("mlp", "per-example gradient of example 5 differs from its grad by " + worst);
    }
  }

  static Tensor loss(List<Tensor> w, Tensor x, Tensor y) {
    Tensor h = Ops.tanh(Ops.add(Ops.matmul(x, w.get(0)), w.get(1)));
    h = Ops.tanh(Ops.add(Ops.matmul(h, w.get(2)), w.get(3)));
    Tensor out = Ops.add(Ops.matmul(h, w.get(4)), w.get(5));
    Tensor err = Ops.sub(out, y);
    return Ops.mean(Ops.mul(err, err));
  }

  static Tensor gaussian(Random r, double scale, int... dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * scale);
    }
    return Tensor.fromArray(v, dims);
  }
}
