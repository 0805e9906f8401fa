package schedule

import "testing"

func TestDescribePutsSchedulesInWords(t *testing.T) {
	for _, tc := range []struct{ expr, want, kind string }{
		{"0 6 * * 1-5", "at 06:00 on Monday to Friday", "fixed-time"},
		{"30 2 * * *", "at 02:30 every day", "fixed-time"},
		{"0,30 6,18 * * *", "at 06:00, 06:30, 18:00, 18:30 every day", "fixed-time"},
		{"*/15 * * * *", "every 15 minutes every day", "wildcard"},
		{"0 * * * *", "at minute 0 of every hour every day", "wildcard"},
		{"0 2-4 * * *", "at minute 0 of hour 2 to 4 every day", "fixed-time"},
		{"0 3 1 * *", "at 03:00 on day 1 of the month", "fixed-time"},
		{"0 3 1 * 1", "at 03:00 on day 1 of the month or on Monday", "fixed-time"},
		{"0 3 */2 * 1", "at 03:00 on every 2nd day of the month if it is Monday", "fixed-time"},
		{"0 0 1 1,7 *", "at 00:00 on day 1 of the month in January, July", "fixed-time"},
		{"5-10/3 2 * * *", "at minute every 3rd of 5 to 10 of hour 2 every day", "fixed-time"},
		{"@daily", "at 00:00 every day", "fixed-time"},
		{"@hourly", "at minute 0 of every hour every day", "wildcard"},
		{"@every 30m", "every 30m (counted from 1970-01-01 00:00 UTC)", "interval"},
	} {
		if got := Describe(tc.expr); got != tc.want {
			t.Errorf("Describe(%q) = %q, want %q", tc.expr, got, tc.want)
		}
		if got := Kind(tc.expr); got != tc.kind {
			t.Errorf("Kind(%q) = %q, want %q", tc.expr, got, tc.kind)
		}
	}
}
