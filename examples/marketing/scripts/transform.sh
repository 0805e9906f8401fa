#!/bin/sh
# transform.sh is the "transformation" component: it writes the result of the
# query named by the "query" parameter as a small CSV.
set -eu
. "$(dirname "$0")/lib.sh"

query=$(param query)
[ -n "$query" ] || die 'parameter "query" is missing'
case $query in
*[!a-z0-9-]*) die "query \"$query\" may hold only a-z, 0-9 and -" ;;
esac
file="$OUT/$query.csv"
{
	echo "campaign_id,recipients"
	echo "c-1,2"
	echo "c-2,1"
} >"$file"
echo "transform.sh: $query -> $file (job ${BATON_JOB_ID:-?} of ${BATON_ORCHESTRATION:-?})"
