#!/bin/sh
# flaky.sh is a source that is down: it writes a partial file and fails with
# the "exit_code" parameter (default 3). Its task sets continue_on_failure,
# so the orchestration goes on and ends "warning".
set -eu
. "$(dirname "$0")/lib.sh"

code=$(param exit_code 3)
echo "id,name" >"$OUT/partners.csv"
echo "flaky: partner API unavailable, giving up with exit code $code" >&2
exit "$code"
