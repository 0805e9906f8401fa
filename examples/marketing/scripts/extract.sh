#!/bin/sh
# extract.sh is the "extractor" component: it pretends to download data from
# the source named by the "source" parameter and writes a small CSV.
set -eu
. "$(dirname "$0")/lib.sh"

src=$(param source)
case $src in
adform)
	if [ -z "${ADFORM_TOKEN:-}" ]; then
		echo "extract.sh: ADFORM_TOKEN is not set; writing a fake extract" >&2
	fi
	if [ "$(param fail false)" = true ]; then
		die "Adform API answered 503 for account $(param account); retry the job later"
	fi
	since=$(param since "-2 days")
	currency=$(param currency EUR)
	file="$OUT/campaigns.csv"
	{
		echo "campaign_id,account,since,currency,impressions,clicks"
		echo "c-1,$(param account),$since,$currency,1200,34"
		echo "c-2,$(param account),$since,$currency,800,12"
	} >"$file"
	;;
snowflake)
	file="$OUT/recipients.csv"
	{
		echo "recipient_id,email,warehouse"
		echo "r-1,ann@example.com,$(param warehouse)"
		echo "r-2,bob@example.com,$(param warehouse)"
	} >"$file"
	;;
'') die 'parameter "source" is missing; set it to adform or snowflake' ;;
*) die "unknown source \"$src\"; set it to adform or snowflake" ;;
esac
echo "extract.sh: $src -> $file"
