package spec

import (
	"strings"
	"testing"
	"time"
)

func TestParseDurationRejectsWhatDoesNotFit(t *testing.T) {
	for _, in := range []string{
		"135586085299701d", // wrapped around to one second
		"106752d",          // just past what time.Duration holds
		"3651d",
		"87601h",
		"9999999999999h",
		"99999999999999999999d",
	} {
		_, err := ParseDuration(in)
		if err == nil {
			t.Errorf("ParseDuration(%q) accepted it", in)
			continue
		}
		if !strings.Contains(err.Error(), "from 0s to 3650d") {
			t.Errorf("ParseDuration(%q) error does not give the range: %v", in, err)
		}
	}
}

func TestParseDurationAcceptsTheRange(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0s":     0,
		"90s":    90 * time.Second,
		"2h30m":  150 * time.Minute,
		"1d":     24 * time.Hour,
		"3650d":  MaxDuration,
		"87600h": MaxDuration,
	} {
		got, err := ParseDuration(in)
		if err != nil || got.Std() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestParseDurationSaysWhatIsWrong(t *testing.T) {
	for in, want := range map[string]string{
		"-1d":   "negative",
		"-5m":   "negative",
		"5 min": "not a duration",
		"1.5d":  "not a duration",
		"d":     "not a duration",
	} {
		_, err := ParseDuration(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDuration(%q) = %v, want an error saying %q", in, err, want)
		}
	}
}

func TestDurationFromAnOlderStateIsClampedIntoRange(t *testing.T) {
	for in, want := range map[string]Duration{
		`"-2562047h47m16.854775808s"`: 0,
		`"2562047h47m16.854775807s"`:  Duration(MaxDuration),
		`"1h0m0s"`:                    Duration(time.Hour),
	} {
		var d Duration
		if err := d.UnmarshalJSON([]byte(in)); err != nil || d != want {
			t.Errorf("UnmarshalJSON(%s) = %v, %v; want %v", in, d, err, want)
		}
	}
	var d Duration
	if err := d.UnmarshalJSON([]byte(`"soon"`)); err == nil {
		t.Error("UnmarshalJSON accepted text that is no duration")
	}
}

func TestEveryIntervalHasTheDurationRange(t *testing.T) {
	if _, err := ParseCron("@every 2562047h"); err == nil || !strings.Contains(err.Error(), "0s to 3650d") {
		t.Errorf("@every 2562047h: %v, want the range", err)
	}
	if _, err := ParseCron("@every 87600h"); err != nil {
		t.Errorf("@every 87600h: %v", err)
	}
}
