# lib.sh: helpers shared by the marketing example's task scripts. POSIX sh only.
# baton starts every task in a fresh job data directory that holds
# config.json = {"parameters": {...}, "action": "run"}.

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

[ -f config.json ] || die "no config.json in $(pwd); run this script through baton"

# param NAME [DEFAULT] prints the scalar value of key NAME in config.json.
# It is a sed match, not a JSON parser: keep parameter names unique and
# values free of quotes.
param() {
	_json=$(tr -d '\n' <config.json)
	_v=$(printf '%s' "$_json" | sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
	if [ -z "$_v" ]; then
		_v=$(printf '%s' "$_json" | sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*\([-+.0-9a-z]*\).*/\1/p')
	fi
	if [ -z "$_v" ]; then
		_v=${2-}
	fi
	printf '%s\n' "$_v"
}

action=$(param action)
[ "$action" = run ] || die "action \"$action\" is not supported; only \"run\" is"

OUT="${BATON_DATA_DIR:-$(pwd)}/out"
mkdir -p "$OUT"
