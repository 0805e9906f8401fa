// Package schedule computes when cron schedules fire: every fire is one
// instant, exactly once per intended time across daylight-saving changes.
// It wraps robfig/cron's parser and keeps its one-method Schedule shape,
// adding Vixie cron's rule for the DST cases robfig/cron gets wrong alone.
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
// A fixed-time schedule runs on the zone's wall clock, as Vixie cron does: a
// local time that a spring-forward change skips fires right after the
// change, at its instant (several skipped times fold into that one fire); one
// that a fall-back change repeats fires once, at its first occurrence.
//
// The kind is decided as ISC cron's entry.c decides it, from the text: a
// schedule is wildcard when its minute or its hour field begins with '*'
// ("*", "*/15"; robfig's '?' counts as '*'), and fixed-time otherwise,
// ranges, lists and steps included ("0 2-4", "5-10 2", "0-59/15 2"). A
// wildcard schedule follows real time: it fires at every real instant whose
// local time matches, so "0 * * * *" fires 25 times on a fall-back day and
// 23 on a spring-forward day. Of the descriptors only @hourly is wildcard.
//
// Days follow ISC cron too: when the day-of-month or the day-of-week field
// begins with '*', a day must match both; otherwise either ("*/2" in the
// day of month is therefore starred, unlike robfig/cron alone).
//
// @every D fires at the multiples of D since the Unix epoch, whatever the
// zone, so a restart does not shift it.
func Parse(expr, timezone string) (Schedule, error) {
	cs, err := spec.ParseCron(expr)
	if err != nil {
		return nil, fmt.Errorf("parse schedule: %w", err)
	}
	loc, err := spec.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", expr, err)
	}
	switch s := cs.(type) {
	case cron.ConstantDelaySchedule:
		return every{d: s.Delay}, nil
	case *cron.SpecSchedule:
		// Both kinds match the fields against wall-clock readings carried in
		// UTC, which has no DST; they differ in how readings become instants.
		wall := *s
		wall.Location = time.UTC
		starDays(&wall, expr)
		if fixedTime(expr) {
			return wallClock{spec: &wall, loc: loc}, nil
		}
		return realTime{spec: &wall, loc: loc}, nil
	}
	return nil, fmt.Errorf("schedule %q: unsupported kind of schedule %T", expr, cs)
}

// fixedTime reports whether an expression names specific local times:
// neither its minute nor its hour field begins with '*' (see Parse).
func fixedTime(expr string) bool {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "@") {
		return expr != "@hourly" // @every never gets here
	}
	fields := strings.Fields(expr)
	return len(fields) == 5 && !starred(fields[0]) && !starred(fields[1])
}

// starred is ISC cron's test for a "*" field: its first character.
func starred(field string) bool {
	return strings.HasPrefix(field, "*") || strings.HasPrefix(field, "?")
}

// starBit is robfig/cron's mark of a starred field (bit 63 of its set,
// beyond every day); its day rule reads it as ISC reads DOM_STAR/DOW_STAR.
const starBit = 1 << 63

// starDays marks day fields that begin with '*' as starred, as ISC does;
// robfig/cron marks only "*" and "?" themselves, so "*/2" would otherwise
// turn the day rule from "both" into "either".
func starDays(s *cron.SpecSchedule, expr string) {
	fields := strings.Fields(strings.TrimSpace(expr))
	if len(fields) != 5 {
		return
	}
	if starred(fields[2]) {
		s.Dom |= starBit
	}
	if starred(fields[4]) {
		s.Dow |= starBit
	}
}

// NextN returns the next n fires after `after` (fewer if the schedule ends).
func NextN(s Schedule, after time.Time, n int) []time.Time {
	out := make([]time.Time, 0, max(n, 0))
	for len(out) < n {
		after = s.Next(after)
		if after.IsZero() {
			break
		}
		out = append(out, after)
	}
	return out
}

// Due returns the fire that should run now: the latest one in (since, now].
// since is the later of the last recorded fire and the moment the schedule
// came into force. After downtime only the most recent missed fire is due,
// never a burst, and a fire passed back as since is never due again. ok is
// false when nothing is due.
func Due(s Schedule, since, now time.Time) (fire time.Time, ok bool) {
	first := s.Next(since)
	if first.IsZero() || first.After(now) {
		return time.Time{}, false
	}
	// Look back from now over doubling windows, so a long downtime costs a
	// few dozen Next calls rather than one per missed fire.
	fire = first
	span := now.Sub(first)
	for w := time.Minute; w > 0 && w < span; w *= 2 { // w > 0 stops on overflow
		if f := s.Next(now.Add(-w)); !f.IsZero() && !f.After(now) {
			fire = f
			break
		}
	}
	for {
		n := s.Next(fire)
		if n.IsZero() || n.After(now) {
			return fire, true
		}
		fire = n
	}
}

// every fires at the multiples of d since the Unix epoch.
type every struct{ d time.Duration }

func (e every) Next(after time.Time) time.Time {
	n, d := after.UnixNano(), int64(e.d)
	floor := n - n%d
	if n%d < 0 { // before 1970 the remainder is negative
		floor -= d
	}
	return time.Unix(0, floor+d).UTC()
}

// realTime fires at every instant whose local reading matches the fields.
// Within one zone period (a stretch of constant UTC offset) readings and
// instants correspond one to one, so it searches period by period.
type realTime struct {
	spec *cron.SpecSchedule // fields matched against readings in UTC
	loc  *time.Location
}

func (r realTime) Next(after time.Time) time.Time {
	from, period := after, after // search strictly after from, in period's zone period
	for {
		local := period.In(r.loc)
		_, off := local.Zone()
		shift := time.Duration(off) * time.Second
		reading := r.spec.Next(from.UTC().Add(shift))
		if reading.IsZero() {
			return time.Time{}
		}
		end := periodEnd(local)
		if t := reading.Add(-shift); end.IsZero() || t.Before(end) {
			return t
		}
		// No match left in this period: go on in the next, from just before
		// its start, so a match at the very instant of the change counts.
		from, period = end.Add(-time.Nanosecond), end
	}
}

// wallClock fires once per matching local reading, at instant(reading).
type wallClock struct {
	spec *cron.SpecSchedule // fields matched against readings in UTC
	loc  *time.Location
}

func (w wallClock) Next(after time.Time) time.Time {
	reading := wallReading(after, w.loc)
	// instant never decreases as readings increase, and readings up to that
	// of `after` map to instants no later than `after`; so the first later
	// reading whose instant is past `after` is the next fire. The loop only
	// repeats for readings folded into an instant already past (several
	// skipped times, or the first pass of a repeated hour).
	for {
		reading = w.spec.Next(reading)
		if reading.IsZero() {
			return time.Time{}
		}
		if t := instant(reading, w.loc); t.After(after) {
			return t
		}
	}
}

// wallReading is t's local clock reading in loc, carried in UTC.
func wallReading(t time.Time, loc *time.Location) time.Time {
	_, off := t.In(loc).Zone()
	return t.UTC().Add(time.Duration(off) * time.Second)
}

// maxOffset exceeds every zone's distance from UTC (the extremes are -12h
// and +14h), so the local reading maxOffset before any instant is earlier.
const maxOffset = 15 * time.Hour

// instant is the first instant whose local reading in loc is at or after
// reading (a wall-clock reading carried in UTC). For a reading that occurs
// twice that is its first occurrence; for one that a change skips, the
// instant of the change. Zone periods are walked explicitly rather than
// trusting time.Date, whose choice in gaps and overlaps is unspecified.
func instant(reading time.Time, loc *time.Location) time.Time {
	at := reading.Add(-maxOffset)
	for {
		local := at.In(loc)
		_, off := local.Zone()
		shift := time.Duration(off) * time.Second
		if at.Add(shift).After(reading) {
			// Every earlier period read less and this one starts past
			// reading: the reading was skipped, and at is the change.
			return at.UTC()
		}
		end := periodEnd(local)
		if t := reading.Add(-shift); end.IsZero() || t.Before(end) {
			return t
		}
		at = end
	}
}

// periodEnd is the end of the zone period holding t, after t; zero if the
// period never ends. It works around golang/go#81583: on the last day of a
// leap year served by a zone's TZ rule (past its table of changes, which
// slim zone files end early), ZoneBounds puts the end a day early, before
// t. The true end there is the next New Year, which changes no offset.
func periodEnd(t time.Time) time.Time {
	_, end := t.ZoneBounds()
	for !end.IsZero() && !end.After(t) {
		end = end.Add(24 * time.Hour)
	}
	return end
}
