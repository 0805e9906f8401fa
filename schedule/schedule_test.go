package schedule

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone files
)

func mustParse(t *testing.T, expr, zone string) Schedule {
	t.Helper()
	s, err := Parse(expr, zone)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fires(s Schedule, from, to time.Time) []time.Time {
	var out []time.Time
	for t := s.Next(from); !t.IsZero() && t.Before(to); t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

// TestFixedTimeFiresOncePerDayForAWholeYear checks Vixie cron's rule across
// the real transitions of 2026 in three zones: one fire per local day, the
// skipped time right after the change, the repeated time at its first
// occurrence.
func TestFixedTimeFiresOncePerDayForAWholeYear(t *testing.T) {
	for _, tc := range []struct {
		zone, expr string
		spring     string // the fire on the spring-forward day, in UTC
		fall       string // the fire on the fall-back day, in UTC
	}{
		// Prague: 02:00 CET -> 03:00 CEST on 29 March, 03:00 CEST -> 02:00 CET on 25 October.
		{"Europe/Prague", "30 2 * * *", "2026-03-29T01:00:00Z", "2026-10-25T00:30:00Z"},
		// New York: 02:00 EST -> 03:00 EDT on 8 March, 02:00 EDT -> 01:00 EST on 1 November.
		{"America/New_York", "30 2 * * *", "2026-03-08T07:00:00Z", "2026-11-01T07:30:00Z"},
		{"America/New_York", "30 1 * * *", "2026-03-08T06:30:00Z", "2026-11-01T05:30:00Z"},
		// Lord Howe moves by 30 minutes: 02:00 -> 02:30 on 4 October, 02:00 -> 01:30 on 5 April.
		{"Australia/Lord_Howe", "15 2 * * *", "2026-10-03T15:30:00Z", ""},
		{"Australia/Lord_Howe", "45 1 * * *", "", "2026-04-04T14:45:00Z"},
	} {
		t.Run(tc.zone+" "+tc.expr, func(t *testing.T) {
			loc, _ := time.LoadLocation(tc.zone)
			s := mustParse(t, tc.expr, tc.zone)
			from := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
			to := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
			got := fires(s, from, to)
			if len(got) != 365 {
				t.Fatalf("%d fires in 2026, want 365", len(got))
			}
			days := map[string]bool{}
			for i, f := range got {
				day := f.In(loc).Format("2006-01-02")
				if days[day] {
					t.Fatalf("two fires on %s", day)
				}
				days[day] = true
				if i > 0 && !f.After(got[i-1]) {
					t.Fatalf("fires not increasing: %v then %v", got[i-1], f)
				}
				if f.Location() != time.UTC {
					t.Fatalf("fire %v is not in UTC", f)
				}
			}
			for _, want := range []string{tc.spring, tc.fall} {
				if want == "" {
					continue
				}
				w, _ := time.Parse(time.RFC3339, want)
				found := false
				for _, f := range got {
					found = found || f.Equal(w)
				}
				if !found {
					t.Errorf("no fire at %s (%s local)", want, w.In(loc).Format("2006-01-02 15:04 MST"))
				}
			}
		})
	}
}

func TestWildcardHourFollowsRealTime(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Prague")
	s := mustParse(t, "0 * * * *", "Europe/Prague")
	for _, tc := range []struct {
		day  int
		mon  time.Month
		want int
	}{{29, time.March, 23}, {25, time.October, 25}, {26, time.October, 24}} {
		from := time.Date(2026, tc.mon, tc.day, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
		to := time.Date(2026, tc.mon, tc.day+1, 0, 0, 0, 0, loc)
		got := fires(s, from, to)
		if len(got) != tc.want {
			t.Errorf("%d %s: %d fires, want %d", tc.day, tc.mon, len(got), tc.want)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Sub(got[i-1]) != time.Hour {
				t.Errorf("%d %s: fires %v and %v are not one real hour apart", tc.day, tc.mon, got[i-1], got[i])
			}
		}
	}
}

func TestSkippedTimesInTheGapFireOnce(t *testing.T) {
	s := mustParse(t, "15,45 2 * * *", "Europe/Prague")
	from := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	got := fires(s, from, from.Add(24*time.Hour))
	if len(got) != 1 || !got[0].Equal(time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("fires = %v, want one at 03:00 CEST (01:00 UTC)", got)
	}
}

func TestEveryIsAnchoredOnTheEpoch(t *testing.T) {
	s := mustParse(t, "@every 90s", "Europe/Prague")
	after := time.Date(2026, 11, 25, 6, 0, 10, 0, time.UTC)
	n := s.Next(after)
	if n.UnixNano()%int64(90*time.Second) != 0 || !n.After(after) || n.Sub(after) > 90*time.Second {
		t.Errorf("Next(%v) = %v, want the next multiple of 90s since the epoch", after, n)
	}
	if got := s.Next(n); got.Sub(n) != 90*time.Second {
		t.Errorf("Next of a fire = %v, want +90s", got)
	}
}

func TestDueRunsAMissedFireOnceNeverABurst(t *testing.T) {
	s := mustParse(t, "0 6 * * *", "UTC")
	since := time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)
	if _, ok := Due(s, since, since.Add(time.Hour)); ok {
		t.Error("due before the first fire")
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // three days down
	fire, ok := Due(s, since, now)
	if !ok || !fire.Equal(time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("Due = %v %v, want only the latest missed fire", fire, ok)
	}
	if _, ok := Due(s, fire, now); ok {
		t.Error("the same fire is due twice")
	}
	e := mustParse(t, "@every 1m", "")
	fire, ok = Due(e, now.Add(-time.Hour), now.Add(30*time.Second))
	if !ok || !fire.Equal(now) {
		t.Errorf("@every Due = %v %v, want %v", fire, ok, now)
	}
}

func TestNextNAndParseErrors(t *testing.T) {
	s := mustParse(t, "*/15 * * * *", "")
	got := NextN(s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 3)
	if len(got) != 3 || got[0].Minute() != 15 || got[2].Minute() != 45 {
		t.Errorf("NextN = %v", got)
	}
	if _, err := Parse("61 * * * *", ""); err == nil || !strings.Contains(err.Error(), "61 * * * *") {
		t.Errorf("bad cron error = %v", err)
	}
	if _, err := Parse("0 6 * * *", "Mars/Olympus"); err == nil || !strings.Contains(err.Error(), "Mars/Olympus") {
		t.Errorf("bad zone error = %v", err)
	}
}

func BenchmarkNext(b *testing.B) {
	for _, expr := range []string{"30 2 * * *", "*/5 * * * *"} {
		s, _ := Parse(expr, "Europe/Prague")
		b.Run(expr, func(b *testing.B) {
			t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for b.Loop() {
				t = s.Next(t)
			}
		})
	}
}
