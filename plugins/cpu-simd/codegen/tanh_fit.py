#!/usr/bin/env python3
"""Fits the coefficients of FastMath.tanh: tanh(x) ~ x P(x^2) / Q(x^2) on [0, clamp].

P has degree NP and Q degree NQ in z = x^2, both with constant term exactly 1, so that
tanh(x) = x exactly for tiny x without a branch. The fit minimizes the maximal relative error:
linearized least squares x P(z) - t Q(z) = 0 weighted by 1 / (Q t) (Loeb's iteration), with
Lawson's multiplicative weights pulling it toward minimax. It starts from Eigen's
generic_fast_tanh_float coefficients (rescaled to constant terms of 1), keeps the best iterate,
and stops if Q gets a root in the interval.

    python3 plugins/cpu-simd/codegen/tanh_fit.py            # clamp 9.02, 13/6: max rel err ~7e-9
    python3 plugins/cpu-simd/codegen/tanh_fit.py 9.02 5 3   # 11/6: ~6e-8 (about 1 ulp)

The clamp 9.02 is where tanh rounds to 1 in float32, so clamped inputs need no fix-up. The float32
evaluation error (FastMathTest, every 97th bit pattern) is then at most 5 ulp, dominated by
rounding near |x| ~ 6 where x P and Q are ~64 and the quotient is ~1.
"""
import sys

import numpy as np

clamp = float(sys.argv[1]) if len(sys.argv) > 1 else 9.02
NP = int(sys.argv[2]) if len(sys.argv) > 2 else 6
NQ = int(sys.argv[3]) if len(sys.argv) > 3 else 3
ITERS = 300

x = np.concatenate([np.linspace(1e-3, clamp, 40000), np.geomspace(1e-5, 1e-3, 500)])
x.sort()
t = np.tanh(x)
z = x * x

# Eigen's denominator divided by its constant term: the starting Q.
eigen_q = [0.46355838509634517, 0.024222763997786688, 0.00024486609330362513]
Q = 1 + sum(eigen_q[j] * z ** (j + 1) for j in range(min(NQ, 3)))
w = np.ones_like(x)
best = None
for _ in range(ITERS):
    cols = [x * z**i for i in range(1, NP + 1)] + [-t * z**j for j in range(1, NQ + 1)]
    a = np.column_stack(cols)
    weight = np.sqrt(w) / (Q * t)
    m = a * weight[:, None]
    scale = np.abs(m).max(axis=0)
    sol, *_ = np.linalg.lstsq(m / scale, (t - x) * weight, rcond=None)
    sol = sol / scale
    p, q = sol[:NP], sol[NP:]
    q_new = 1 + sum(q[j] * z ** (j + 1) for j in range(NQ))
    if q_new.min() <= 0:
        print("Q has a root in [0, clamp]; stopping", file=sys.stderr)
        break
    Q = q_new
    P = 1 + sum(p[i] * z ** (i + 1) for i in range(NP))
    err = np.abs(x * P / Q - t) / t
    if best is None or err.max() < best[0]:
        best = (err.max(), p.copy(), q.copy())
    w = w * (err / err.max() + 1e-3)
    w /= w.sum()

err, p, q = best
print(f"// clamp {clamp}, degrees {2 * NP + 1}/{2 * NQ}: max relative error {err:.3e} before rounding")
for i, v in enumerate(p, 1):
    print(f"private static final float P{i} = {float(v)!r}f;")
for j, v in enumerate(q, 1):
    print(f"private static final float Q{j} = {float(v)!r}f;")
