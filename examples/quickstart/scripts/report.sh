#!/bin/sh
# report.sh runs in the second phase, after every extract task has ended. It
# writes one summary row about its own job.
set -eu
. "$(dirname "$0")/lib.sh"

title=$(param title report)
file="$OUT/summary.csv"
echo "title,orchestration,task,job_id" >"$file"
echo "$title,${BATON_ORCHESTRATION:-},${BATON_TASK:-},${BATON_JOB_ID:-}" >>"$file"
echo "report: wrote $file"
