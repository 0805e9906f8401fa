package ui

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/baton-dev/baton/schedule"
	"github.com/baton-dev/baton/spec"
)

const (
	weekDays = 7
	// maxWeekFires bounds the fires listed per orchestration (an every-
	// minute schedule fires 10,080 times a week).
	maxWeekFires = 200
	// recentRuns is how many successful jobs the expected duration is the
	// median of.
	recentRuns = 20
)

// weekFire is one predicted run of the week ahead.
type weekFire struct {
	Orchestration string
	At            time.Time
	Expected      time.Duration
	// Known is false when no successful job gives an expected duration.
	Known bool
	// Waits names the runs this one would share a configuration with.
	Waits []string
	X, W  float64
	Lane  int
}

type weekDay struct {
	Date   time.Time
	Fires  []*weekFire
	Lanes  int
	Height float64
}

type weekData struct {
	Zone      string
	Days      []weekDay
	Truncated []string
}

// median is the p50 of durations.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// serialKeys are the configurations a run takes (its orchestration is one).
func serialKeys(o *spec.Orchestration) []string {
	keys := []string{"orchestration " + o.Name}
	for _, ph := range o.Phases {
		for _, t := range ph.Tasks {
			if !t.Enabled {
				continue
			}
			if t.Configuration != "" {
				keys = append(keys, "configuration "+t.Configuration)
			} else if t.Orchestration != "" {
				keys = append(keys, "orchestration "+t.Orchestration)
			}
		}
	}
	return keys
}

func (u *UI) weekAhead(ctx context.Context, sp *spec.Spec, orchs []*spec.Orchestration, now time.Time) (weekData, error) {
	zone := projectZone(sp)
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc, zone = time.UTC, "UTC"
	}
	d := weekData{Zone: zone}
	start := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	end := start.AddDate(0, 0, weekDays)
	keys := map[string][]string{}
	var fires []*weekFire
	for _, o := range orchs {
		if len(o.Schedules) == 0 {
			continue
		}
		keys[o.Name] = serialKeys(o)
		durs, err := u.cfg.Store.LastSuccessfulDurations(ctx, o.Name, recentRuns)
		if err != nil {
			return d, err
		}
		exp := median(durs)
		var times []time.Time
		for _, sc := range o.Schedules {
			sched, err := schedule.Parse(sc.Cron, sc.Zone(projectZone(sp)))
			if err != nil {
				continue
			}
			for at := sched.Next(now); !at.IsZero() && at.Before(end); at = sched.Next(at) {
				if len(times) >= maxWeekFires {
					d.Truncated = append(d.Truncated, o.Name)
					break
				}
				times = append(times, at)
			}
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		times = slices.Compact(times)
		for _, at := range times {
			fires = append(fires, &weekFire{Orchestration: o.Name, At: at.UTC(), Expected: exp, Known: len(durs) > 0})
		}
	}
	sort.SliceStable(fires, func(i, j int) bool { return fires[i].At.Before(fires[j].At) })
	markWaits(fires, keys)
	for i := range weekDays {
		day := weekDay{Date: start.AddDate(0, 0, i)}
		next := start.AddDate(0, 0, i+1)
		for _, f := range fires {
			if !f.At.Before(day.Date) && f.At.Before(next) {
				day.Fires = append(day.Fires, f)
			}
		}
		layoutDay(&day, next.Sub(day.Date))
		d.Days = append(d.Days, day)
	}
	return d, nil
}

// markWaits notes every pair of runs whose expected intervals overlap while
// they take a configuration in common: one of them would wait.
func markWaits(fires []*weekFire, keys map[string][]string) {
	for i, a := range fires {
		aEnd := a.At.Add(max(a.Expected, time.Minute))
		for _, b := range fires[i+1:] {
			if !b.At.Before(aEnd) {
				break
			}
			for _, k := range keys[a.Orchestration] {
				if slices.Contains(keys[b.Orchestration], k) {
					a.Waits = append(a.Waits, b.Orchestration+" at "+b.At.Format("15:04 UTC")+" ("+k+")")
					b.Waits = append(b.Waits, a.Orchestration+" at "+a.At.Format("15:04 UTC")+" ("+k+")")
					break
				}
			}
		}
	}
}

// layoutDay places a day's runs on a 24-hour axis, in lanes so that
// overlapping runs do not cover each other.
func layoutDay(day *weekDay, length time.Duration) {
	const left, width = 0.0, 1000.0
	var laneEnd []time.Time
	for _, f := range day.Fires {
		end := f.At.Add(max(f.Expected, time.Minute))
		lane := slices.IndexFunc(laneEnd, func(t time.Time) bool { return !t.After(f.At) })
		if lane < 0 {
			lane = len(laneEnd)
			laneEnd = append(laneEnd, end)
		} else {
			laneEnd[lane] = end
		}
		f.Lane = lane
		f.X = left + width*float64(f.At.Sub(day.Date))/float64(length)
		f.W = max(width*float64(end.Sub(f.At))/float64(length), 2)
	}
	day.Lanes = max(len(laneEnd), 1)
	day.Height = 20 + float64(day.Lanes)*16
}

func (u *UI) weekPage(w http.ResponseWriter, r *http.Request, s *session) {
	sp, err := u.appliedSpec(r.Context())
	if err != nil {
		u.internal(w, err)
		return
	}
	d, err := u.weekAhead(r.Context(), sp, visibleOrchestrations(sp, s), u.cfg.Clock.Now().UTC())
	if err != nil {
		u.internal(w, err)
		return
	}
	u.render(w, r, http.StatusOK, "week", page{Title: "Week ahead", Nav: "week", Session: s, Data: d})
}
