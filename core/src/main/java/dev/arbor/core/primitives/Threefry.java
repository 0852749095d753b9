package dev.arbor.core.primitives;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.backend.HostArray;
import dev.arbor.core.AbstractValue;
import dev.arbor.core.Params;
import dev.arbor.core.Primitive;
import dev.arbor.core.Primitive.Batched;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code threefry2x32(k0, k1, x0, x1) -> (y0, y1)}: the Threefry-2x32 block cipher with 20 rounds
 * (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), elementwise over four
 * I32 operands of one shape holding uint32 bits. The counter-based hash under {@code
 * dev.arbor.random}, as JAX's {@code threefry2x32_p}. Integer-valued: no derivative.
 */
public final class Threefry {
  private Threefry() {}

  private static final long MASK = 0xFFFFFFFFL;
  private static final int[] ROTATIONS = {13, 15, 26, 6, 17, 29, 16, 24};

  /** The hash of one counter pair under one key; inputs and outputs are uint32 in longs. */
  public static long[] hash(long k0, long k1, long x0, long x1) {
    long[] ks = {k0 & MASK, k1 & MASK, (k0 ^ k1 ^ 0x1BD11BDAL) & MASK};
    long a = (x0 + ks[0]) & MASK;
    long b = (x1 + ks[1]) & MASK;
    for (int block = 0; block < 5; block++) {
      for (int r = 0; r < 4; r++) {
        int rot = ROTATIONS[(block % 2) * 4 + r];
        a = (a + b) & MASK;
        b = ((b << rot) | (b >>> (32 - rot))) & MASK;
        b ^= a;
      }
      a = (a + ks[(block + 1) % 3]) & MASK;
      b = (b + ks[(block + 2) % 3] + block + 1) & MASK;
    }
    return new long[] {a, b};
  }

  public static final Primitive THREEFRY2X32 =
      Primitive.multi("threefry2x32")
          .shapeRule(
              (in, p) -> {
                Shapes.arity("threefry2x32", in, 4);
                AbstractValue a = Shapes.sameShapeAndType("threefry2x32", in);
                if (a.dtype() != DType.I32) {
                  throw new IllegalArgumentException(
                      "'threefry2x32' needs I32 operands (uint32 bits), got " + in);
                }
                return List.of(a, a);
              })
          .reference(
              (in, p, out) -> {
                long[] k0 = in.get(0).longs();
                long[] k1 = in.get(1).longs();
                long[] x0 = in.get(2).longs();
                long[] x1 = in.get(3).longs();
                HostArray y0 = HostArray.zeros(out.get(0));
                HostArray y1 = HostArray.zeros(out.get(1));
                for (int k = 0; k < x0.length; k++) {
                  long[] y = hash(k0[k], k1[k], x0[k], x1[k]);
                  y0.setLong(k, y[0]);
                  y1.setLong(k, y[1]);
                }
                return List.of(y0, y1);
              })
          .batch(
              (args, bd, p) -> {
                int size = -1;
                for (int k = 0; k < args.size(); k++) {
                  if (bd[k] != Primitive.NOT_MAPPED) {
                    size = args.get(k).shape().dim(bd[k]);
                  }
                }
                List<Tensor> moved = new ArrayList<>(args.size());
                for (int k = 0; k < args.size(); k++) {
                  moved.add(Structural.batchAxisToFront(args.get(k), bd[k], size));
                }
                return new Batched(threefry2x32(moved), new int[] {0, 0});
              });

  /** Applies the hash to (k0, k1, x0, x1) of one shape; returns (y0, y1). */
  public static List<Tensor> threefry2x32(List<Tensor> keysAndCounts) {
    return THREEFRY2X32.bind(keysAndCounts, Params.EMPTY);
  }
}
