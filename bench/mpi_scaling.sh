#!/usr/bin/env bash
# bench/mpi_scaling.sh — data-parallel training throughput (issue 11, docs/SCALING.md):
# pope-genome trains the same preset as 1 rank and as 2 ranks under mpirun, one thread
# each, micro-batch and accumulation per rank unchanged (so 2 ranks do twice the work per
# step), and prints tokens/s of both and the share of the 2-rank step spent in the
# allreduce (log.jsonl: allreduce_s / step_s, steps after the first 3).
#
#   bench/mpi_scaling.sh [FASTA] [PRESET] [STEPS]      defaults: the bundled hg38 region,
#                                                      genome-small, 40 steps
# Environment: POPE_BENCH_BUILD (build dir, default build-release), MPIRUN (default mpirun),
# RANKS (default "1 2"), OUT (default bench/results/mpi-<UTC date-time>).
# Timing is meaningless on shared cores: run it on a quiet machine (see bench/README.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fasta="${1:-$root/data/genome/hg38_chr16_region.fa}"
preset="${2:-genome-small}"
steps="${3:-40}"
build="${POPE_BENCH_BUILD:-$root/build-release}"
mpirun="${MPIRUN:-mpirun}"
out="${OUT:-$root/bench/results/mpi-$(date -u +%Y-%m-%d-%H%M)}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPOPE_MPI=ON >/dev/null
cmake --build "$build" -j2 --target pope-genome >/dev/null
mkdir -p "$out"
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# field NAME of a JSON line (numbers only)
field() { grep -o "\"$1\":[-0-9.e+]*" | head -1 | cut -d: -f2; }

printf '| ranks | threads/rank | tokens/step | tokens/s | allreduce share of a step |\n|---:|---:|---:|---:|---:|\n' \
    | tee "$out/table.md"
for n in ${RANKS:-1 2}; do
    dir="$out/np$n"
    rm -rf "$dir"
    "$mpirun" --oversubscribe --bind-to none -np "$n" "$build/pope-genome" train "$fasta" --preset "$preset" \
        --steps "$steps" --threads 1 --out "$dir" --quiet > "$dir.out" 2> "$dir.err" || {
        echo "np $n failed: see $dir.err" >&2; exit 1; }
    last="$(grep '"loss"' "$dir/log.jsonl" | tail -1)"
    tps="$(field tokens_per_s <<< "$last")"
    tokens="$(field tokens <<< "$last")"
    share="–"
    if [ "$n" -gt 1 ]; then   # sum over the steps after the first 3 (warm-up)
        share="$(grep '"allreduce_s"' "$dir/log.jsonl" | tail -n +4 | awk -F'[:,}]' '
            { for (i = 1; i < NF; i++) { if ($i ~ /"allreduce_s"/) a += $(i+1); if ($i ~ /"step_s"/) s += $(i+1) } }
            END { if (s > 0) printf "%.1f%%", 100 * a / s; else print "–" }')"
    fi
    printf '| %d | 1 | %d | %.0f | %s |\n' "$n" "$((tokens / steps))" "$tps" "$share" | tee -a "$out/table.md"
done
echo "runs and logs in $out (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
