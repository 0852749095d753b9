package dev.arbor.gpu.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.array.DType;
import dev.arbor.gpu.device.Device;
import dev.arbor.gpu.device.Native;
import dev.arbor.gpu.ir.DoubleMath;
import dev.arbor.gpu.ir.LoopKernel;
import dev.arbor.gpu.ir.Op;
import dev.arbor.gpu.ir.OpenClEmitter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DoubleMath} run on a real OpenCL device in double precision: kernels emitted with {@link
 * OpenClEmitter#emit(dev.arbor.gpu.ir.GpuKernel, boolean) arborMath} (the same operations the PTX
 * emitter writes, one C statement each) must give the same bits as the Java mirror {@link
 * DoubleMath#JAVA} on random and special inputs. Inputs or results in the subnormal range are left
 * out where the device flushes subnormals (PoCL's CPU device may). Skipped without an OpenCL device
 * with F64.
 */
class OpenClDoubleMathTest {
  static Device dev;

  @BeforeAll
  static void open() {
    try {
      dev = new OpenClDevice(Native.load("libOpenCL.so.1"));
    } catch (RuntimeException | LinkageError e) {
      assumeTrue(false, "no OpenCL device: " + e.getMessage());
    }
    assumeTrue(dev.supportsF64(), "the OpenCL device has no F64");
  }

  @AfterAll
  static void close() {
    dev = null;
  }

  static double[] inputs(long seed, boolean positive) {
    Random r = new Random(seed);
    List<Double> v = new ArrayList<>();
    for (double s :
        new double[] {
          0.0,
          -0.0,
          1.0,
          -1.0,
          0.5,
          2.0,
          Double.NaN,
          Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY,
          1e-300,
          1e300,
          709.78,
          709.79,
          -745.1,
          -745.2,
          1e-17,
          Math.PI,
          22.5,
          -37.5,
          40.0,
          1e6
        }) {
      v.add(s);
    }
    for (int i = 0; i < 3000; i++) {
      v.add(r.nextGaussian() * 3);
      v.add(r.nextGaussian() * 300);
      v.add(Math.scalb(1 + r.nextDouble(), r.nextInt(2000) - 1000) * (r.nextBoolean() ? 1 : -1));
    }
    double[] x = new double[v.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = positive ? Math.abs(v.get(i)) : v.get(i);
    }
    return x;
  }

  /**
   * Runs {@code op} (on value 0, or values 0 and 1) over {@code x} (and {@code y}) on the device.
   */
  static double[] run(Op op, double[] x, double[] y) {
    int n = x.length;
    List<Op> body = new ArrayList<>();
    body.add(new Op.Load(DType.F64, 0, new int[0]));
    List<DType> in = new ArrayList<>(List.of(DType.F64));
    if (y != null) {
      body.add(new Op.Load(DType.F64, 1, new int[0]));
      in.add(DType.F64);
    }
    body.add(op);
    LoopKernel k =
        new LoopKernel("dm", new int[] {n}, new int[0], in, body, List.of(body.size() - 1), null);
    String src = OpenClEmitter.emit(k, true);
    Device.Compiled c = dev.compile(src, "dm");
    long bytes = 8L * n;
    List<Device.Handle> handles = new ArrayList<>();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment seg = arena.allocate(bytes, 8);
      List<Device.Arg> args = new ArrayList<>();
      for (double[] v : y == null ? List.of(x) : List.of(x, y)) {
        Device.Handle h = dev.allocate(bytes);
        handles.add(h);
        MemorySegment.copy(v, 0, seg, ValueLayout.JAVA_DOUBLE, 0, n);
        dev.write(h, seg, bytes);
        args.add(new Device.Pointer(h));
      }
      Device.Handle out = dev.allocate(bytes);
      handles.add(out);
      args.add(new Device.Pointer(out));
      args.add(new Device.Int(n));
      dev.launch(c, new long[] {(n + 63) / 64 * 64, 1, 1}, new long[] {64, 1, 1}, args);
      dev.read(out, seg, bytes);
      return seg.toArray(ValueLayout.JAVA_DOUBLE);
    } finally {
      handles.forEach(dev::free);
      dev.release(c);
    }
  }

  static boolean subnormal(double v) {
    return v != 0 && Math.abs(v) < Double.MIN_NORMAL;
  }

  static void assertSameBits(String what, double[] x, double[] y, double[] got, double[] want) {
    int compared = 0;
    List<String> bad = new ArrayList<>();
    for (int i = 0; i < got.length; i++) {
      if (subnormal(x[i]) || (y != null && subnormal(y[i])) || subnormal(want[i])) {
        continue; // the device may flush subnormals
      }
      compared++;
      if (Double.doubleToLongBits(got[i]) != Double.doubleToLongBits(want[i]) && bad.size() < 5) {
        bad.add(
            "x="
                + x[i]
                + (y != null ? " y=" + y[i] : "")
                + ": device "
                + got[i]
                + ", mirror "
                + want[i]);
      }
    }
    assertEquals(List.of(), bad, what + " (" + compared + " compared)");
  }

  void unary(Op.UnaryFn fn, DoubleUnaryOperator mirror, boolean positive) {
    double[] x = inputs(fn.ordinal(), positive);
    double[] got = run(new Op.Unary(DType.F64, fn, 0), x, null);
    double[] want = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      want[i] = mirror.applyAsDouble(x[i]);
    }
    assertSameBits(fn.name(), x, null, got, want);
  }

  void binary(Op.BinaryFn fn, DoubleBinaryOperator mirror) {
    double[] x = inputs(100 + fn.ordinal(), fn == Op.BinaryFn.POW);
    double[] y = inputs(200 + fn.ordinal(), false);
    for (int i = 0; i < y.length; i++) {
      y[i] = fn == Op.BinaryFn.POW ? y[i] / 100 : y[i];
    }
    double[] got = run(new Op.Binary(DType.F64, fn, 0, 1), x, y);
    double[] want = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      want[i] = mirror.applyAsDouble(x[i], y[i]);
    }
    assertSameBits(fn.name(), x, y, got, want);
  }

  static final dev.arbor.gpu.ir.MathOps<Double, Boolean> J = DoubleMath.JAVA;

  @Test
  void unaryFunctionsGiveTheMirrorsBits() {
    unary(Op.UnaryFn.EXP, x -> DoubleMath.exp(J, x), false);
    unary(Op.UnaryFn.EXPM1, x -> DoubleMath.expm1(J, x), false);
    unary(Op.UnaryFn.LOG, x -> DoubleMath.log(J, x), true);
    unary(Op.UnaryFn.LOG1P, x -> DoubleMath.log1p(J, x), true);
    unary(Op.UnaryFn.TANH, x -> DoubleMath.tanh(J, x), false);
    unary(Op.UnaryFn.LOGISTIC, x -> DoubleMath.logistic(J, x), false);
    unary(Op.UnaryFn.SIN, x -> DoubleMath.sin(J, x), false);
    unary(Op.UnaryFn.COS, x -> DoubleMath.cos(J, x), false);
  }

  @Test
  void erfInvGivesTheMirrorsBits() {
    // erf_inv always runs as DoubleMath on OpenCL (no builtin): inputs over [-1, 1] and its tails.
    java.util.Random r = new java.util.Random(77);
    double[] x = new double[9000];
    for (int i = 0; i < x.length; i++) {
      x[i] =
          i % 3 == 0
              ? (1 - Math.pow(10, -2 - 14 * r.nextDouble())) * (r.nextBoolean() ? 1 : -1)
              : r.nextDouble() * 2 - 1;
    }
    double[] special = {1, -1, 0.0, -0.0, 1.5, -1.5, Double.NaN, Double.NEGATIVE_INFINITY};
    System.arraycopy(special, 0, x, 0, special.length);
    double[] got = run(new Op.Unary(DType.F64, Op.UnaryFn.ERF_INV, 0), x, null);
    double[] want = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      want[i] = DoubleMath.erfInv(J, x[i]);
    }
    assertSameBits("ERF_INV", x, null, got, want);
  }

  @Test
  void binaryFunctionsGiveTheMirrorsBits() {
    binary(Op.BinaryFn.POW, (x, y) -> DoubleMath.pow(J, x, y));
    binary(Op.BinaryFn.ATAN2, (x, y) -> DoubleMath.atan2(J, x, y));
    binary(Op.BinaryFn.REM, (x, y) -> DoubleMath.rem(J, x, y));
  }
}
