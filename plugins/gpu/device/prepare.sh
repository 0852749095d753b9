#!/usr/bin/env bash
# Builds, on a machine with JDK 25 and this repository, the bundle a GPU machine needs to run
# run-gpu-checks.sh: the GPU machine has no JDK and no network. The bundle (default
# plugins/gpu/target/gpu-bundle, an ignored path: pass it in the device tool's `carry`) holds
#   jdk/   a jlinked JDK 25 runtime with only the modules the jars use (jdeps), compressed
#   lib/   arbor-gpu, its runtime dependencies, the test classes (GpuChecks, CudaGpuTest), the
#          backend-testkit and JUnit (launcher and engine) jars
# and checks that the whole stays under the device tool's 64 MiB carry limit.
# Usage: plugins/gpu/device/prepare.sh [BUNDLE_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BUNDLE=${1:-$ROOT/plugins/gpu/target/gpu-bundle}
JDK=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
LIMIT_MIB=${ARBOR_BUNDLE_LIMIT_MIB:-60}
CP_FILE="$ROOT/plugins/gpu/target/gpu-test-classpath.txt"

cd "$ROOT"
echo "== building arbor-gpu and its test classes (no tests run)"
./arbor mvn -q -pl plugins/gpu -am package -DskipTests \
  dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE"

rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/lib"
echo "== collecting jars"
IFS=":" read -r -a ENTRIES < "$CP_FILE" || true
for e in "${ENTRIES[@]}"; do
  [ -n "$e" ] || continue
  if [ -d "$e" ]; then # a reactor module resolved to its classes folder
    name=$(basename "$(dirname "$(dirname "$e")")")
    "$JDK/bin/jar" --create --file "$BUNDLE/lib/$name-classes.jar" -C "$e" .
  else
    cp "$e" "$BUNDLE/lib/"
  fi
done
cp plugins/gpu/target/arbor-gpu-*[0-9T].jar "$BUNDLE/lib/"
"$JDK/bin/jar" --create --file "$BUNDLE/lib/arbor-gpu-tests.jar" -C plugins/gpu/target/test-classes .

echo "== jlink"
MODS=$("$JDK/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
  "$BUNDLE"/lib/*.jar 2>/dev/null | grep -v '^Warning' | tail -1 || true)
# What jdeps cannot see: the Vector API (reflective/incubator), Unsafe users, JUnit's logging.
MODS="${MODS:+$MODS,}java.base,java.logging,jdk.incubator.vector,jdk.unsupported,java.management"
echo "modules: $MODS"
"$JDK/bin/jlink" --add-modules "$MODS" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-9 --output "$BUNDLE/jdk"

# libjvm.so ships with its symbol table: stripping it saves ~4 MiB of the carry limit.
if command -v strip > /dev/null; then
  strip --strip-unneeded "$BUNDLE/jdk/lib/server/libjvm.so"
fi
"$BUNDLE/jdk/bin/java" --version > /dev/null
JDK_KIB=$(du -sk "$BUNDLE/jdk" | cut -f1)
LIB_KIB=$(du -sk "$BUNDLE/lib" | cut -f1)
TOTAL_KIB=$(du -sk "$BUNDLE" | cut -f1)
printf 'bundle %s: jdk %d KiB, lib %d KiB, total %d KiB (%.1f MiB)\n' \
  "$BUNDLE" "$JDK_KIB" "$LIB_KIB" "$TOTAL_KIB" "$(echo "$TOTAL_KIB / 1024" | bc -l)"
if [ "$TOTAL_KIB" -gt $((LIMIT_MIB * 1024)) ]; then
  echo "the bundle is over ${LIMIT_MIB} MiB: the device tool carries 64 MiB at most" >&2
  exit 1
fi
echo "ready: carry \"${BUNDLE#$ROOT/}\" and run: bash plugins/gpu/device/run-gpu-checks.sh"
