#!/usr/bin/env bash
# On a GPU machine (no JDK, no network): runs Arbor's GPU checks with the bundle made by
# prepare.sh, and JAX's figures for comparison, writing everything under $OUT (default ./gpu-out):
#   machine.txt      nvidia-smi, the CUDA/cuBLAS/OpenCL libraries found, the cuBLAS chosen
#   java/            summary.txt, results.jsonl, conformance.txt (GpuChecks)
#   jax/jax.json     JAX's SGEMM, fused elementwise, copy and MLP figures (jax_compare.py)
#   comparison.txt   Arbor vs JAX side by side
#   run.log          everything printed
# Budget: about 8 minutes (java 300 s, JAX 150 s at most). Sections can be chosen with
# SECTIONS=conformance,math,sgemm,fused,mlp; ALSO_OPENCL=1 also runs the opencl backend on the
# same GPU (OPENCL_SECTIONS, default conformance,math,fused; 150 s more at most). Exit status: GpuChecks' (0 passed, 1 a check
# failed, 2 no usable CUDA device), or 3 when the bundle is missing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUNDLE=${1:-$HERE/../target/gpu-bundle}
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT/java" "$OUT/jax"
exec > >(tee -a "$OUT/run.log") 2>&1
START=$(date +%s)

JAVA="$BUNDLE/jdk/bin/java"
if [ ! -x "$JAVA" ]; then
  echo "no bundle at $BUNDLE (run plugins/gpu/device/prepare.sh first and carry it)"
  exit 3
fi

{
  echo "== nvidia-smi"; nvidia-smi 2>&1 || echo "(no nvidia-smi)"
  echo "== libraries"; ldconfig -p 2>/dev/null | grep -E 'libcuda\.|cublas|nvrtc|OpenCL' || true
} > "$OUT/machine.txt"

# cuBLAS: the system's first, else a pip wheel's (nvidia-cublas-cu12/13, as JAX and PyTorch ship).
CUBLAS=$(ldconfig -p 2>/dev/null | awk '/libcublas\.so\.1[0-9] /{print $NF; exit}')
if [ -z "$CUBLAS" ] && command -v python3 > /dev/null; then
  CUBLAS=$(timeout 20 python3 - <<'PY' 2>/dev/null
import glob, site, sys
dirs = site.getsitepackages() + [site.getusersitepackages()]
for d in dirs:
    for p in sorted(glob.glob(d + "/nvidia/cu*/lib/libcublas.so.*") + glob.glob(d + "/nvidia/cublas/lib/libcublas.so.*")):
        if "Lt" not in p:
            print(p); sys.exit(0)
PY
)
fi
JOPTS=(-Xmx24g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED
  --add-modules jdk.incubator.vector -Djava.util.logging.ConsoleHandler.level=WARNING)
if [ -n "$CUBLAS" ]; then
  JOPTS+=("-Darbor.cuda.cublas=$CUBLAS")
  export LD_LIBRARY_PATH="$(dirname "$CUBLAS")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
echo "cuBLAS: ${CUBLAS:-none found (matmuls on the tiled kernel)}" | tee -a "$OUT/machine.txt"

echo "== Arbor GPU checks ($("$JAVA" --version | head -1))"
timeout 300 "$JAVA" "${JOPTS[@]}" -cp "$BUNDLE/lib/*" dev.arbor.gpu.cuda.GpuChecks \
  "$OUT/java" ${SECTIONS:-}
JAVA_RC=$?
echo "GpuChecks exit status: $JAVA_RC (124: timed out)"

if [ "${ALSO_OPENCL:-0}" = 1 ]; then # the opencl backend on the same GPU (NVIDIA's OpenCL ICD)
  echo "== Arbor checks on opencl"
  mkdir -p "$OUT/java-opencl"
  timeout 150 "$JAVA" "${JOPTS[@]}" -Darbor.checks.backend=opencl -cp "$BUNDLE/lib/*" \
    dev.arbor.gpu.cuda.GpuChecks "$OUT/java-opencl" "${OPENCL_SECTIONS:-conformance,math,fused}"
  echo "GpuChecks (opencl) exit status: $?"
fi

echo "== JAX"
if command -v python3 > /dev/null && python3 -c 'import jax' 2> /dev/null; then
  timeout 150 python3 "$HERE/jax_compare.py" "$OUT/jax" "$OUT/java/results.jsonl" \
    > "$OUT/comparison.txt"
  echo "jax_compare exit status: $?"
  cat "$OUT/comparison.txt"
else
  echo "no python3 with jax: JAX figures skipped"
fi
echo "== done in $(( $(date +%s) - START )) s; results under $OUT"
exit $JAVA_RC
