package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The oracle here is ISC (Vixie) cron itself, re-enacted: its main loop in
// cron.c ticks once per real minute, compares the local clock reading with
// its "virtual time" and runs wildcard and fixed-time entries as its four
// cases say; find_jobs matches entries parsed as entry.c parses them (its
// own field parser, independent of robfig/cron). Next must fire at exactly
// the real minutes at which cron would start the line's job, around every
// 2026 and 2027 change of each zone: by an hour at 02:00 (Prague, New
// York), by 30 minutes (Lord Howe) and at midnight (Santiago, Havana).
var oracleZones = []string{"Europe/Prague", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "America/Havana"}

// oracleLines mixes fixed-time lines (ranges, lists and steps that do not
// begin with '*') with wildcard ones, and dates of real changes.
var oracleLines = []string{
	// fixed-time: single values and lists
	"30 2 * * *", "15,45 2 * * *", "0,30 1,2,3 * * *", "45 1 * * *", "0 0 * * *", "59 23 * * *", "0 1,3 * * 0",
	// fixed-time: ranges and steps not beginning with '*'
	"0 2-4 * * *", "5-10 2 * * *", "0-59/15 2 * * *", "0 1-3 * * *", "30 0-23/2 * * *", "10-50/20 1,2 * * *",
	"0 0-23 * * *", "0/20 2 * * *", "0-5,30-35 1-2 * * *", "45 0-2/1 * * *", "15 23,0-1 * * *",
	// fixed-time on the days of real changes (Prague 2026 and 2027, New York 2027)
	"0 2-4 25 10 *", "0 2-4 31 10 *", "5-10 2 29 3 *", "5-10 2 28 3 *", "0-59/10 1 7 11 *", "30 2 14 3 *",
	// days starred as ISC reads them: "*/2" stars the day of month
	"0 2 */2 * *", "30 2 */2 * 0", "30 1 1-7 * 0",
	// wildcard: the minute or the hour begins with '*'
	"*/15 * * * *", "0 * * * *", "* 2 * * *", "*/10 2 * * *", "30 */2 * * *", "5 */2 * * 0", "*/7 1-3 * * *",
	"15 * * * *", "* 0 * * *", "0-30/10 * * * *", "*,30 2 * * *",
	// descriptors
	"@hourly", "@daily", "@midnight", "@weekly",
}

func TestScheduleFiresAsISCCronMinuteByMinute(t *testing.T) {
	if len(oracleLines) < 30 {
		t.Fatalf("only %d lines", len(oracleLines))
	}
	for _, zone := range oracleZones {
		loc := mustLoad(t, zone)
		windows := changeWindows(t, loc, 2026, 2027)
		for _, line := range oracleLines {
			t.Run(zone+" "+line, func(t *testing.T) {
				e := parseEntry(t, line)
				s := mustParse(t, line, zone)
				for _, w := range windows {
					want := e.simulate(loc, w)
					got := fires(s, w.from.Add(-time.Nanosecond), w.to)
					compare(t, got, want, loc)
				}
			})
		}
	}
}

// TestOracleRunsFixedTimeRangesOnTheWallClock pins the oracle itself to the
// cases the rule is about, so a wrong oracle cannot agree with a wrong Next.
func TestOracleRunsFixedTimeRangesOnTheWallClock(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	for _, tc := range []struct {
		line     string
		from, to string
		want     []string
	}{
		// 02:00 occurs twice on 31 October 2027: a range fires at the first only.
		{"0 2-4 31 10 *", "2027-10-30T12:00:00Z", "2027-11-01T00:00:00Z",
			[]string{"2027-10-31T00:00:00Z", "2027-10-31T02:00:00Z", "2027-10-31T03:00:00Z"}},
		// 02:05-02:10 do not exist on 28 March 2027: all fire once, at the jump.
		{"5-10 2 28 3 *", "2027-03-27T12:00:00Z", "2027-03-29T00:00:00Z", []string{"2027-03-28T01:00:00Z"}},
		// The same times as a wildcard line do not exist, so never fire.
		{"*/5 2 28 3 *", "2027-03-27T12:00:00Z", "2027-03-29T00:00:00Z", nil},
		// A wildcard line fires in both passes of the repeated hour.
		{"0 */2 31 10 *", "2027-10-31T00:00:00Z", "2027-10-31T03:30:00Z",
			[]string{"2027-10-31T00:00:00Z", "2027-10-31T01:00:00Z", "2027-10-31T03:00:00Z"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			got := parseEntry(t, tc.line).simulate(prague, window{utc(tc.from), utc(tc.to)})
			var want []time.Time
			for _, w := range tc.want {
				want = append(want, utc(w))
			}
			compare(t, got, want, prague)
		})
	}
}

// entry is a crontab line as ISC's entry.c stores it: bit sets and the
// flags set from each field's first character.
type entry struct {
	minute, hour, dom, month, dow map[int]bool
	minStar, hrStar               bool
	domStar, dowStar              bool
}

// parseEntry parses a line as entry.c does (numbers, '*', ranges, lists,
// steps; robfig's "N/S" is read as "N-max/S") and the @ macros as it
// expands them.
func parseEntry(t *testing.T, line string) entry {
	t.Helper()
	macros := map[string]string{"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
		"@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"}
	if m, ok := macros[line]; ok {
		line = m
	}
	f := strings.Fields(line)
	if len(f) != 5 {
		t.Fatalf("line %q: want 5 fields", line)
	}
	var e entry
	var err error
	for i, p := range []struct {
		bits     *map[int]bool
		star     *bool
		min, max int
	}{{&e.minute, &e.minStar, 0, 59}, {&e.hour, &e.hrStar, 0, 23}, {&e.dom, &e.domStar, 1, 31}, {&e.month, new(bool), 1, 12}, {&e.dow, &e.dowStar, 0, 6}} {
		*p.star = f[i][0] == '*'
		if *p.bits, err = parseList(f[i], p.min, p.max); err != nil {
			t.Fatalf("line %q field %d: %v", line, i+1, err)
		}
	}
	return e
}

func parseList(field string, lo, hi int) (map[int]bool, error) {
	bits := map[int]bool{}
	for _, item := range strings.Split(field, ",") {
		rng, step := item, 1
		if i := strings.IndexByte(item, '/'); i >= 0 {
			var err error
			if step, err = strconv.Atoi(item[i+1:]); err != nil || step < 1 {
				return nil, fmt.Errorf("bad step in %q", item)
			}
			rng = item[:i]
		}
		from, to := lo, hi
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if from, err = strconv.Atoi(a); err != nil {
				return nil, fmt.Errorf("bad number in %q", item)
			}
			to = from
			if isRange {
				if to, err = strconv.Atoi(b); err != nil {
					return nil, fmt.Errorf("bad number in %q", item)
				}
			} else if strings.Contains(item, "/") {
				to = hi
			}
		}
		for v := from; v <= to; v += step {
			bits[v] = true
		}
	}
	return bits, nil
}

// matches is find_jobs's test on the broken-down reading of a virtual
// minute.
func (e entry) matches(r time.Time) bool {
	dom, dow := e.dom[r.Day()], e.dow[int(r.Weekday())]
	day := dom || dow
	if e.domStar || e.dowStar {
		day = dom && dow
	}
	return e.minute[r.Minute()] && e.hour[r.Hour()] && e.month[int(r.Month())] && day
}

func (e entry) wild() bool { return e.minStar || e.hrStar }

// simulate runs cron.c's main loop over the real minutes of w and returns
// those at which it would start the entry's job (once per minute, however
// many times find_jobs adds it then).
func (e entry) simulate(loc *time.Location, w window) []time.Time {
	localMinute := func(t time.Time) int64 { // clockTime = (now + GMToff) / 60
		_, off := t.In(loc).Zone()
		return (t.Unix() + int64(off)) / 60
	}
	var out []time.Time
	virtual := localMinute(w.from.Add(-time.Minute))
	for now := w.from; now.Before(w.to); now = now.Add(time.Minute) {
		running := localMinute(now)
		run := false
		find := func(vtime int64, doWild, doNonWild bool) {
			if e.matches(time.Unix(vtime*60, 0).UTC()) && (doWild && e.wild() || doNonWild && !e.wild()) {
				run = true
			}
		}
		switch diff := running - virtual; {
		case diff == 1:
			virtual = running
			find(virtual, true, true)
		case diff > 3*60 || diff < -3*60: // the clock jumped a lot
			virtual = running
			find(running, true, true)
		case diff > 5: // went to DST: wildcard now, fixed-time for every minute missed
			find(running, true, false)
			for virtual < running {
				virtual++
				find(virtual, false, true)
			}
		case diff > 0: // woke up late
			for virtual < running {
				virtual++
				find(virtual, true, true)
			}
		default: // DST ended: wildcard only; virtual time waits to be caught up
			find(running, true, false)
		}
		if run {
			out = append(out, now)
		}
	}
	return out
}

type window struct{ from, to time.Time }

// changeWindows returns two days either side of each of loc's changes in
// the given years.
func changeWindows(t *testing.T, loc *time.Location, first, last int) []window {
	var out []window
	at := time.Date(first, 1, 1, 0, 0, 0, 0, time.UTC)
	for {
		_, end := at.In(loc).ZoneBounds()
		if end.IsZero() || end.Year() > last {
			break
		}
		out = append(out, window{end.Add(-48 * time.Hour).Truncate(time.Hour), end.Add(48 * time.Hour).Truncate(time.Hour)})
		at = end
	}
	if len(out) < 2*(last-first+1) {
		t.Fatalf("%s has %d changes in %d-%d, want two a year", loc, len(out), first, last)
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
