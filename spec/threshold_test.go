package spec

import "testing"

func TestThresholdIsADurationOrAPercentageAndRoundTrips(t *testing.T) {
	for _, text := range []string{"150%", "87.5%", "2h0m0s", "1m30s"} {
		th, err := ParseThreshold(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		b, _ := th.MarshalJSON()
		var back Threshold
		if err := back.UnmarshalJSON(b); err != nil || back != th || th.String() != text {
			t.Errorf("%q -> %s -> %+v (%v)", text, b, back, err)
		}
	}
	for _, bad := range []string{"", "0%", "-5%", "fast", "0s", "150"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
