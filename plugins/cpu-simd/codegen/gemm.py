#!/usr/bin/env python3
"""Writes Gemm.java: packed, register-tiled, cache-blocked SGEMM and DGEMM.

The float and double versions differ only in types and block sizes, and the micro-kernel must be
flat (named accumulators, no helper taking vectors: TECH-NOTES' inlining pitfall), so both are
expanded from one template. Run from the module directory:
  python3 codegen/gemm.py > src/main/java/dev/arbor/cpu/Gemm.java && ../../arbor format -q
"""

import os

MR = 8  # rows of the micro-kernel (the packed-A vector copy assumes 8 lanes of 256 or 512 bits)

TYPES = [
    dict(T="F32", t="float", V="FloatVector", S="F", L="JAVA_FLOAT", B="Float", AV="FloatVector", AS="FloatVector.SPECIES_256", MC=128, KC=256, NC=512),
    dict(T="F64", t="double", V="DoubleVector", S="D", L="JAVA_DOUBLE", B="Double", AV="DoubleVector", AS="DoubleVector.SPECIES_512", MC=96, KC=256, NC=256),
]
# Experiment overrides, e.g. GEMM_F32="MC=96,KC=192,NC=768" (not used for the committed file).
for d in TYPES:
    for kv in filter(None, os.environ.get("GEMM_" + d["T"], "").split(",")):
        key, val = kv.split("=")
        d[key] = int(val)


def micro(d, rows_layout):
    """The micro-kernel; rows_layout: the A sliver is {MR} rows of kc (row-major A, packed by bulk
    row copies), else p-major ({MR} values per p: column-major A, packed by vector copies)."""
    T, t, V, S = d["T"], d["t"], d["V"], d["S"]
    rows = range(MR)
    decl = "\n".join(f"    {V} c{r}0 = {V}.zero({S});\n    {V} c{r}1 = c{r}0;" for r in rows)
    if rows_layout:
        idx = [f"a{r} + p" for r in rows]
        setup = "\n".join(f"    final int a{r} = aOff + {r} * kc;" for r in rows)
        step = ""
        name, what = f"kernelRows{T}", f"{MR} rows of kc values each"
    else:
        idx = [f"ao + {r}" for r in rows]
        setup = "    int ao = aOff;"
        step = "      ao += MR;\n"
        name, what = f"kernel{T}", f"p-major, {MR} values per p"
    body = "\n".join(
        f"      a = {V}.broadcast({S}, ap[{idx[r]}]);\n"
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
   * The {MR} x {2}-vector micro-kernel: C[0:mr, 0:nr] (+)= Ap (packed {MR}-row sliver: {what}) *
   * Bp (packed 2-vector sliver) over {{@code kc}}; {2 * MR} accumulators stay in registers.
   */
  private static void {name}(
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
      {t}[] tmp,
      boolean add) {{
    final int l = {S}.length();
{decl}
{setup}
    int bo = bOff;
    for (int p = 0; p < kc; p++) {{
      {V} b0 = {V}.fromArray({S}, bp, bo);
      {V} b1 = {V}.fromArray({S}, bp, bo + l);
      {V} a;
{body}
{step}      bo += 2 * l;
    }}
{part}
    writeBack{T}(tmp, c, cOff, ldc, mr, nr, add);
  }}
"""


def kernel(d):
    T, t, V, S = d["T"], d["t"], d["V"], d["S"]
    return micro(d, False) + micro(d, True) + f"""
  /**
   * C[0:mr, 0:nr] += tmp (an {MR} x 2-vector tile), or = tmp when {{@code add}} is false (the first
   * KC slice, so C needs no zeroing pass). Kept out of the micro-kernel so that C1 can
   * compile the kernel at tier 3 (with the write-back inlined it ran out of virtual registers,
   * leaving the kernel in slow tier-2 code until C2 caught up, sometimes never).
   */
  private static void writeBack{T}(
      {t}[] tmp, MemorySegment c, long cOff, long ldc, int mr, int nr, boolean add) {{
    final int l = {S}.length();
    final long es = ValueLayout.{d['L']}.byteSize();
    if (nr == 2 * l && !add) {{
      for (int r = 0; r < mr; r++) {{
        long o = (cOff + r * ldc) * es;
        {V}.fromArray({S}, tmp, r * 2 * l).intoMemorySegment(c, o, O);
        {V}.fromArray({S}, tmp, r * 2 * l + l).intoMemorySegment(c, o + l * es, O);
      }}
      return;
    }}
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
        {t} v = tmp[r * 2 * l + j];
        c.setAtIndex(ValueLayout.{d['L']}, at, add ? c.getAtIndex(ValueLayout.{d['L']}, at) + v : v);
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
  private static final ThreadLocal<{t}[]> B_PACK_{T} =
      ThreadLocal.withInitial(() -> new {t}[KC_{T} * NC_{T}]);
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
    gemm{T}(CpuThreads.THREADS, batch, m, n, k, a, aB, aR, aC, b, bB, bR, bC, c);
  }}

  /**
   * As above with one GEMM split into at most {{@code threads}} parts (tests pass other counts than
   * the pool's to exercise the partitioning on any machine).
   */
  static void gemm{T}(
      int threads,
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
    if (m == 0 || n == 0) {{
      return;
    }}
    if (k == 0) {{
      c.fill((byte) 0);
      return;
    }}
    long flops = 2L * m * n * k;
    if (batch >= threads && threads > 1 || flops < PARALLEL_FLOPS) {{
      // Many small problems (vmap of a matmul), or one tiny one: one sequential GEMM per element.
      CpuThreads.parallelFor(
          batch,
          Math.max(1, PARALLEL_FLOPS / Math.max(1, flops)),
          1,
          (from, to) -> {{
            for (long q = from; q < to; q++) {{
              block{T}(m, n, k, a, q * aB, aR, aC, b, q * bB, bR, bC, c, q * m * n, 0, m, 0, n);
            }}
          }});
      return;
    }}
    for (long q = 0; q < batch; q++) {{
      split{T}(threads, m, n, k, a, q * aB, aR, aC, b, q * bB, bR, bC, c, q * m * n);
    }}
  }}

  /**
   * One GEMM over up to {{@code threads}} threads with one fork/join: C is cut into disjoint column
   * ranges (whole slivers, at most NC wide, a multiple of the threads in number) or, when that gives
   * fewer parts or more packing, one row range (whole {MR}-row slivers) per thread; each part runs
   * the whole sequential blocked GEMM on its range, packing its own A and B. See
   * docs/design/cpu-backend.md ("Parallelism").
   */
  private static void split{T}(
      int threads,
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
      long c0) {{
    final int nr = 2 * {S}.length();
    int colUnits = (n + nr - 1) / nr;
    int rowUnits = (m + MR - 1) / MR;
    int partsN = Math.min(threads, colUnits);
    int partsM = Math.min(threads, rowUnits);
    boolean byCols =
        partsN > partsM
            || partsN == partsM
                && packCost(true, m, n, k, partsN, nr, NC_{T})
                    <= packCost(false, m, n, k, partsM, nr, NC_{T});
    int units = byCols ? colUnits : rowUnits;
    // Columns: at least one part per NC panel, a multiple of the threads in number: the extra
    // parts cost no extra packing (A is packed once per panel anyway) and let a thread that is
    // descheduled or woken late do fewer of them.
    int panels = (n + NC_{T} - 1) / NC_{T};
    int parts =
        byCols ? Math.min(colUnits, (panels + partsN - 1) / partsN * partsN) : partsM;
    CpuThreads.forEachPart(
        parts,
        part -> {{
          int u0 = (int) ((long) units * part / parts);
          int u1 = (int) ((long) units * (part + 1) / parts);
          if (byCols) {{
            block{T}(
                m, n, k, a, a0, aR, aC, b, b0, bR, bC, c, c0, 0, m, u0 * nr, Math.min(n, u1 * nr));
          }} else {{
            block{T}(
                m, n, k, a, a0, aR, aC, b, b0, bR, bC, c, c0, u0 * MR, Math.min(m, u1 * MR), 0, n);
          }}
        }});
  }}

  /**
   * The sequential blocked GEMM on C[i0:i1, j0:j1] (C has row stride n): B panels are packed for
   * the column range only, A blocks for the row range only.
   */
  private static void block{T}(
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
      int i0,
      int i1,
      int j0,
      int j1) {{
    final int nr = 2 * {S}.length();
    // Row-major A (unit column stride) is packed row by row and read by kernelRows.
    final boolean rowsA = aC == 1;
    {t}[] bp = B_PACK_{T}.get();
    {t}[] ap = A_PACK_{T}.get();
    {t}[] tmp = TMP_{T}.get();
    for (int jc = j0; jc < j1; jc += NC_{T}) {{
      int nc = Math.min(NC_{T}, j1 - jc);
      int slivers = (nc + nr - 1) / nr;
      for (int pc = 0; pc < k; pc += KC_{T}) {{
        int kc = Math.min(KC_{T}, k - pc);
        packB{T}(b, b0 + (long) pc * bR + (long) jc * bC, bR, bC, kc, nc, bp);
        for (int ic = i0; ic < i1; ic += MC_{T}) {{
          int mc = Math.min(MC_{T}, i1 - ic);
          packA{T}(a, a0 + (long) ic * aR + (long) pc * aC, aR, aC, mc, kc, ap, rowsA);
          for (int s = 0; s < slivers; s++) {{
            int jr = s * nr;
            int nrr = Math.min(nr, nc - jr);
            for (int ir = 0; ir < mc; ir += MR) {{
              if (rowsA) {{
                kernelRows{T}(
                    kc,
                    ap,
                    ir * kc,
                    bp,
                    jr * kc,
                    c,
                    c0 + (long) (ic + ir) * n + jc + jr,
                    n,
                    Math.min(MR, mc - ir),
                    nrr,
                    tmp,
                    pc > 0);
                continue;
              }}
              kernel{T}(
                  kc,
                  ap,
                  ir * kc,
                  bp,
                  jr * kc,
                  c,
                  c0 + (long) (ic + ir) * n + jc + jr,
                  n,
                  Math.min(MR, mc - ir),
                  nrr,
                  tmp,
                  pc > 0);
            }}
          }}
        }}
      }}
    }}
  }}

  /**
   * Packs A[0:mc, 0:kc] into {MR}-row slivers, zero-padded: as {MR} rows of kc when {{@code rowsA}}
   * (one bulk copy per row), else p-major within a sliver.
   */
  private static void packA{T}(
      MemorySegment a, long off, long aR, long aC, int mc, int kc, {t}[] ap, boolean rowsA) {{
    final long es = ValueLayout.{L}.byteSize();
    for (int ir = 0; ir < mc; ir += MR) {{
      int base = ir * kc;
      int rows = Math.min(MR, mc - ir);
      if (rowsA) {{
        for (int r = 0; r < rows; r++) {{
          MemorySegment.copy(a, ValueLayout.{L}, (off + (ir + r) * aR) * es, ap, base + r * kc, kc);
        }}
        java.util.Arrays.fill(ap, base + rows * kc, base + MR * kc, 0);
        continue;
      }}
      if (aR == 1 && rows == MR) {{
        // Columns of A are contiguous: one {MR}-lane vector per p.
        for (int p = 0; p < kc; p++) {{
          {d['AV']}.fromMemorySegment({d['AS']}, a, (off + ir + p * aC) * es, O)
              .intoArray(ap, base + p * MR);
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
    final int l = {S}.length();
    final int nr = 2 * l;
    final long es = ValueLayout.{L}.byteSize();
    if (bC == 1) {{
      // Row by row: each row of the panel is read once, front to back, two vectors at a time.
      int full = nc / nr * nr;
      for (int p = 0; p < kc; p++) {{
        long row = (off + p * bR) * es;
        for (int jr = 0; jr < full; jr += nr) {{
          int at = jr * kc + p * nr;
          {V}.fromMemorySegment({S}, b, row + jr * es, O).intoArray(bp, at);
          {V}.fromMemorySegment({S}, b, row + (jr + l) * es, O).intoArray(bp, at + l);
        }}
        if (full < nc) {{
          // The partial last sliver element by element (a masked load built with indexInRange
          // ran in the Vector API's Java fallback here, slow for narrow B such as n = 10).
          int at = full * kc + p * nr;
          int cols = nc - full;
          for (int j = 0; j < cols; j++) {{
            bp[at + j] = b.getAtIndex(ValueLayout.{L}, off + p * bR + full + j);
          }}
          java.util.Arrays.fill(bp, at + cols, at + nr, 0);
        }}
      }}
      return;
    }}
    int[] idx = null;
    {t}[] cols32 = null;
    for (int jr = 0; jr < nc; jr += nr) {{
      int base = jr * kc;
      int cols = Math.min(nr, nc - jr);
      if (bR == 1 && cols == nr) {{
        // Transposed B (columns contiguous): copy the sliver's nr columns whole, then gather one
        // row of the sliver (nr values kc apart) per p.
        if (idx == null) {{
          idx = new int[nr];
          for (int j = 0; j < nr; j++) {{
            idx[j] = j * kc;
          }}
          cols32 = new {t}[nr * kc];
        }}
        for (int j = 0; j < nr; j++) {{
          MemorySegment.copy(b, ValueLayout.{L}, (off + (jr + j) * bC) * es, cols32, j * kc, kc);
        }}
        for (int p = 0; p < kc; p++) {{
          {V}.fromArray({S}, cols32, p, idx, 0).intoArray(bp, base + p * nr);
          {V}.fromArray({S}, cols32, p, idx, l).intoArray(bp, base + p * nr + l);
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
 * C. Work is split over the one backend pool: over batch elements when there are many, else one
 * GEMM is cut into one column range (or row range) per thread, each running the whole blocked loop
 * nest on its range with one fork/join per call. Block sizes and the partitioning are explained
 * in docs/design/cpu-backend.md.
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

  /**
   * Values the largest part packs when a [m x n] C with contraction k is cut into {@code parts}
   * column ranges of whole {@code nr}-wide slivers ({@code byCols}) or row ranges of whole
   * {@value #MR}-row slivers: a column part packs its share of B once and all of A once per NC
   * panel of its share; a row part packs all of B once and its share of A once per NC panel of n.
   */
  static long packCost(boolean byCols, int m, int n, int k, int parts, int nr, int nc) {
    if (byCols) {
      long share = ((long) (n + nr - 1) / nr + parts - 1) / parts * nr;
      return share * k + (share + nc - 1) / nc * m * k;
    }
    long share = ((long) (m + MR - 1) / MR + parts - 1) / parts * MR;
    return (long) n * k + ((long) n + nc - 1) / nc * share * k;
  }
"""
]
for d in TYPES:
    out.append(driver(d))
    out.append(kernel(d))
out.append("}")
print("".join(out))
