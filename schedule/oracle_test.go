package schedule

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baton-dev/baton/spec"
)

// The tests here check Next against a minute-by-minute reading of the
// rules around every 2026 change of zones whose changes differ in kind:
// by an hour at 02:00 (Prague, New York), by 30 minutes (Lord Howe), and
// at midnight (Santiago, Havana), where a daily 00:00 is skipped.
var oracleZones = []string{"Europe/Prague", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "America/Havana"}

func TestRealTimeFiresAtEveryMatchingRealMinute(t *testing.T) {
	exprs := []string{"*/15 * * * *", "0 * * * *", "30 2-4 * * *", "* 0 * * *", "@hourly", "5 */2 * * 0", "45 0-3 * * *"}
	checkAroundChanges(t, exprs, func(f fields, loc *time.Location, w window) []time.Time {
		var want []time.Time
		for c := w.from; c.Before(w.to); c = c.Add(time.Minute) {
			if f.match(c.In(loc)) {
				want = append(want, c)
			}
		}
		return want
	})
}

func TestFixedTimeFollowsVixieRuleMinuteByMinute(t *testing.T) {
	exprs := []string{"30 2 * * *", "15,45 2 * * *", "0,30 1,2,3 * * *", "45 1 * * *", "0 0 * * *", "@daily", "59 23 * * *"}
	checkAroundChanges(t, exprs, func(f fields, loc *time.Location, w window) []time.Time {
		// Every matching reading fires once, at the first real minute whose
		// reading is at or past it.
		var pending []time.Time
		for r := reading(w.from, loc); r.Before(reading(w.to, loc).Add(time.Hour)); r = r.Add(time.Minute) {
			if f.match(r) {
				pending = append(pending, r)
			}
		}
		var want []time.Time
		for c := w.from; c.Before(w.to); c = c.Add(time.Minute) {
			due := false
			for len(pending) > 0 && !pending[0].After(reading(c, loc)) {
				pending, due = pending[1:], true
			}
			if due {
				want = append(want, c)
			}
		}
		return want
	})
}

// checkAroundChanges compares Next with want, the rule read minute by
// minute, for each expression in each zone around each of its changes.
func checkAroundChanges(t *testing.T, exprs []string, want func(fields, *time.Location, window) []time.Time) {
	for _, expr := range exprs {
		for _, zone := range oracleZones {
			t.Run(expr+" "+zone, func(t *testing.T) {
				loc, f, s := mustLoad(t, zone), parseFields(t, expr), mustParse(t, expr, zone)
				for _, w := range changeWindows(t, loc) {
					compare(t, fires(s, w.from.Add(-time.Nanosecond), w.to), want(f, loc, w), loc)
				}
			})
		}
	}
}

// reading is t's local clock reading in loc, carried in UTC.
func reading(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

type window struct{ from, to time.Time }

// changeWindows returns two days either side of each of loc's 2026 changes.
func changeWindows(t *testing.T, loc *time.Location) []window {
	var out []window
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for {
		_, end := at.In(loc).ZoneBounds()
		if end.IsZero() || end.Year() > 2026 {
			break
		}
		out = append(out, window{end.Add(-48 * time.Hour).Truncate(time.Hour), end.Add(48 * time.Hour).Truncate(time.Hour)})
		at = end
	}
	if len(out) == 0 {
		t.Fatalf("%s has no change in 2026", loc)
	}
	return out
}

func compare(t *testing.T, got, want []time.Time, loc *time.Location) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w time.Time
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !g.Equal(w) {
			t.Fatalf("fire %d of %d: got %v (%s), want %v (%s)", i, len(want),
				g, g.In(loc).Format("2006-01-02 15:04 MST"), w, w.In(loc).Format("2006-01-02 15:04 MST"))
		}
	}
}

// fields matches a time's own clock reading against a parsed expression,
// with cron's day rule: day of month OR day of week when both are
// restricted, otherwise both.
type fields struct{ *cron.SpecSchedule }

const starBit = 1 << 63

func parseFields(t *testing.T, expr string) fields {
	cs, err := spec.ParseCron(expr)
	if err != nil {
		t.Fatal(err)
	}
	return fields{cs.(*cron.SpecSchedule)}
}

func (f fields) match(l time.Time) bool {
	has := func(set uint64, v int) bool { return set&(1<<uint(v)) != 0 }
	dom, dow := has(f.Dom, l.Day()), has(f.Dow, int(l.Weekday()))
	day := dom && dow
	if f.Dom&starBit == 0 && f.Dow&starBit == 0 {
		day = dom || dow
	}
	return l.Second() == 0 && has(f.Minute, l.Minute()) && has(f.Hour, l.Hour()) && has(f.Month, int(l.Month())) && day
}
