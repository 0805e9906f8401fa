#!/bin/sh
# extract.sh writes a CSV named after the "table" parameter with "rows" rows.
# It stands in for a connector that downloads data from an API.
set -eu
. "$(dirname "$0")/lib.sh"

table=$(param table)
rows=$(param rows 3)
[ -n "$table" ] || die 'parameter "table" is missing'
case $rows in
'' | *[!0-9]*) die "parameter rows=\"$rows\" is not a whole number" ;;
esac

file="$OUT/$table.csv"
echo "id,name" >"$file"
i=1
while [ "$i" -le "$rows" ]; do
	echo "$i,$table-$i" >>"$file"
	i=$((i + 1))
done
echo "extract: wrote $rows rows to $file"
