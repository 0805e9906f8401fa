package schedule

import (
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baton-dev/baton/spec"
)

// FixedTime reports whether expr names specific local times, which follow
// the wall clock across DST changes (see Parse); other schedules follow
// real time.
func FixedTime(expr string) bool { return fixedTime(expr) }

// DaysORed reports whether expr restricts both the day of month and the
// day of week: cron then fires on days that match either, not both.
func DaysORed(expr string) bool {
	fields := strings.Fields(strings.TrimSpace(expr))
	return len(fields) == 5 && !starred(fields[2]) && !starred(fields[4])
}

// Readings returns the local clock readings in [from, to) that expr's
// fields match, at most limit of them. Readings are wall-clock times
// carried in UTC, as DST changes are found by comparing them.
func Readings(expr string, from, to time.Time, limit int) []time.Time {
	cs, err := spec.ParseCron(expr)
	if err != nil {
		return nil
	}
	s, ok := cs.(*cron.SpecSchedule)
	if !ok {
		return nil
	}
	wall := *s
	wall.Location = time.UTC
	starDays(&wall, expr)
	var out []time.Time
	for r := wall.Next(from.Add(-time.Second)); !r.IsZero() && r.Before(to) && len(out) < limit; r = wall.Next(r) {
		out = append(out, r)
	}
	return out
}
