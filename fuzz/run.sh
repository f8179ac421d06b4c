#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [HARNESS...] — builds the libFuzzer harnesses (clang, POPE_FUZZ=ON, in
# $POPE_FUZZ_BUILD, default build-fuzz) if needed, then runs each for SECONDS (default 60) with
# -rss_limit_mb=1024 -timeout=60 and prints its executions, corpus and result. Exits non-zero
# when any harness found a crash, leak, hang, sanitizer report or broken check.
#   POPE_FUZZ_JOBS=2     harnesses run at a time (default 1)
#   POPE_FUZZ_ARGS=...   more libFuzzer flags (e.g. -max_len=65536)
# Inputs that grew coverage go to BUILD/corpus/<harness>/ (kept between runs; the seeds in
# fuzz/corpus/<harness>/ are only read), crashing inputs to BUILD/crashes/<harness>/, the log
# to BUILD/logs/<harness>.log. A crash input becomes a regression test when copied into
# tests/regress/<harness>/ (docs/RELIABILITY.md "Fuzzing").
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${POPE_FUZZ_BUILD:-build-fuzz}
jobs=${POPE_FUZZ_JOBS:-1}
all=$(sed -n 's/^set(POPE_FUZZ_HARNESSES \(.*\))$/\1/p' fuzz/harnesses.cmake)
harnesses=${*:-$all}
for h in $harnesses; do
    case " $all " in *" $h "*) ;; *) echo "run.sh: unknown harness '$h' (have: $all)" >&2; exit 2 ;; esac
done

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DPOPE_FUZZ=ON -DPOPE_TESTS=OFF -DPOPE_NATIVE=OFF \
          -DPOPE_MPI=OFF -DPOPE_DNNL=OFF \
          -DCMAKE_BUILD_TYPE=Debug >/dev/null || exit 2
fi
targets=()
for h in $harnesses; do targets+=(--target "fuzz_$h"); done
cmake --build "$build" -j2 "${targets[@]}" >"$build/build.log" 2>&1 || { tail -30 "$build/build.log"; exit 2; }

one() {   # one harness: run it, then one summary line
    local h=$1
    mkdir -p "$build/corpus/$h" "$build/crashes/$h" "$build/logs"
    local log="$build/logs/$h.log"
    # shellcheck disable=SC2086
    "$build/fuzz/fuzz_$h" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=60 -print_final_stats=1 \
        -artifact_prefix="$build/crashes/$h/" ${POPE_FUZZ_ARGS:-} "$build/corpus/$h" "fuzz/corpus/$h" >"$log" 2>&1
    local rc=$?
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    local files
    files=$(find "$build/corpus/$h" -type f | wc -l)
    if [ $rc -eq 0 ]; then
        printf '%-12s %10s executions in %ss, corpus %s files: ok\n' "$h" "${execs:-0}" "$secs" "$files"
    else
        local what
        what=$(grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*check failed|.*runtime error)' "$log")
        printf '%-12s %10s executions, FAILED (rc %d): %s\n  log %s, input %s\n' "$h" "${execs:-0}" "$rc" \
            "${what:-see the log}" "$log" "$(grep -o 'Test unit written to .*' "$log" | tail -1 | cut -c22-)"
    fi
    return $rc
}

status=0
running=0
for h in $harnesses; do
    if [ "$jobs" -le 1 ]; then
        one "$h" || status=1
    else
        one "$h" &
        running=$((running + 1))
        if [ $running -ge "$jobs" ]; then wait -n || status=1; running=$((running - 1)); fi
    fi
done
while [ $running -gt 0 ]; do wait -n || status=1; running=$((running - 1)); done
exit $status
