package schedule

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone files
)

func mustParse(t testing.TB, expr, zone string) Schedule {
	t.Helper()
	s, err := Parse(expr, zone)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustLoad(t testing.TB, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fires lists the fires in (from, to).
func fires(s Schedule, from, to time.Time) []time.Time {
	var out []time.Time
	for t := s.Next(from); !t.IsZero() && t.Before(to); t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestFixedTimeFiresOncePerLocalDayForAWholeYear checks Vixie cron's rule
// across the real transitions of 2026: one fire per local day, a skipped
// time right after the change, a repeated time at its first occurrence.
func TestFixedTimeFiresOncePerLocalDayForAWholeYear(t *testing.T) {
	for _, tc := range []struct {
		zone, expr    string
		local         string // the local reading of every fire but the spring day's
		springDay     string // local date of the spring-forward change
		spring        string // the fire that day, in UTC
		fallDay, fall string
	}{
		// Prague: 02:00 CET -> 03:00 CEST on 29 March, 03:00 CEST -> 02:00 CET on 25 October.
		{"Europe/Prague", "30 2 * * *", "02:30", "2026-03-29", "2026-03-29T01:00:00Z", "2026-10-25", "2026-10-25T00:30:00Z"},
		// New York: 02:00 EST -> 03:00 EDT on 8 March, 02:00 EDT -> 01:00 EST on 1 November.
		{"America/New_York", "30 2 * * *", "02:30", "2026-03-08", "2026-03-08T07:00:00Z", "2026-11-01", "2026-11-01T07:30:00Z"},
		{"America/New_York", "30 1 * * *", "01:30", "2026-03-08", "2026-03-08T06:30:00Z", "2026-11-01", "2026-11-01T05:30:00Z"},
		// Lord Howe moves by 30 minutes: 02:00 -> 02:30 (+11) on 4 October, 02:00 -> 01:30 (+10:30) on 5 April.
		{"Australia/Lord_Howe", "15 2 * * *", "02:15", "2026-10-04", "2026-10-03T15:30:00Z", "2026-04-05", "2026-04-04T15:45:00Z"},
		{"Australia/Lord_Howe", "45 1 * * *", "01:45", "2026-10-04", "2026-10-03T15:15:00Z", "2026-04-05", "2026-04-04T14:45:00Z"},
	} {
		t.Run(tc.zone+" "+tc.expr, func(t *testing.T) {
			loc := mustLoad(t, tc.zone)
			s := mustParse(t, tc.expr, tc.zone)
			got := fires(s, time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc))
			if len(got) != 365 {
				t.Fatalf("%d fires in 2026, want 365", len(got))
			}
			byDay := map[string]time.Time{}
			for i, f := range got {
				if f.Location() != time.UTC {
					t.Fatalf("fire %v is not in UTC", f)
				}
				if i > 0 && !f.After(got[i-1]) {
					t.Fatalf("fires not strictly increasing: %v then %v", got[i-1], f)
				}
				local := f.In(loc)
				day := local.Format(time.DateOnly)
				if prev, dup := byDay[day]; dup {
					t.Fatalf("two fires on %s: %v and %v", day, prev, f)
				}
				byDay[day] = f
				if day != tc.springDay && local.Format("15:04") != tc.local {
					t.Errorf("fire %v reads %s locally, want %s", f, local.Format("15:04 MST"), tc.local)
				}
			}
			for day, want := range map[string]string{tc.springDay: tc.spring, tc.fallDay: tc.fall} {
				if f := byDay[day]; !f.Equal(utc(want)) {
					t.Errorf("fire on %s = %v (%s), want %s (%s)", day, f, f.In(loc).Format("15:04 MST"),
						want, utc(want).In(loc).Format("15:04 MST"))
				}
			}
		})
	}
}

func TestSkippedTimesFoldIntoOneFireAtTheChange(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		want       []string
	}{
		{"two skipped times", "15,45 2 * * *", []string{"2026-03-29T01:00:00Z"}},
		// 02:00 and 02:30 do not exist; they and 03:00 are one instant.
		{"skipped times and the time of the change", "0,30 2,3 * * *", []string{"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.expr, "Europe/Prague")
			got := fires(s, utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z"))
			if len(got) != len(tc.want) {
				t.Fatalf("fires = %v, want %v", got, tc.want)
			}
			for i, w := range tc.want {
				if !got[i].Equal(utc(w)) {
					t.Errorf("fire %d = %v, want %s", i, got[i], w)
				}
			}
		})
	}
}

func TestRepeatedTimesFireAtTheirFirstOccurrenceOnly(t *testing.T) {
	s := mustParse(t, "0,30 2 * * *", "Europe/Prague")
	for _, tc := range []struct {
		name, after, want string
	}{
		{"before the repeated hour", "2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z"},        // 02:00 CEST
		{"inside its first pass", "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z"},           // 02:30 CEST
		{"at the last first-pass fire", "2026-10-25T00:30:00Z", "2026-10-26T01:00:00Z"},     // next day 02:00 CET
		{"inside its second pass", "2026-10-25T01:15:00Z", "2026-10-26T01:00:00Z"},          // not 02:30 CET
		{"just before the second pass", "2026-10-25T00:59:59Z", "2026-10-26T01:00:00Z"},     // not 02:00 CET
		{"in the gap a year earlier", "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z"},       // 03:00 CEST
		{"at the change of the spring day", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"}, // 02:00 CEST
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Next(utc(tc.after)); !got.Equal(utc(tc.want)) {
				t.Errorf("Next(%s) = %v, want %s", tc.after, got, tc.want)
			}
		})
	}
}

func TestWildcardFollowsRealTimeRangesDoNot(t *testing.T) {
	loc := mustLoad(t, "Europe/Prague")
	for _, tc := range []struct {
		expr string
		day  time.Time
		want int
	}{
		{"0 * * * *", time.Date(2026, 3, 29, 0, 0, 0, 0, loc), 23},
		{"0 * * * *", time.Date(2026, 10, 25, 0, 0, 0, 0, loc), 25},
		{"0 * * * *", time.Date(2026, 10, 26, 0, 0, 0, 0, loc), 24},
		{"@hourly", time.Date(2026, 10, 25, 0, 0, 0, 0, loc), 25},
		{"30 * * * *", time.Date(2026, 10, 25, 0, 0, 0, 0, loc), 25},
		// A range is fixed-time, as in ISC cron: 02:30 fires once on the fall-back day.
		{"30 0-23 * * *", time.Date(2026, 10, 25, 0, 0, 0, 0, loc), 24},
	} {
		t.Run(tc.expr+" "+tc.day.Format(time.DateOnly), func(t *testing.T) {
			s := mustParse(t, tc.expr, "Europe/Prague")
			got := fires(s, tc.day.Add(-time.Nanosecond), tc.day.AddDate(0, 0, 1))
			if len(got) != tc.want {
				t.Errorf("%d fires, want %d: %v", len(got), tc.want, got)
			}
			for i := 1; i < len(got); i++ {
				if tc.want != 24 && got[i].Sub(got[i-1]) != time.Hour {
					t.Errorf("fires %v and %v are not one real hour apart", got[i-1], got[i])
				}
			}
		})
	}
}

// TestWildcardOnlyWhenMinuteOrHourBeginsWithStar is ISC cron's entry.c
// rule: MIN_STAR and HR_STAR are set from a field's first character.
func TestWildcardOnlyWhenMinuteOrHourBeginsWithStar(t *testing.T) {
	for _, tc := range []struct {
		expr  string
		fixed bool
	}{
		{"30 2 * * *", true},
		{"0,30 6,18 * * 1-5", true}, // ranges elsewhere than minute and hour do not matter
		{"00 02 1 1 *", true},
		{"@daily", true},
		{"@midnight", true},
		{"@weekly", true},
		{"@monthly", true},
		{"@yearly", true},
		{"@annually", true},
		{"0 2-4 * * *", true},
		{"5-10 2 * * *", true},
		{"0-59/15 2 * * *", true},
		{"0 1,3-5 * * *", true},
		{"0 0-23/2 * * *", true},
		{"0/20 2 * * *", true},
		{"0 */2 * * *", false},
		{"0 * * * *", false},
		{"0 ? * * *", false},
		{"* 2 * * *", false},
		{"*/15 2 * * *", false},
		{"0-30/10 * * * *", false},
		{"*,30 2 * * *", false},
		{"@hourly", false},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, fixed := mustParse(t, tc.expr, "Europe/Prague").(wallClock)
			if fixed != tc.fixed {
				t.Errorf("fixed-time = %v, want %v", fixed, tc.fixed)
			}
		})
	}
}

func TestEveryIsAnchoredOnTheEpoch(t *testing.T) {
	const d = 90 * time.Second
	for _, tc := range []struct {
		zone  string
		after time.Time
	}{
		{"Europe/Prague", utc("2026-11-25T06:00:10Z")},
		{"Australia/Lord_Howe", utc("2026-11-25T06:00:10Z")},
		{"", utc("2026-10-25T00:59:59.5Z")},
		{"", utc("1969-12-31T23:59:00Z")}, // before the epoch
	} {
		t.Run(tc.zone+" "+tc.after.Format(time.RFC3339Nano), func(t *testing.T) {
			s := mustParse(t, "@every 90s", tc.zone)
			n := s.Next(tc.after)
			if n.Sub(time.Unix(0, 0))%d != 0 || !n.After(tc.after) || n.Sub(tc.after) > d {
				t.Errorf("Next(%v) = %v, want the next multiple of 90s since the epoch", tc.after, n)
			}
			if got := s.Next(n); got.Sub(n) != d {
				t.Errorf("Next of the fire %v = %v, want +90s", n, got)
			}
		})
	}
}

func TestImpossibleDatesNeverFire(t *testing.T) {
	for _, expr := range []string{"0 0 30 2 *", "0 * 31 4 *"} {
		s := mustParse(t, expr, "Europe/Prague")
		if got := s.Next(utc("2026-01-01T00:00:00Z")); !got.IsZero() {
			t.Errorf("%q: Next = %v, want zero", expr, got)
		}
		if got := NextN(s, utc("2026-01-01T00:00:00Z"), 3); len(got) != 0 {
			t.Errorf("%q: NextN = %v, want none", expr, got)
		}
	}
}

func TestNextNReturnsNIncreasingTimes(t *testing.T) {
	for _, tc := range []struct {
		expr, zone string
		n          int
	}{
		{"*/15 * * * *", "", 3},
		{"30 2 * * *", "Europe/Prague", 400},
		{"@every 1h", "", 5},
		{"0 6 * * *", "", 0},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got := NextN(mustParse(t, tc.expr, tc.zone), utc("2026-01-01T00:00:00Z"), tc.n)
			if len(got) != tc.n {
				t.Fatalf("%d times, want %d", len(got), tc.n)
			}
			for i := 1; i < len(got); i++ {
				if !got[i].After(got[i-1]) {
					t.Fatalf("not increasing: %v then %v", got[i-1], got[i])
				}
			}
		})
	}
}

func TestParseErrorsNameTheExpressionOrZone(t *testing.T) {
	for _, tc := range []struct {
		expr, zone, want string
	}{
		{"61 * * * *", "", "61 * * * *"},
		{"* * *", "", "* * *"},
		{"@fortnightly", "", "@fortnightly"},
		{"TZ=Europe/Prague 0 6 * * *", "", "timezone attribute"},
		{"0 6 * * *", "Mars/Olympus", "Mars/Olympus"},
		{"0 6 * * *", "Local", "Local"},
	} {
		t.Run(tc.expr+" "+tc.zone, func(t *testing.T) {
			_, err := Parse(tc.expr, tc.zone)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func BenchmarkNext(b *testing.B) {
	for _, expr := range []string{"30 2 * * *", "*/5 * * * *", "@every 90s"} {
		s := mustParse(b, expr, "Europe/Prague")
		b.Run(expr, func(b *testing.B) {
			t := utc("2026-01-01T00:00:00Z")
			for b.Loop() {
				t = s.Next(t)
			}
		})
	}
}

func TestDueRunsAMissedFireOnceNeverABurst(t *testing.T) {
	daily := mustParse(t, "0 6 * * *", "UTC")
	minutely := mustParse(t, "* * * * *", "Europe/Prague")
	prague := mustParse(t, "30 2 * * *", "Europe/Prague")
	every := mustParse(t, "@every 1m", "")
	for _, tc := range []struct {
		name       string
		s          Schedule
		since, now string
		want       string // "" when nothing is due
	}{
		{"nothing before the first fire", daily, "2026-11-20T07:00:00Z", "2026-11-21T05:59:59Z", ""},
		{"the fire itself is due", daily, "2026-11-20T07:00:00Z", "2026-11-21T06:00:00Z", "2026-11-21T06:00:00Z"},
		{"only the latest after three days down", daily, "2026-11-20T07:00:00Z", "2026-11-23T09:00:00Z", "2026-11-23T06:00:00Z"},
		{"a recorded fire is not due again", daily, "2026-11-23T06:00:00Z", "2026-11-23T09:00:00Z", ""},
		{"now before since", daily, "2026-11-23T06:00:00Z", "2026-11-20T09:00:00Z", ""},
		{"a year down costs no burst", minutely, "2025-11-23T06:00:30Z", "2026-11-23T09:00:30Z", "2026-11-23T09:00:00Z"},
		{"the skipped time of the spring day", prague, "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z", "2026-03-29T01:00:00Z"},
		{"the repeated time only once", prague, "2026-10-25T00:30:00Z", "2026-10-25T01:45:00Z", ""},
		{"@every", every, "2026-11-23T08:00:00Z", "2026-11-23T09:00:30Z", "2026-11-23T09:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fire, ok := Due(tc.s, utc(tc.since), utc(tc.now))
			switch {
			case tc.want == "" && ok:
				t.Errorf("Due = %v, want nothing due", fire)
			case tc.want != "" && (!ok || !fire.Equal(utc(tc.want))):
				t.Errorf("Due = %v %v, want %s", fire, ok, tc.want)
			}
		})
	}
}

// golang/go#81583: past a zone's table of changes, ZoneBounds ends the last
// period of a leap year a day early, before the instant asked about.
func TestNextCrossesTheLastDayOfALeapYearPastTheZoneTable(t *testing.T) {
	loc := mustLoad(t, "Europe/Prague")
	from := time.Date(2040, 12, 29, 12, 0, 0, 0, loc)
	for _, tc := range []struct {
		expr string
		step time.Duration
	}{
		{"30 2 * * *", 24 * time.Hour},
		{"0 * * * *", time.Hour},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got := NextN(mustParse(t, tc.expr, "Europe/Prague"), from, 60) // before the 2041 change
			if len(got) != 60 {
				t.Fatalf("%d fires, want 60", len(got))
			}
			for i := 1; i < len(got); i++ {
				if got[i].Sub(got[i-1]) != tc.step {
					t.Fatalf("fires %v and %v are not %v apart", got[i-1], got[i], tc.step)
				}
			}
		})
	}
}

// The cases of the report: a range in the hour fires at 02:00 CEST only,
// not again at 02:00 CET; a range of minutes in a skipped hour fires once,
// right after the jump.
func TestRangesAndStepsAreFixedTimeAsInISCCron(t *testing.T) {
	for _, tc := range []struct {
		expr, from, to string
		want           []string
	}{
		{"0 2-4 31 10 *", "2027-10-30T12:00:00Z", "2027-11-01T00:00:00Z",
			[]string{"2027-10-31T00:00:00Z", "2027-10-31T02:00:00Z", "2027-10-31T03:00:00Z"}},
		{"5-10 2 28 3 *", "2027-03-27T12:00:00Z", "2027-03-29T00:00:00Z", []string{"2027-03-28T01:00:00Z"}},
		{"0-59/15 2 28 3 *", "2027-03-27T12:00:00Z", "2027-03-29T00:00:00Z", []string{"2027-03-28T01:00:00Z"}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got := fires(mustParse(t, tc.expr, "Europe/Prague"), utc(tc.from), utc(tc.to))
			if len(got) != len(tc.want) {
				t.Fatalf("fires = %v, want %v", got, tc.want)
			}
			for i, w := range tc.want {
				if !got[i].Equal(utc(w)) {
					t.Errorf("fire %d = %v, want %s", i, got[i], w)
				}
			}
		})
	}
}
