#!/usr/bin/env bash
# Side-by-side comparison for `make bench`: baton against make -j2 and a bare
# Go spawning loop, on the same machine in the same run; prints ratios.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N="${BENCH_TASKS:-1000}"
PHASES="${BENCH_PHASES:-100}"
# Work next to the repository, not in /tmp: on some machines /tmp is far
# slower at creating files than the disk baton's state would live on.
# BENCH_DIR moves it elsewhere (e.g. /dev/shm to see baton without the disk).
bench_dir="${BENCH_DIR:-$PWD/.benchtmp}"
mkdir -p "$bench_dir"
work="$(mktemp -d "$bench_dir/bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

go build -o "$work/baton" ./cmd/baton
go build -o "$work/spawnloop" ./scripts/spawnloop
TRUE="$(command -v true)"
case "$TRUE" in /*) ;; *) TRUE=/bin/true ;; esac

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# 1. N tasks of /bin/true in one phase, max_parallel_jobs = 2. Each task has
# its own configuration: tasks of one configuration would be serialized.
mkdir -p "$work/wide"
{
  echo 'project { max_parallel_jobs = 2 }'
  for i in $(seq 1 "$N"); do echo "configuration \"c$i\" { command = [\"$TRUE\"] }"; done
  echo 'orchestration "wide" {'
  echo '  phase "all" {'
  for i in $(seq 1 "$N"); do echo "    task \"t$i\" { configuration = \"c$i\" }"; done
  echo '  }'
  echo '}'
} > "$work/wide/baton.hcl"

# 2. PHASES phases of one task each: the phase-to-phase overhead.
mkdir -p "$work/deep"
{
  echo "configuration \"c\" { command = [\"$TRUE\"] }"
  echo 'orchestration "deep" {'
  for i in $(seq 1 "$PHASES"); do printf '  phase "p%d" {\n    task "t%d" { configuration = "c" }\n  }\n' "$i" "$i"; done
  echo '}'
} > "$work/deep/baton.hcl"

{
  printf 'all:'
  for i in $(seq 1 "$N"); do printf ' t%d' "$i"; done
  printf '\n'
  for i in $(seq 1 "$N"); do printf 't%d:\n\t@%s\n' "$i" "$TRUE"; done
} > "$work/Makefile"

export BATON_STATE="$work/state.db"
"$work/baton" --source "$work/wide" apply >/dev/null

t0=$(now); make -s -j2 -f "$work/Makefile" all; t1=$(now)
make_s=$(elapsed "$t0" "$t1")
loop_s=$("$work/spawnloop" -n "$N" -p 2 "$TRUE")
t0=$(now); "$work/baton" run wide >/dev/null 2>&1; t1=$(now)
baton_s=$(elapsed "$t0" "$t1")

export BATON_STATE="$work/deep.db"
"$work/baton" --source "$work/deep" apply >/dev/null
serial_s=$("$work/spawnloop" -n "$PHASES" -p 1 "$TRUE")
t0=$(now); "$work/baton" run deep >/dev/null 2>&1; t1=$(now)
deep_s=$(elapsed "$t0" "$t1")

printf '%d tasks of %s, 2 at a time:\n' "$N" "$TRUE"
printf '  make -j2        %8.3f s\n' "$make_s"
printf '  Go spawn loop   %8.3f s\n' "$loop_s"
printf '  baton run       %8.3f s\n' "$baton_s"
printf '  baton / make -j2      = %.2f (goal <= 1.3)\n' "$(echo "$baton_s / $make_s" | bc -l)"
printf '  baton / spawn loop    = %.2f\n' "$(echo "$baton_s / $loop_s" | bc -l)"
printf '%d phases of one task:\n' "$PHASES"
printf '  bare serial spawns %8.3f s\n' "$serial_s"
printf '  baton run          %8.3f s\n' "$deep_s"
printf '  phase-to-phase overhead = %.2f ms (goal <= 2 ms; includes process start-up of baton itself / %d)\n' \
  "$(echo "($deep_s - $serial_s) * 1000 / $PHASES" | bc -l)" "$PHASES"
