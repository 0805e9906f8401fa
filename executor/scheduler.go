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
// when none is).
func (e *Executor) FireDue(ctx context.Context, now time.Time) ([]state.Job, time.Time, error) {
	s, _, err := e.applied(ctx)
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
	var queued []state.Job
	var due []submission
	var next time.Time
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
			if at, due := schedule.Due(sched, last, now); due {
				fires = append(fires, state.ScheduleFire{Orchestration: o.Name, Key: key, At: at})
				last = at
			}
			if n := sched.Next(maxTime(last, now)); !n.IsZero() && (next.IsZero() || n.Before(next)) {
				next = n
			}
		}
		if len(fires) > 0 {
			// Two schedules due at once make one job, not two.
			due = append(due, submission{req: Request{Orchestration: o.Name, Trigger: TriggerSchedule, TriggeredBy: "schedule"}, fires: fires})
		}
	}
	// Every orchestration due now is recorded in one transaction.
	jobs, errs := e.submitMany(ctx, due)
	for i := range due {
		if errs[i] == nil {
			queued = append(queued, jobs[i])
		}
	}
	return queued, next, errors.Join(errs...)
}

// FireTriggers queues a job of every orchestration whose trigger is
// satisfied: every one of its tables was updated after its last triggered
// execution plus the cool-down (updates within the cool-down are ignored).
func (e *Executor) FireTriggers(ctx context.Context, now time.Time) ([]state.Job, error) {
	s, _, err := e.applied(ctx)
	if err != nil {
		if errors.Is(err, errNothingApplied) {
			return nil, nil
		}
		return nil, err
	}
	var queued []state.Job
	for _, o := range s.Orchestrations {
		if o.Trigger == nil || len(o.Trigger.Tables) == 0 {
			continue
		}
		last, _, err := e.store.LastTriggerRun(ctx, o.Name)
		if err != nil {
			return queued, fmt.Errorf("read last triggered run of %s: %w", o.Name, err)
		}
		updated, err := e.store.TableUpdatedAt(ctx, o.Trigger.Tables)
		if err != nil {
			return queued, fmt.Errorf("read table updates of %s: %w", o.Name, err)
		}
		if !TriggerSatisfied(o.Trigger, updated, last) {
			continue
		}
		if err := e.store.RecordTriggerRun(ctx, o.Name, now.UTC()); err != nil {
			return queued, fmt.Errorf("record triggered run of %s: %w", o.Name, err)
		}
		job, err := e.Submit(ctx, Request{Orchestration: o.Name, Trigger: TriggerEvent, TriggeredBy: "tables"})
		if err != nil {
			return queued, err
		}
		queued = append(queued, job)
	}
	return queued, nil
}

// TriggerSatisfied is the manual's rule: every table was updated after the
// last execution, and updates within the cool-down after that execution do
// not count. A trigger that never ran counts every update.
func TriggerSatisfied(t *spec.Trigger, updated map[string]time.Time, lastRun time.Time) bool {
	threshold := lastRun
	if !lastRun.IsZero() {
		threshold = lastRun.Add(t.Cooldown.Std())
	}
	for _, table := range t.Tables {
		at, ok := updated[table]
		if !ok || !at.After(threshold) {
			return false
		}
	}
	return true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
