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
go build -o "$work/parseloop" ./scripts/parseloop
go build -o "$work/genrepo" ./scripts/genrepo
go build -o "$work/measure" ./scripts/measure
RUNS="${BENCH_RUNS:-5}"
TRUE="$(command -v true)"
case "$TRUE" in /*) ;; *) TRUE=/bin/true ;; esac

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
ratio() { echo "$1 / $2" | bc -l; }
# measure prints "wall cpu rss_mb", the medians of $RUNS whole-process runs.
field() { echo "$1" | cut -d' ' -f"$2"; }

# 0. The 1000-file repository: 10 configurations with nested parameters and
# one orchestration (2 phases of 5 tasks, a schedule in a time zone) per
# file. Baselines: a bare single-threaded hclsyntax.ParseConfig loop over
# the same files, and the start-up of a trivial baton command.
"$work/genrepo" -n "${BENCH_FILES:-1000}" "$work/repo"
db="$work/apply.db"
parse=$("$work/measure" -n "$RUNS" -- "$work/parseloop" "$work/repo")
apply=$("$work/measure" -n "$RUNS" -rm "$db" -rm "$db-wal" -rm "$db-shm" -- \
  "$work/baton" --source "$work/repo" --state "$db" apply)
"$work/baton" --source "$work/repo" --state "$db" apply >/dev/null 2>&1 || true
trivial=(version)
"$work/baton" version >/dev/null 2>&1 || trivial=(--help)
start=$("$work/measure" -n "$RUNS" -- "$work/baton" "${trivial[@]}")
plan=$("$work/measure" -n "$RUNS" -- "$work/baton" --source "$work/repo" --state "$db" plan)

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

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# The runs alternate (make, spawn loop, baton; then again), so that a change
# of load on a shared machine weighs on all three alike; medians of $RUNS.
export BATON_STATE="$work/state.db"
"$work/baton" --source "$work/wide" apply >/dev/null
: >"$work/make.t"; : >"$work/loop.t"; : >"$work/baton.t"
for _ in $(seq 1 "$RUNS"); do
  t0=$(now); make -s -j2 -f "$work/Makefile" all; t1=$(now)
  elapsed "$t0" "$t1" >>"$work/make.t"
  "$work/spawnloop" -n "$N" -p 2 "$TRUE" >>"$work/loop.t"
  t0=$(now); "$work/baton" run wide >/dev/null 2>&1; t1=$(now)
  elapsed "$t0" "$t1" >>"$work/baton.t"
done
make_s=$(median <"$work/make.t")
loop_s=$(median <"$work/loop.t")
baton_s=$(median <"$work/baton.t")

export BATON_STATE="$work/deep.db"
"$work/baton" --source "$work/deep" apply >/dev/null
: >"$work/serial.t"; : >"$work/deep.t"
for _ in $(seq 1 "$RUNS"); do
  "$work/spawnloop" -n "$PHASES" -p 1 "$TRUE" >>"$work/serial.t"
  t0=$(now); "$work/baton" run deep >/dev/null 2>&1; t1=$(now)
  elapsed "$t0" "$t1" >>"$work/deep.t"
done
serial_s=$(median <"$work/serial.t")
deep_s=$(median <"$work/deep.t")

printf '%d tasks of %s, 2 at a time (medians of %d alternating runs):\n' "$N" "$TRUE" "$RUNS"
printf '  make -j2        %8.3f s\n' "$make_s"
printf '  Go spawn loop   %8.3f s\n' "$loop_s"
printf '  baton run       %8.3f s\n' "$baton_s"
printf '  baton / make -j2      = %.2f (goal <= 1.3)\n' "$(echo "$baton_s / $make_s" | bc -l)"
printf '  baton / spawn loop    = %.2f\n' "$(echo "$baton_s / $loop_s" | bc -l)"
# Where a slot's time goes in baton's executor (BenchmarkWidePhase, the
# same 1000 tasks, means per task: they add up to a slot's time).
stages=$(TMPDIR="$work" go test -run '^$' -bench 'WidePhase$' -benchtime 1x ./executor)
stage() { echo "$stages" | grep -o "[0-9.]* $1" | cut -d' ' -f1; }
printf '  a slot, per task (means): starting the process %s µs, the process until reaped %s µs,\n' "$(stage start-µs)" "$(stage run-µs)"
printf '    baton from the end of a task to the start of the next %s µs\n' "$(stage between-µs)"
printf '%d phases of one task:\n' "$PHASES"
printf '  bare serial spawns %8.3f s\n' "$serial_s"
printf '  baton run          %8.3f s\n' "$deep_s"
printf '  phase-to-phase overhead = %.2f ms (goal <= 2 ms; includes process start-up of baton itself / %d)\n' \
  "$(echo "($deep_s - $serial_s) * 1000 / $PHASES" | bc -l)" "$PHASES"

printf '%s files (10 configurations, 2 phases x 5 tasks each), median of %d runs:\n' "${BENCH_FILES:-1000}" "$RUNS"
printf '  bare parse loop    %8.3f s wall %8.3f s CPU\n' "$(field "$parse" 1)" "$(field "$parse" 2)"
printf '  baton apply (cold) %8.3f s wall %8.3f s CPU %6.1f MB peak (goal <= 120 MB)\n' \
  "$(field "$apply" 1)" "$(field "$apply" 2)" "$(field "$apply" 3)"
printf '  apply / parse loop    = %.2f wall (goal <= 1.5), %.2f CPU\n' \
  "$(ratio "$(field "$apply" 1)" "$(field "$parse" 1)")" "$(ratio "$(field "$apply" 2)" "$(field "$parse" 2)")"
printf '  baton %-12s     %8.3f s wall %8.3f s CPU\n' "${trivial[*]}" "$(field "$start" 1)" "$(field "$start" 2)"
printf '  baton plan (no change) %8.3f s wall %8.3f s CPU\n' "$(field "$plan" 1)" "$(field "$plan" 2)"
printf '  plan / start-up       = %.2f wall (goal <= 3), %.2f CPU\n' \
  "$(ratio "$(field "$plan" 1)" "$(field "$start" 1)")" "$(ratio "$(field "$plan" 2)" "$(field "$start" 2)")"

# 4. A burst: 20 orchestrations due at the same instant, fire -> process
# start, against 20 bare spawns two at a time (the floor on 2 CPUs).
burst_out=$(go test -run '^$' -bench 'ScheduleDueToTaskStart' -benchtime 1x ./controller)
burst=$(echo "$burst_out" | grep -o '[0-9.]* p99-ms' | cut -d' ' -f1)
burst50=$(echo "$burst_out" | grep -o '[0-9.]* p50-ms' | cut -d' ' -f1)
spawn20=$("$work/spawnloop" -n 20 -p 2 "$TRUE")
printf '20 orchestrations due at once (schedule due -> process start, 200 starts):\n'
printf '  p50 %8.1f ms, p99 %8.1f ms (goal <= 20 ms); 20 bare spawns, 2 at a time: %.1f ms\n' "$burst50" "$burst" "$(echo "$spawn20 * 1000" | bc -l)"
printf '  p99 / 20 bare spawns  = %.2f\n' "$(ratio "$burst" "$(echo "$spawn20 * 1000" | bc -l)")"
