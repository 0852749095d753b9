#!/usr/bin/env python3
"""Writes Gemm.java: packed, register-tiled, cache-blocked SGEMM and DGEMM.

The float and double versions differ only in types and block sizes, and the micro-kernel must be
flat (named accumulators, no helper taking vectors: TECH-NOTES' inlining pitfall), so both are
expanded from one template. Run from the module directory:
  python3 codegen/gemm.py > src/main/java/dev/arbor/cpu/Gemm.java
"""

MR = 8
TYPES = [
    dict(T="F32", t="float", V="FloatVector", S="F", L="JAVA_FLOAT", MC=128, KC=256, NC=1024),
    dict(T="F64", t="double", V="DoubleVector", S="D", L="JAVA_DOUBLE", MC=96, KC=256, NC=512),
]


def kernel(d):
    T, t, V, S = d["T"], d["t"], d["V"], d["S"]
    rows = range(MR)
    decl = "\n".join(f"    {V} c{r}0 = {V}.zero({S});\n    {V} c{r}1 = c{r}0;" for r in rows)
    body = "\n".join(
        f"      a = {V}.broadcast({S}, ap[ao + {r}]);\n"
        f"      c{r}0 = a.fma(b0, c{r}0);\n"
        f"      c{r}1 = a.fma(b1, c{r}1);"
        for r in rows
    )
    part = "\n".join(
        f"    c{r}0.intoArray(tmp, {r} * 2 * l);\n    c{r}1.intoArray(tmp, {r} * 2 * l + l);"
        for r in rows
    )
    return f"""
  /**
   * The {MR} x {2}-vector micro-kernel: C[0:mr, 0:nr] += Ap (packed {MR}-row sliver) * Bp (packed
   * 2-vector sliver) over {{@code kc}}; {2 * MR} accumulators stay in registers.
   */
  private static void kernel{T}(
      int kc,
      {t}[] ap,
      int aOff,
      {t}[] bp,
      int bOff,
      MemorySegment c,
      long cOff,
      long ldc,
      int mr,
      int nr,
      {t}[] tmp) {{
    final int l = {S}.length();
{decl}
    int ao = aOff;
    int bo = bOff;
    for (int p = 0; p < kc; p++) {{
      {V} b0 = {V}.fromArray({S}, bp, bo);
      {V} b1 = {V}.fromArray({S}, bp, bo + l);
      {V} a;
{body}
      ao += MR;
      bo += 2 * l;
    }}
{part}
    writeBack{T}(tmp, c, cOff, ldc, mr, nr);
  }}

  /**
   * C[0:mr, 0:nr] += tmp (an {MR} x 2-vector tile). Kept out of the micro-kernel so that C1 can
   * compile the kernel at tier 3 (with the write-back inlined it ran out of virtual registers,
   * leaving the kernel in slow tier-2 code until C2 caught up, sometimes never).
   */
  private static void writeBack{T}(
      {t}[] tmp, MemorySegment c, long cOff, long ldc, int mr, int nr) {{
    final int l = {S}.length();
    final long es = ValueLayout.{d['L']}.byteSize();
    if (nr == 2 * l) {{
      for (int r = 0; r < mr; r++) {{
        long o = (cOff + r * ldc) * es;
        {V}.fromMemorySegment({S}, c, o, O)
            .add({V}.fromArray({S}, tmp, r * 2 * l))
            .intoMemorySegment(c, o, O);
        {V}.fromMemorySegment({S}, c, o + l * es, O)
            .add({V}.fromArray({S}, tmp, r * 2 * l + l))
            .intoMemorySegment(c, o + l * es, O);
      }}
      return;
    }}
    for (int r = 0; r < mr; r++) {{
      for (int j = 0; j < nr; j++) {{
        long at = cOff + r * ldc + j;
        c.setAtIndex(ValueLayout.{d['L']}, at, c.getAtIndex(ValueLayout.{d['L']}, at) + tmp[r * 2 * l + j]);
      }}
    }}
  }}
"""


def driver(d):
    T, t, V, S, L = d["T"], d["t"], d["V"], d["S"], d["L"]
    return f"""
  /** Block sizes for {t}: see docs/design/cpu-backend.md. */
  static final int MC_{T} = {d['MC']};

  static final int KC_{T} = {d['KC']};
  static final int NC_{T} = {d['NC']};
  private static final ThreadLocal<{t}[]> A_PACK_{T} =
      ThreadLocal.withInitial(() -> new {t}[MC_{T} * KC_{T}]);
  private static final ThreadLocal<{t}[]> TMP_{T} =
      ThreadLocal.withInitial(() -> new {t}[MR * 2 * {S}.length()]);

  /**
   * C[q] = A[q] B[q] for q in [0, batch): A[q](i, p) is element {{@code q*aB + i*aR + p*aC}} of
   * {{@code a}}, B[q](p, j) element {{@code q*bB + p*bR + j*bC}} of {{@code b}}; C is contiguous
   * [batch, m, n]. Strides are in elements; transposed operands are handled by the packing.
   */
  static void gemm{T}(
      int batch,
      int m,
      int n,
      int k,
      MemorySegment a,
      long aB,
      long aR,
      long aC,
      MemorySegment b,
      long bB,
      long bR,
      long bC,
      MemorySegment c) {{
    c.fill((byte) 0);
    if (m == 0 || n == 0 || k == 0) {{
      return;
    }}
    long flops = 2L * m * n * k;
    if (batch >= CpuThreads.THREADS && CpuThreads.THREADS > 1 || flops < PARALLEL_FLOPS) {{
      // Many small problems (vmap of a matmul), or one tiny one: one sequential GEMM per element.
      CpuThreads.parallelFor(
          batch,
          Math.max(1, PARALLEL_FLOPS / Math.max(1, flops)),
          1,
          (from, to) -> {{
            for (long q = from; q < to; q++) {{
              single{T}(m, n, k, a, q * aB, aR, aC, b, q * bB, bR, bC, c, q * m * n, false);
            }}
          }});
      return;
    }}
    for (long q = 0; q < batch; q++) {{
      single{T}(m, n, k, a, q * aB, aR, aC, b, q * bB, bR, bC, c, q * m * n, true);
    }}
  }}

  private static void single{T}(
      int m,
      int n,
      int k,
      MemorySegment a,
      long a0,
      long aR,
      long aC,
      MemorySegment b,
      long b0,
      long bR,
      long bC,
      MemorySegment c,
      long c0,
      boolean parallel) {{
    final int nr = 2 * {S}.length();
    int ncMax = Math.min(NC_{T}, roundUp(n, nr));
    int kcMax = Math.min(KC_{T}, k);
    {t}[] bp = new {t}[kcMax * ncMax];
    for (int jc = 0; jc < n; jc += NC_{T}) {{
      int nc = Math.min(NC_{T}, n - jc);
      for (int pc = 0; pc < k; pc += KC_{T}) {{
        int kc = Math.min(KC_{T}, k - pc);
        packB{T}(b, b0 + (long) pc * bR + (long) jc * bC, bR, bC, kc, nc, bp);
        int mBlocks = (m + MC_{T} - 1) / MC_{T};
        int slivers = (nc + nr - 1) / nr;
        // Split the B panel's slivers too when there are fewer A blocks than threads.
        int nSplit =
            parallel ? Math.max(1, Math.min(slivers, 2 * CpuThreads.THREADS / mBlocks)) : 1;
        int perSplit = (slivers + nSplit - 1) / nSplit;
        final int jcF = jc;
        final int pcF = pc;
        CpuThreads.Range body =
            (from, to) -> {{
              for (long task = from; task < to; task++) {{
                int ib = (int) (task / nSplit);
                int js = (int) (task % nSplit);
                int ic = ib * MC_{T};
                int mc = Math.min(MC_{T}, m - ic);
                int s0 = js * perSplit;
                int s1 = Math.min(slivers, s0 + perSplit);
                if (s0 >= s1) {{
                  continue;
                }}
                {t}[] ap = A_PACK_{T}.get();
                packA{T}(a, a0 + (long) ic * aR + (long) pcF * aC, aR, aC, mc, kc, ap);
                {t}[] tmp = TMP_{T}.get();
                for (int s = s0; s < s1; s++) {{
                  int jr = s * nr;
                  int nrr = Math.min(nr, nc - jr);
                  for (int ir = 0; ir < mc; ir += MR) {{
                    kernel{T}(
                        kc,
                        ap,
                        ir * kc,
                        bp,
                        jr * kc,
                        c,
                        c0 + (long) (ic + ir) * n + jcF + jr,
                        n,
                        Math.min(MR, mc - ir),
                        nrr,
                        tmp);
                  }}
                }}
              }}
            }};
        long tasks = (long) mBlocks * nSplit;
        if (parallel) {{
          CpuThreads.parallelFor(tasks, 1, 1, body);
        }} else {{
          body.run(0, tasks);
        }}
      }}
    }}
  }}

  /** Packs A[0:mc, 0:kc] into {MR}-row slivers, p-major within a sliver, zero-padded. */
  private static void packA{T}(
      MemorySegment a, long off, long aR, long aC, int mc, int kc, {t}[] ap) {{
    for (int ir = 0; ir < mc; ir += MR) {{
      int base = ir * kc;
      int rows = Math.min(MR, mc - ir);
      if (aR == 1 && rows == MR) {{
        for (int p = 0; p < kc; p++) {{
          MemorySegment.copy(
              a, ValueLayout.{L}, (off + ir + p * aC) * ValueLayout.{L}.byteSize(), ap, base + p * MR, MR);
        }}
        continue;
      }}
      for (int r = 0; r < MR; r++) {{
        if (r >= rows) {{
          for (int p = 0; p < kc; p++) {{
            ap[base + p * MR + r] = 0;
          }}
          continue;
        }}
        long rowOff = off + (ir + r) * aR;
        for (int p = 0; p < kc; p++) {{
          ap[base + p * MR + r] = a.getAtIndex(ValueLayout.{L}, rowOff + p * aC);
        }}
      }}
    }}
  }}

  /** Packs B[0:kc, 0:nc] into slivers of 2 vectors' width, p-major within a sliver, zero-padded. */
  private static void packB{T}(
      MemorySegment b, long off, long bR, long bC, int kc, int nc, {t}[] bp) {{
    final int nr = 2 * {S}.length();
    for (int jr = 0; jr < nc; jr += nr) {{
      int base = jr * kc;
      int cols = Math.min(nr, nc - jr);
      if (bC == 1) {{
        for (int p = 0; p < kc; p++) {{
          MemorySegment.copy(
              b, ValueLayout.{L}, (off + p * bR + jr) * ValueLayout.{L}.byteSize(), bp, base + p * nr, cols);
          for (int j = cols; j < nr; j++) {{
            bp[base + p * nr + j] = 0;
          }}
        }}
        continue;
      }}
      for (int j = 0; j < nr; j++) {{
        if (j >= cols) {{
          for (int p = 0; p < kc; p++) {{
            bp[base + p * nr + j] = 0;
          }}
          continue;
        }}
        long colOff = off + (jr + j) * bC;
        for (int p = 0; p < kc; p++) {{
          bp[base + p * nr + j] = b.getAtIndex(ValueLayout.{L}, colOff + p * bR);
        }}
      }}
    }}
  }}
"""


out = [
    """// Generated by codegen/gemm.py; edit the generator, not this file.
package dev.arbor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed, register-tiled, cache-blocked GEMM (the BLIS loop nest): for each NC-column panel and
 * KC-deep slice, B is packed once into 2-vector-wide slivers; each MC-row block of A is packed
 * into 8-row slivers by the thread that uses it; an 8 x 2-vector FMA micro-kernel accumulates into
 * C. Work is split over the one backend pool: over batch elements when there are many, else over
 * A blocks (and B slivers when A blocks are few). Block sizes and their reasons are in
 * docs/design/cpu-backend.md.
 */
final class Gemm {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  static final ByteOrder O = ByteOrder.nativeOrder();

  /** Rows of the micro-kernel. */
  static final int MR = 8;

  /** Problems below this many flops run on one thread. */
  static final long PARALLEL_FLOPS = 1L << 21;

  private Gemm() {}

  private static int roundUp(int x, int m) {
    return (x + m - 1) / m * m;
  }
"""
]
for d in TYPES:
    out.append(driver(d))
    out.append(kernel(d))
out.append("}")
print("".join(out))
