"""JAX's figures for the workloads GpuChecks times, and a side-by-side table.

Usage: python3 jax_compare.py OUT_DIR [JAVA_RESULTS_JSONL]
Writes OUT_DIR/jax.json and prints the comparison (run-gpu-checks.sh saves it as comparison.txt).
F32 matmuls run at jax.default_matmul_precision("highest"): on an H100 JAX otherwise uses TF32,
which Arbor (cuBLAS default math mode, or its tiled kernel) does not.
"""

import json
import os
import sys
import time


def best_time(f, *args, reps=10):
    f(*args).block_until_ready()  # compile and warm up
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f(*args).block_until_ready()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "jax-out"
    java_results = sys.argv[2] if len(sys.argv) > 2 else None
    os.makedirs(out, exist_ok=True)
    import jax
    import jax.numpy as jnp

    res = {"jax": jax.__version__, "devices": [str(d) for d in jax.devices()]}
    key = jax.random.PRNGKey(0)

    with jax.default_matmul_precision("highest"):
        for n in (4096, 8192):
            ka, kb = jax.random.split(jax.random.fold_in(key, n))
            a = jax.random.normal(ka, (n, n), jnp.float32)
            b = jax.random.normal(kb, (n, n), jnp.float32)
            mm = jax.jit(lambda x, y: x @ y)
            t = best_time(mm, a, b, reps=10 if n == 4096 else 4)
            res[f"sgemm_{n}_tflops"] = 2.0 * n**3 / t / 1e12
            res[f"sgemm_{n}_ms"] = t * 1e3
            del a, b

    n = 1 << 26
    x = (jnp.arange(n, dtype=jnp.int32) % 1000).astype(jnp.float32) * 1e-3
    fused = jax.jit(lambda v: jnp.tanh(0.5 * (v * v + v)))
    t = best_time(fused, x, reps=30)
    res["fused_gbs"] = 8.0 * n / t / 1e9
    neg = jax.jit(lambda v: -v)  # one read, one write: the memory-bound floor
    t = best_time(neg, x, reps=30)
    res["copy_gbs"] = 8.0 * n / t / 1e9
    del x

    widths = [784, 1024, 1024, 10]
    batch = 1024
    keys = jax.random.split(key, 8)
    params = []
    for i in range(3):
        w = jax.random.normal(keys[i], (widths[i], widths[i + 1]), jnp.float32)
        params += [w / jnp.sqrt(widths[i]), jnp.zeros((widths[i + 1],), jnp.float32)]
    xb = jax.random.normal(keys[5], (batch, widths[0]), jnp.float32)
    yb = jax.random.normal(keys[6], (batch, widths[-1]), jnp.float32)

    def loss(p, x, y):
        h = jnp.tanh(x @ p[0] + p[1])
        h = jnp.tanh(h @ p[2] + p[3])
        o = h @ p[4] + p[5]
        return jnp.mean((o - y) ** 2)

    with jax.default_matmul_precision("highest"):

        @jax.jit
        def step(p, x, y):
            v, g = jax.value_and_grad(loss)(p, x, y)
            return v, [pi - 0.01 * gi for pi, gi in zip(p, g)]

        step(params, xb, yb)[0].block_until_ready()
        best = float("inf")
        for _ in range(20):
            t0 = time.perf_counter()
            v, _ = step(params, xb, yb)
            v.block_until_ready()
            best = min(best, time.perf_counter() - t0)
        res["mlp_step_ms"] = best * 1e3

        # Per-example gradients of the same MLP over 128 examples (GpuChecks' perExample).
        pb = 128
        xs = jax.random.normal(keys[7], (pb, widths[0]), jnp.float32)
        ys = jax.random.normal(jax.random.fold_in(keys[7], 1), (pb, widths[-1]), jnp.float32)

        def one(p, x, y):
            return jax.grad(loss)(p, x[None, :], y)

        per_ex = jax.jit(jax.vmap(one, in_axes=(None, 0, 0)))
        res["per_example_ms"] = best_time(lambda a, b: per_ex(params, a, b)[0], xs, ys) * 1e3

    with open(os.path.join(out, "jax.json"), "w") as f:
        json.dump(res, f, indent=2)

    arbor = {}
    if java_results and os.path.exists(java_results):
        with open(java_results) as f:
            for line in f:
                line = line.strip()
                if line:
                    r = json.loads(line)
                    arbor[r["name"]] = r["value"]

    def find(prefix):
        for k, v in arbor.items():
            if k.startswith(prefix):
                return v
        return None

    rows = [
        ("SGEMM 4096 TFLOP/s (Arbor cuBLAS)", find("F32 4096^3 cuBLAS"), res["sgemm_4096_tflops"]),
        ("SGEMM 4096 TFLOP/s (Arbor tiled)", find("F32 4096^3 tiled"), res["sgemm_4096_tflops"]),
        ("SGEMM 8192 TFLOP/s (Arbor cuBLAS)", find("F32 8192^3 cuBLAS"), res["sgemm_8192_tflops"]),
        ("SGEMM 8192 TFLOP/s (Arbor tiled)", find("F32 8192^3 tiled"), res["sgemm_8192_tflops"]),
        ("fused elementwise GB/s", find("jit tanh"), res["fused_gbs"]),
        ("-x GB/s (one read, one write)", find("device -x"), res["copy_gbs"]),
        ("MLP step ms", find("MLP 784"), res["mlp_step_ms"]),
        ("per-example grads ms (batch 128)", find("per-example grads MLP"), res["per_example_ms"]),
    ]
    print(f"JAX {res['jax']} on {res['devices']}; matmul precision highest")
    print(f"{'figure':40s} {'Arbor':>12s} {'JAX':>12s} {'Arbor/JAX':>10s}")
    for name, a, j in rows:
        a_s = f"{a:12.4g}" if a is not None else f"{'-':>12s}"
        ratio = f"{a / j:10.3f}" if a is not None and j else f"{'-':>10s}"
        print(f"{name:40s} {a_s} {j:12.4g} {ratio}")


if __name__ == "__main__":
    main()
