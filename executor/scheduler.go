package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/baton-dev/baton/schedule"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// ScheduleKey names one schedule of an orchestration in the state. It
// changes when the cron or the zone changes, so an edited schedule starts
// afresh instead of firing for times of its old expression.
func ScheduleKey(s spec.Schedule, zone string) string {
	return s.Cron + " @ " + zone
}

// FireDue queues a job of every orchestration with a schedule that became
// due since it last fired: each schedule at most once, however long baton was
// down. A schedule seen for the first time only records now as its start.
// It returns the queued jobs and the next instant a schedule is due (zero
// when none is). A suspended orchestration does not fire: an instant that
// passes while it is suspended is recorded as fired, so resuming does not
// make it up.
func (e *Executor) FireDue(ctx context.Context, now time.Time) ([]state.Job, time.Time, error) {
	s, revision, err := e.applied(ctx)
	if err != nil {
		if errors.Is(err, errNothingApplied) {
			return nil, time.Time{}, nil
		}
		return nil, time.Time{}, err
	}
	now = now.UTC()
	projectZone := ""
	if s.Project != nil {
		projectZone = s.Project.Timezone
	}
	fired, err := e.store.LastFires(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	suspended, err := e.suspended(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	var queued []state.Job
	var due []submission
	var next time.Time
	// nextOf is when each orchestration is due next, for the data dirs
	// made ahead of that instant.
	nextOf := make(map[*spec.Orchestration]time.Time, len(s.Orchestrations))
	for _, o := range s.Orchestrations {
		var fires []state.ScheduleFire
		for _, sc := range o.Schedules {
			zone := sc.Zone(projectZone)
			sched, err := schedule.Parse(sc.Cron, zone)
			if err != nil {
				return queued, next, fmt.Errorf("orchestration %s: %w", o.Name, err)
			}
			key := ScheduleKey(sc, zone)
			last, ok := fired[[2]string{o.Name, key}]
			if !ok {
				last = now
				if err := e.store.RecordFire(ctx, o.Name, key, now); err != nil {
					return queued, next, fmt.Errorf("record schedule of %s: %w", o.Name, err)
				}
			}
			if at, due := schedule.Due(sched, last, now); due && suspended[o.Name] {
				if err := e.store.RecordFire(ctx, o.Name, key, at); err != nil {
					return queued, next, fmt.Errorf("record skipped schedule of suspended %s: %w", o.Name, err)
				}
				last = at
			} else if due {
				fires = append(fires, state.ScheduleFire{Orchestration: o.Name, Key: key, At: at})
				last = at
			}
			n := sched.Next(maxTime(last, now))
			if !n.IsZero() && (next.IsZero() || n.Before(next)) {
				next = n
			}
			if !n.IsZero() && !suspended[o.Name] && (nextOf[o].IsZero() || n.Before(nextOf[o])) {
				nextOf[o] = n
			}
		}
		if len(fires) > 0 {
			// Two schedules due at once make one job, not two.
			due = append(due, submission{req: Request{Orchestration: o.Name, Trigger: TriggerSchedule}, fires: fires})
		}
	}
	// The ids of the jobs are set aside while their tokens are read.
	reserved := e.reserveFor(ctx, s, due)
	if len(due) > 0 {
		names := make([]string, len(due))
		for i, sub := range due {
			names[i] = sub.req.Orchestration
		}
		by := e.unattendedBy(ctx, names, "schedule")
		for i := range due {
			due[i].req.TriggeredBy = by[due[i].req.Orchestration]
		}
	}
	// Every orchestration due now is recorded in one transaction.
	jobs, errs := e.submitWith(ctx, s, revision, due, reserved)
	e.prepareSpares(nextOf, next, s, len(due) == 0)
	for i := range due {
		if errs[i] == nil {
			queued = append(queued, jobs[i])
			at := earliestFire(due[i].fires)
			e.cfg.Logger.Info("schedule fired", "orchestration", jobs[i].Orchestration, "job", jobs[i].ID, "due", at)
			if e.cfg.Observer != nil {
				e.cfg.Observer.ScheduleFired(jobs[i], at)
			}
		}
	}
	return queued, next, errors.Join(errs...)
}

// prepareSpares asks for the data dirs of the tasks that start at next.
// With tasks of this instant about to start, they are made once those
// started; else at once.
func (e *Executor) prepareSpares(nextOf map[*spec.Orchestration]time.Time, next time.Time, s *spec.Spec, now bool) {
	var due []*spec.Orchestration
	for o, at := range nextOf {
		if at.Equal(next) {
			due = append(due, o)
		}
	}
	e.spares.prepareFor(sparesFor(due, e.maxParallel(s)), now)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// earliestFire is the due instant that made a job: the first of its fires.
func earliestFire(fires []state.ScheduleFire) time.Time {
	var at time.Time
	for _, f := range fires {
		if at.IsZero() || f.At.Before(at) {
			at = f.At
		}
	}
	return at
}

// suspended is the set of orchestrations an operator suspended.
func (e *Executor) suspended(ctx context.Context) (map[string]bool, error) {
	list, err := e.store.Suspensions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read suspended orchestrations: %w", err)
	}
	out := make(map[string]bool, len(list))
	for _, s := range list {
		out[s.Orchestration] = true
	}
	return out, nil
}
