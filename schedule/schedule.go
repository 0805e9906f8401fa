// Package schedule computes when cron schedules fire, exactly once per
// intended time across daylight-saving changes. It wraps robfig/cron's
// parser and keeps its one-method Schedule shape, adding Vixie cron's rule
// for the two DST cases robfig/cron gets wrong on its own.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baton-dev/baton/spec"
)

// Schedule tells the first fire strictly after a time.
type Schedule interface {
	// Next returns the first fire after `after`, in UTC; zero if none.
	Next(after time.Time) time.Time
}

// Parse reads a cron expression (5 fields, or a robfig/cron descriptor such
// as @daily or @every 30s) for the IANA zone timezone ("" is UTC).
//
// A fixed-time schedule — one whose minute and hour fields hold no '*', and
// the day-level descriptors (@daily, @weekly, @monthly, @yearly) — runs on
// the zone's wall clock: a local time that a spring-forward change skips
// fires once, right after the change; one that a fall-back change repeats
// fires once, at its first occurrence. Any other schedule (a '*' in the
// minute or hour field, @hourly) follows real time: it fires at every real
// instant whose local time matches. @every is anchored on the Unix epoch.
func Parse(expr, timezone string) (Schedule, error) {
	loc, err := spec.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", expr, err)
	}
	cs, err := spec.ParseCron(expr)
	if err != nil {
		return nil, err
	}
	switch s := cs.(type) {
	case cron.ConstantDelaySchedule:
		return every{d: s.Delay}, nil
	case *cron.SpecSchedule:
		if fixedTime(expr) {
			wall := *s
			wall.Location = time.UTC
			return wallClock{spec: &wall, loc: loc}, nil
		}
		real := *s
		real.Location = loc
		return realTime{spec: &real}, nil
	}
	return nil, fmt.Errorf("schedule %q: unsupported kind %T", expr, cs)
}

// fixedTime reports whether expr names specific local times (Vixie cron's
// distinction): no '*' in the minute or hour field.
func fixedTime(expr string) bool {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "@") {
		return expr != "@hourly"
	}
	fields := strings.Fields(expr)
	return len(fields) >= 2 && !strings.Contains(fields[0], "*") && !strings.Contains(fields[1], "*")
}

// NextN returns the next n fires after `after`.
func NextN(s Schedule, after time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for len(out) < n {
		after = s.Next(after)
		if after.IsZero() {
			break
		}
		out = append(out, after)
	}
	return out
}

// Due returns the latest fire in (since, now]: after downtime only the most
// recent missed fire runs, never a burst. ok is false when none is due.
func Due(s Schedule, since, now time.Time) (fire time.Time, ok bool) {
	if e, isEvery := s.(every); isEvery {
		last := e.floor(now)
		return last, last.After(since)
	}
	t := s.Next(since)
	if t.IsZero() || t.After(now) {
		return time.Time{}, false
	}
	for {
		n := s.Next(t)
		if n.IsZero() || n.After(now) {
			return t, true
		}
		t = n
	}
}

// every fires at the multiples of d since the Unix epoch, so restarts and
// zones do not shift it.
type every struct{ d time.Duration }

func (e every) floor(t time.Time) time.Time {
	n := t.UnixNano()
	return time.Unix(0, n-n%int64(e.d)).UTC()
}

func (e every) Next(after time.Time) time.Time { return e.floor(after).Add(e.d) }

// realTime is robfig/cron evaluated in the zone: right for schedules that
// follow real time.
type realTime struct{ spec *cron.SpecSchedule }

func (r realTime) Next(after time.Time) time.Time {
	t := r.spec.Next(after)
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// wallClock evaluates the expression on wall-clock fields (in UTC, which has
// no DST) and maps each wall time to one instant of the zone.
type wallClock struct {
	spec *cron.SpecSchedule
	loc  *time.Location
}

func (w wallClock) Next(after time.Time) time.Time {
	wall := asWall(after.In(w.loc))
	for i := 0; i < 1000; i++ {
		wall = w.spec.Next(wall)
		if wall.IsZero() {
			return time.Time{}
		}
		if t := instant(wall, w.loc); t.After(after) {
			return t.UTC()
		}
		// The first occurrence of a repeated time, or the change instant
		// of several skipped times, is already past: look further.
	}
	return time.Time{}
}

// asWall carries the clock reading of t into UTC.
func asWall(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// instant is the one instant a wall time means in loc: the first of two
// when a fall-back change repeats it, the moment of the change when a
// spring-forward change skips it.
func instant(wall time.Time, loc *time.Location) time.Time {
	before := offsetAt(wall.Add(-26*time.Hour), loc)
	after := offsetAt(wall.Add(26*time.Hour), loc)
	var found []time.Time
	for _, off := range []int{before, after} {
		t := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if asWall(t).Equal(wall) {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 2 && found[1].Before(found[0]):
		return found[1]
	case len(found) > 0:
		return found[0]
	}
	// Skipped: the reading with the earlier offset lands after the change;
	// the zone period it falls in starts at the change.
	t := wall.Add(-time.Duration(before) * time.Second).In(loc)
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t
	}
	return start
}

func offsetAt(wall time.Time, loc *time.Location) int {
	_, off := wall.In(loc).Zone()
	return off
}
