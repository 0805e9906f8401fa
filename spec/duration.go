package spec

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Duration is a time.Duration written as Go duration text ("1h30m").
type Duration time.Duration

// MaxDuration is the longest duration a file may give (timeout, cooldown and
// the like). Far beyond any real need, and far below time.Duration's limit
// of about 292 years, so that sums of durations and times never wrap around.
const MaxDuration = 3650 * 24 * time.Hour

// durationRange is how error messages state the allowed range.
const durationRange = "durations go from 0s to 3650d (10 years)"

// goDuration matches the text time.ParseDuration accepts, so that text it
// refuses can be told apart as too long rather than malformed.
var goDuration = regexp.MustCompile(`^[+-]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$`)

// ParseDuration reads Go duration text, and also whole days ("2d"). It
// refuses negative durations and those longer than MaxDuration.
func ParseDuration(s string) (Duration, error) {
	if n := len(s); n > 1 && s[n-1] == 'd' && isInteger(s[:n-1]) {
		days, err := strconv.ParseInt(s[:n-1], 10, 64)
		switch {
		case err == nil && days < 0, s[0] == '-':
			return 0, fmt.Errorf("duration %q is negative; %s", s, durationRange)
		case err != nil || days > int64(MaxDuration/(24*time.Hour)):
			return 0, fmt.Errorf("duration %q is too long; %s", s, durationRange)
		}
		return Duration(time.Duration(days) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && goDuration.MatchString(s) && s[0] == '-':
		return 0, fmt.Errorf("duration %q is negative; %s", s, durationRange)
	case err != nil && goDuration.MatchString(s):
		// The text is well formed: time.Duration cannot hold it.
		return 0, fmt.Errorf("duration %q is too long; %s", s, durationRange)
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration; write it like \"90s\", \"30m\", \"2h\" or \"1d\"", s)
	case d < 0:
		return 0, fmt.Errorf("duration %q is negative; %s", s, durationRange)
	case d > MaxDuration:
		return 0, fmt.Errorf("duration %q is too long; %s", s, durationRange)
	}
	return Duration(d), nil
}

func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as text, so that state and plans stay readable.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads the text written by MarshalJSON. A state written
// before durations had a range may hold one outside it: it is clamped into
// the range rather than refused, so that the state stays readable.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := ParseDuration(s)
	if err == nil {
		*d = v
		return nil
	}
	raw, rawErr := time.ParseDuration(s)
	if rawErr != nil {
		return err
	}
	*d = Duration(min(max(raw, 0), MaxDuration))
	return nil
}
