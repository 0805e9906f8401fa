package spec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Threshold is how long a job may run before it counts as long running:
// a fixed duration ("2h"), or a percentage of the average duration of the
// orchestration's recent successful jobs ("150%").
type Threshold struct {
	Duration Duration
	Percent  float64
}

// DefaultLongRunning is the threshold of an orchestration that sets none.
var DefaultLongRunning = Threshold{Percent: 150}

// DefaultWaitingTooLong is how long a job may wait to start before it is
// reported waiting_too_long, when the orchestration sets no other time.
const DefaultWaitingTooLong = Duration(time.Hour)

// ParseThreshold reads "150%" or a duration; either must be above zero.
func ParseThreshold(s string) (Threshold, error) {
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100000 {
			return Threshold{}, fmt.Errorf("%q is not a percentage of the average; write it like \"150%%\" (above 0%%)", s)
		}
		return Threshold{Percent: v}, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return Threshold{}, fmt.Errorf("%w, or a percentage of the average such as \"150%%\"", err)
	}
	if d <= 0 {
		return Threshold{}, fmt.Errorf("threshold %q must be above zero", s)
	}
	return Threshold{Duration: d}, nil
}

// IsZero reports whether no threshold is set.
func (t Threshold) IsZero() bool { return t.Duration == 0 && t.Percent == 0 }

// String writes the threshold as it is written in files.
func (t Threshold) String() string {
	if t.Percent > 0 {
		return strconv.FormatFloat(t.Percent, 'f', -1, 64) + "%"
	}
	return t.Duration.String()
}

// After is the time a job may run given the average of recent successful
// runs; 0 (no limit) for a percentage without an average.
func (t Threshold) After(average time.Duration) time.Duration {
	if t.Percent > 0 {
		return time.Duration(float64(average) * t.Percent / 100)
	}
	return t.Duration.Std()
}

// MarshalJSON writes the threshold as its text.
func (t Threshold) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON reads the text MarshalJSON writes.
func (t *Threshold) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseThreshold(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}
