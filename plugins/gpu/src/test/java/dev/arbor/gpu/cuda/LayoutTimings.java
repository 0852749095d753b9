package dev.arbor.gpu.cuda;

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
import dev.arbor.core.primitives.Generators;
import dev.arbor.core.primitives.Indexing;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Times the layout primitives' device kernels on a GPU backend against the host fallback they
 * replace (download the operands, run the reference kernel, upload the result: what {@code
 * DeviceBackend} does for a primitive it cannot lower), on an {@code side × side} F32 matrix. Each
 * device result must equal the fallback's bit for bit, or the program exits with status 1.
 *
 * <p>Usage: {@code LayoutTimings [backend=cuda] [side=4096] [reps=20]}.
 */
public final class LayoutTimings {
  private LayoutTimings() {}

  /** One primitive application: its operands (on the backend) and parameters. */
  private record Use(String what, Primitive p, Params params, List<Tensor> in) {}

  public static void main(String[] args) {
    String backend = args.length > 0 ? args[0] : "cuda";
    int side = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
    int reps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    Backend b = Backends.get(backend);
    if (!b.isAvailable()) {
      System.out.println(backend + " unavailable: " + b.unavailableReason());
      System.exit(2);
    }
    List<String> lines = run(b, side, reps);
    lines.forEach(System.out::println);
    System.exit(lines.stream().anyMatch(l -> l.startsWith("MISMATCH")) ? 1 : 0);
  }

  /** The timing lines (and a {@code MISMATCH} line for any result that differs). */
  static List<String> run(Backend b, int side, int reps) {
    Backend prev = Backends.defaultBackend();
    Backends.setDefault(b.name()); // iota has no operand to say where it runs
    try {
      return measure(b, side, reps);
    } finally {
      Backends.setDefault(prev.name());
    }
  }

  private static List<String> measure(Backend b, int side, int reps) {
    float[] v = new float[side * side];
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 977) * 1e-3f;
    }
    Tensor x = Tensor.fromArray(v, side, side).to(b.name());
    Tensor half = Tensor.fromArray(new float[side * side / 4], side / 2, side / 2).to(b.name());
    Tensor pv = Tensor.scalar(-1, DType.F32).to(b.name());
    Tensor s = Tensor.scalar(side / 4, DType.I32).to(b.name());
    List<Use> uses =
        List.of(
            new Use(
                "slice [1:-1, 1:-1:2]",
                Indexing.SLICE,
                Params.of(
                    "start",
                    new int[] {1, 1},
                    "limit",
                    new int[] {side - 1, side - 1},
                    "strides",
                    new int[] {1, 2}),
                List.of(x)),
            new Use(
                "pad 1 each side, interior 1 on axis 1",
                Indexing.PAD,
                Params.of(
                    "low",
                    new int[] {1, 1},
                    "high",
                    new int[] {1, 1},
                    "interior",
                    new int[] {0, 1}),
                List.of(x, pv)),
            new Use(
                "concatenate (x, x) on axis 1",
                Indexing.CONCATENATE,
                Params.of("axis", 1),
                List.of(x, x)),
            new Use(
                "dynamic_slice of a quarter",
                Indexing.DYNAMIC_SLICE,
                Params.of("sizes", new int[] {side / 2, side / 2}),
                List.of(x, s, s)),
            new Use(
                "dynamic_update_slice of a quarter",
                Indexing.DYNAMIC_UPDATE_SLICE,
                Params.EMPTY,
                List.of(x, half, s, s)),
            new Use(
                "iota F32 dimension 1",
                Generators.IOTA,
                Params.of("dtype", DType.F32, "shape", new int[] {side, side}, "dimension", 1),
                List.of()),
            new Use(
                "squeeze (device copy)",
                Indexing.SQUEEZE,
                Params.of("dims", new int[] {0}),
                List.of(Tensor.fromArray(v, 1, side * side).to(b.name()))));
    List<String> out = new ArrayList<>();
    out.add(
        String.format(
            Locale.ROOT,
            "backend %s, F32 %dx%d, best of %d (device) / %d (fallback)",
            b.name(),
            side,
            side,
            reps,
            Math.max(2, reps / 5)));
    for (Use u : uses) {
      List<Tensor> dev = u.p().bind(u.in(), u.params()); // warm: compile the kernel
      HostArray want = fallback(b, u).get(0);
      HostArray got = ((ConcreteTensor) dev.get(0)).host();
      for (int i = 0; i < want.size(); i++) {
        if (Double.doubleToRawLongBits(want.getDouble(i))
            != Double.doubleToRawLongBits(got.getDouble(i))) {
          out.add("MISMATCH " + u.what() + " at element " + i);
          break;
        }
      }
      double device = best(reps, () -> u.p().bind(u.in(), u.params()).get(0).blockUntilReady());
      double host = best(Math.max(2, reps / 5), () -> fallback(b, u));
      long bytes = 2L * want.size() * 4; // each output element written, about one read
      out.add(
          String.format(
              Locale.ROOT,
              "%-38s device %8.3f ms (%6.0f GB/s)  fallback %9.3f ms  speed-up %7.1fx",
              u.what(),
              device * 1e3,
              bytes / device / 1e9,
              host * 1e3,
              host / device));
    }
    return out;
  }

  /** What the backend did before: operands to the host, the reference kernel, the result back. */
  private static List<HostArray> fallback(Backend b, Use u) {
    List<HostArray> host = new ArrayList<>();
    List<AbstractValue> avals = new ArrayList<>();
    for (Tensor t : u.in()) {
      host.add(b.download(((ConcreteTensor) t).buffer()));
      avals.add(new AbstractValue(t.shape(), t.dtype()));
    }
    List<AbstractValue> outs = u.p().abstractEval(avals, u.params());
    List<HostArray> r = u.p().referenceKernel().apply(host, u.params(), outs);
    for (HostArray h : host) {
      h.release();
    }
    for (HostArray h : r) {
      Buffer back = b.upload(h);
      back.release();
    }
    return r;
  }

  private static double best(int reps, Supplier<?> body) {
    double best = Double.MAX_VALUE;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      body.get();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return best;
  }
}
