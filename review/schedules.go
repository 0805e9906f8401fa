package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/schedule"
	"github.com/baton-dev/baton/spec"
)

// lookAhead is how far the DST check looks.
const lookAhead = 366 * 24 * time.Hour

// previewFires is how many next fires a finding shows.
const previewFires = 5

// sched is one schedule of the head, with what it replaces.
type sched struct {
	orch   *spec.Orchestration
	index  int
	s      spec.Schedule
	zone   string
	before *spec.Schedule // the schedule at the same place in the base
	bZone  string
}

func (x sched) what() string {
	return fmt.Sprintf("orchestration %q schedule[%d] %q in %s", x.orch.Name, x.index, x.s.Cron, x.zone)
}

// changed reports whether the schedule is new or differs from its base.
func (x sched) changed() bool {
	return x.before == nil || x.before.Cron != x.s.Cron || x.bZone != x.zone
}

// schedules lists the head's schedules that parse, each with its base.
func (in *Input) schedules() []sched {
	var out []sched
	for _, o := range in.Head.Orchestrations {
		var bs []spec.Schedule
		if in.Base != nil {
			if b := in.orchestration(in.Base, o.Name); b != nil {
				bs = b.Schedules
			}
		}
		for i, s := range o.Schedules {
			x := sched{orch: o, index: i, s: s, zone: s.Zone(projectZone(in.Head))}
			if i < len(bs) {
				x.before, x.bZone = &bs[i], bs[i].Zone(projectZone(in.Base))
			}
			if _, err := schedule.Parse(s.Cron, x.zone); err == nil {
				out = append(out, x)
			}
		}
	}
	return out
}

// neverFires: a schedule no date matches ("0 0 30 2 *") is an error.
func neverFires(_ context.Context, in *Input) finding.List {
	var out finding.List
	for _, x := range in.schedules() {
		s, _ := schedule.Parse(x.s.Cron, x.zone)
		if s.Next(in.Now).IsZero() {
			out = append(out, fail(x.s.FieldPos("cron"), "check the day of month against the month (February has no 30th) and the day of week",
				x.what()+" never fires: no date matches it"))
		}
	}
	return out
}

// dstChange: a fixed-time schedule whose local time a DST change in the
// next 12 months skips or repeats. baton fires it once either way; the
// finding says when.
func dstChange(_ context.Context, in *Input) finding.List {
	var out finding.List
	for _, x := range in.schedules() {
		if !schedule.FixedTime(x.s.Cron) || !x.changed() && !in.touched(x.orch) {
			continue
		}
		loc, err := spec.LoadLocation(x.zone)
		if err != nil {
			continue
		}
		for _, ch := range zoneChanges(loc, in.Now, in.Now.Add(lookAhead)) {
			if f, ok := dstFinding(x, loc, ch); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// zoneChange is an instant where a zone's UTC offset changes.
type zoneChange struct {
	at       time.Time
	from, to time.Duration // offsets before and after
}

func zoneChanges(loc *time.Location, from, to time.Time) []zoneChange {
	var out []zoneChange
	t := from
	for {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			return out
		}
		if !end.After(t) { // golang/go#81583: a bound a day early
			t = t.Add(24 * time.Hour)
			continue
		}
		_, before := end.Add(-time.Second).In(loc).Zone()
		_, after := end.In(loc).Zone()
		if before != after {
			out = append(out, zoneChange{at: end.UTC(), from: time.Duration(before) * time.Second, to: time.Duration(after) * time.Second})
		}
		t = end
	}
}

func dstFinding(x sched, loc *time.Location, ch zoneChange) (finding.Finding, bool) {
	// Wall-clock readings carried in UTC: a spring-forward change skips
	// [at+from, at+to), a fall-back one repeats [at+to, at+from).
	lo, hi := ch.at.Add(ch.from), ch.at.Add(ch.to)
	gap := ch.to > ch.from
	if !gap {
		lo, hi = hi, lo
	}
	hits := schedule.Readings(x.s.Cron, lo, hi, 10)
	if len(hits) == 0 {
		return finding.Finding{}, false
	}
	day := hits[0].Format("Mon 2006-01-02")
	times := make([]string, len(hits))
	for i, r := range hits {
		times[i] = r.Format("15:04")
	}
	local := strings.Join(times, ", ")
	if gap {
		msg := fmt.Sprintf("%s: %s on %s does not exist (clocks go from %s to %s); baton fires it once, at %s (%s UTC)",
			x.what(), local, day, lo.Format("15:04"), hi.Format("15:04"), ch.at.In(loc).Format("15:04 MST"), ch.at.UTC().Format("15:04"))
		return warn(x.s.FieldPos("cron"), "to fire at a time that always exists, move it out of "+lo.Format("15:04")+"-"+hi.Format("15:04")+" or use a zone without DST such as UTC", msg), true
	}
	first := hits[0].Add(-ch.from) // a reading's first occurrence is in the old offset
	msg := fmt.Sprintf("%s: %s on %s happens twice (clocks go back from %s to %s); baton fires it once, at the first (%s UTC)",
		x.what(), local, day, hi.Format("15:04"), lo.Format("15:04"), first.UTC().Format("15:04"))
	return warn(x.s.FieldPos("cron"), "to fire at a time that happens once, move it out of "+lo.Format("15:04")+"-"+hi.Format("15:04")+" or use a zone without DST such as UTC", msg), true
}

// timezoneShift: a schedule whose zone changed (its own or the project's
// default) fires at other instants; the finding shows the shift in UTC.
func timezoneShift(_ context.Context, in *Input) finding.List {
	var out finding.List
	for _, x := range in.schedules() {
		if x.before == nil || x.bZone == x.zone {
			continue
		}
		bs, err := schedule.Parse(x.before.Cron, x.bZone)
		if err != nil {
			continue
		}
		as, _ := schedule.Parse(x.s.Cron, x.zone)
		b, a := bs.Next(in.Now), as.Next(in.Now)
		if b.IsZero() || a.IsZero() {
			continue
		}
		msg := fmt.Sprintf("%s: the time zone changes from %s to %s; the next fire moves from %s to %s",
			x.what(), x.bZone, x.zone, fire(b, x.bZone), fire(a, x.zone))
		if x.before.Cron == x.s.Cron {
			_, bo := a.In(mustZone(x.bZone)).Zone()
			_, ao := a.In(mustZone(x.zone)).Zone()
			msg += fmt.Sprintf(": every fire shifts by %s in UTC", signed(time.Duration(bo-ao)*time.Second))
		}
		hint := "check that consumers of its outputs expect the new times"
		if x.s.Timezone == "" {
			hint = "the project's default time zone changed; set timezone in the schedule to keep its old times"
		}
		out = append(out, warn(x.s.FieldPos("cron"), hint, msg))
	}
	return out
}

// daysORed: cron fires when the day of month OR the day of week matches,
// when both are restricted; most readers expect AND.
func daysORed(_ context.Context, in *Input) finding.List {
	var out finding.List
	for _, x := range in.schedules() {
		if !schedule.DaysORed(x.s.Cron) || !x.changed() && !in.touched(x.orch) {
			continue
		}
		s, _ := schedule.Parse(x.s.Cron, x.zone)
		next := schedule.NextN(s, in.Now, previewFires)
		fires := make([]string, len(next))
		for i, t := range next {
			fires[i] = fire(t, x.zone)
		}
		fields := strings.Fields(x.s.Cron)
		out = append(out, warn(x.s.FieldPos("cron"),
			"cron reads both day fields as OR; to fire only on days matching both, restrict one field and let the task check the other",
			fmt.Sprintf("%s restricts both day of month (%s) and day of week (%s): it fires on days matching either; next fires: %s",
				x.what(), fields[2], fields[4], strings.Join(fires, ", "))))
	}
	return out
}

// minSuccessfulJobs is how many successful jobs the history check needs
// before it trusts a p95.
const minSuccessfulJobs = 3

// overlapHistory: a schedule that fires more often than the orchestration's
// recent successful jobs take (their p95) makes runs wait and clog the
// project, as the manual warns.
func overlapHistory(ctx context.Context, in *Input) finding.List {
	if in.History == nil {
		return nil
	}
	var out finding.List
	for _, x := range in.schedules() {
		if !x.changed() && !in.touched(x.orch) {
			continue
		}
		durs, err := in.History.SuccessfulDurations(ctx, x.orch.Name)
		if err != nil || len(durs) < minSuccessfulJobs {
			continue
		}
		s, _ := schedule.Parse(x.s.Cron, x.zone)
		interval := shortestInterval(schedule.NextN(s, in.Now, 25))
		p95 := percentile(durs, 0.95)
		if interval <= 0 || interval >= p95 {
			continue
		}
		out = append(out, warn(x.s.FieldPos("cron"),
			`lengthen the interval or speed the jobs up; on_overlap = "skip" drops runs instead of queueing them`,
			fmt.Sprintf("%s fires every %s, but the p95 duration of its last %d successful jobs is %s: runs will wait and clog the project",
				x.what(), interval, len(durs), p95.Round(time.Second))))
	}
	return out
}

func shortestInterval(fires []time.Time) time.Duration {
	var min time.Duration
	for i := 1; i < len(fires); i++ {
		if d := fires[i].Sub(fires[i-1]); min == 0 || d < min {
			min = d
		}
	}
	return min
}

// percentile is the nearest-rank percentile p of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func mustZone(name string) *time.Location {
	loc, err := spec.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// fire shows an instant in a schedule's zone and in UTC.
func fire(t time.Time, zone string) string {
	if zone == "UTC" {
		return t.UTC().Format("Mon 2006-01-02 15:04 MST")
	}
	return fmt.Sprintf("%s (%s UTC)", t.In(mustZone(zone)).Format("Mon 2006-01-02 15:04 MST"), t.UTC().Format("15:04"))
}

// signed shows a zone shift as "+6h" or "-5h30m".
func signed(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	s := strings.TrimSuffix(d.String(), "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		s = "0h"
	}
	return sign + s
}
