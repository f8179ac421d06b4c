#!/usr/bin/env bash
# bench/run.sh — build pope_bench (Release, -march=native) and run the whole benchmark:
# sgemm, training per encoding, PyTorch twin, long-context evaluation, generation.
# Arguments go to pope_bench (e.g. --quick, --threads 2, --skip torch). See bench/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${POPE_BENCH_BUILD:-$root/build-release}"   # a Release build of its own
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target pope_bench >/dev/null
cd "$root"
exec "$build/pope_bench" --source "$root" "$@"
