package dev.arbor.bench;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.ConcreteTensor;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.primitives.Indexing;
import dev.arbor.core.primitives.Reductions;
import dev.arbor.core.primitives.Sorting;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * cpu-simd's pad, dynamic_update_slice, cumsum and sort kernels against the path they replaced, the
 * reference fallback ({@code path=fallback}: download the operands to host arrays, run the
 * primitive's reference kernel, upload the result, as {@code CpuKernels.reference} does). F32
 * [1024, 1024] operand (4 MB); pad adds 3 before and 5 after each axis; the update is [512, 700] at
 * (100, 200). Times are per call, output buffer included (and released at once).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--add-modules=jdk.incubator.vector",
      "--enable-native-access=ALL-UNNAMED",
      "-Xmx4g"
    })
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WindowKernelBenchmark {
  /** Operands on cpu-simd. */
  @State(Scope.Benchmark)
  public static class Data {
    @Param({"kernel", "fallback"})
    public String path;

    Backend backend;
    Tensor x;
    Tensor value;
    Tensor update;
    List<Tensor> starts;
    Params padParams;

    @Setup(Level.Trial)
    public void setup() {
      Backends.setDefault("cpu-simd");
      backend = Backends.get("cpu-simd");
      Random r = new Random(1);
      x = CpuBackendBenchmark.random(r, 1024, 1024);
      update = CpuBackendBenchmark.random(r, 512, 700);
      value = Tensor.scalar(0.5, DType.F32);
      starts = List.of(Tensor.scalar(100, DType.I32), Tensor.scalar(200, DType.I32));
      padParams =
          Params.of("low", new int[] {3, 3}, "high", new int[] {5, 5}, "interior", new int[2]);
    }

    Tensor run(Primitive p, Params params, List<Tensor> in) {
      if (path.equals("kernel")) {
        return p.bind(in, params).get(0);
      }
      List<HostArray> host = new ArrayList<>();
      List<AbstractValue> inAvals = new ArrayList<>();
      for (Tensor t : in) {
        host.add(backend.download(((ConcreteTensor) t).buffer()));
        inAvals.add(((ConcreteTensor) t).aval());
      }
      List<AbstractValue> out = p.abstractEval(inAvals, params);
      HostArray res = p.referenceKernel().apply(host, params, out).get(0);
      Tensor t = ConcreteTensor.wrap(backend, backend.upload(res), out.get(0));
      res.release();
      for (HostArray h : host) {
        h.release();
      }
      return t;
    }
  }

  /** Releases the result's buffer at once (else the pool waits for the Cleaner, and GCs). */
  private static long done(Tensor t) {
    Buffer b = ((ConcreteTensor) t).buffer();
    long bytes = b.byteSize();
    b.release();
    return bytes;
  }

  @Benchmark
  public long pad(Data d) {
    return done(d.run(Indexing.PAD, d.padParams, List.of(d.x, d.value)));
  }

  @Benchmark
  public long dynamicUpdateSlice(Data d) {
    List<Tensor> in = new ArrayList<>();
    in.add(d.x);
    in.add(d.update);
    in.addAll(d.starts);
    return done(d.run(Indexing.DYNAMIC_UPDATE_SLICE, Params.EMPTY, in));
  }

  /** cumsum down the columns (axis 0: rows summed a vector row at a time). */
  @Benchmark
  public long cumsumAxis0(Data d) {
    return done(d.run(Reductions.CUMSUM, Params.of("axis", 0, "reverse", false), List.of(d.x)));
  }

  /** cumsum along the rows (axis 1: one scalar running sum per row). */
  @Benchmark
  public long cumsumAxis1(Data d) {
    return done(d.run(Reductions.CUMSUM, Params.of("axis", 1, "reverse", false), List.of(d.x)));
  }

  /** sort of every row (1024 rows of 1024 random floats). */
  @Benchmark
  public long sortRows(Data d) {
    return done(d.run(Sorting.SORT, Params.of("axis", 1), List.of(d.x)));
  }
}
