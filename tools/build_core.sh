#!/usr/bin/env bash
# tools/build_core.sh — builds libpope, the tests/core binaries and pope_bench with plain gcc,
# for a machine without htslib/libsmf/cmake packages (e.g. checking the AVX-512 code paths on a
# borrowed Xeon), then runs the core tests single-threaded.
#
#   tools/build_core.sh DEPS OUT
#     DEPS: a folder with include/blis.h, include/cjson/cJSON.h and lib/libblis.so,
#           lib/libcjson.so (Debian's libblis-openmp-dev and libcjson-dev files, copied:
#           /usr/include/x86_64-linux-gnu/blis.h, /usr/include/cjson/cJSON.h,
#           /usr/lib/x86_64-linux-gnu/blis-openmp/libblis.so.4, /usr/lib/x86_64-linux-gnu/libcjson.so.1)
#     OUT:  build folder (created)
# Exit status: 0 when every core test passes (or skips), 1 otherwise.
set -u
if [ $# -ne 2 ]; then sed -n 2,12p "$0"; exit 2; fi
root="$(cd "$(dirname "$0")/.." && pwd)"
deps="$(cd "$1" && pwd)" || exit 2
mkdir -p "$2/obj" && out="$(cd "$2" && pwd)" || exit 2
cd "$root"
CF="-O3 -march=native -std=gnu11 -fopenmp -Wall -Wextra -Iinclude -Isrc -Itests -isystem $deps/include"
LIBS="-L$deps/lib -Wl,-rpath,$deps/lib -lblis -lcjson -lm"
for f in src/*.c; do gcc $CF -c "$f" -o "$out/obj/$(basename "$f" .c).o" || exit 1; done
ar rcs "$out/libpope.a" "$out"/obj/*.o
for t in tests/core/test_*.c; do gcc $CF "$t" "$out/libpope.a" $LIBS -o "$out/$(basename "$t" .c)" || exit 1; done
gcc $CF bench/pope_bench.c "$out/libpope.a" $LIBS -o "$out/pope_bench" || exit 1
export OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 POPE_SOURCE_DIR="$root"
fail=0
for t in "$out"/test_*; do
    [ -x "$t" ] || continue
    (cd "$out" && "$t" > "$t.log" 2>&1); rc=$?
    echo "$(basename "$t"): exit $rc, $(tail -1 "$t.log")"
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then fail=1; tail -20 "$t.log"; fi
done
exit $fail
