package executor

import (
	"context"
	"encoding/json"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// ManualChannel names the outbox channel of the person who started a
// manual run.
const ManualChannel = "manual"

// eventOf is the notify event of a job's final status.
func eventOf(status state.JobStatus) (spec.Event, bool) {
	switch status {
	case state.JobSuccess:
		return spec.EventSuccess, true
	case state.JobWarning:
		return spec.EventWarning, true
	case state.JobError:
		return spec.EventError, true
	case state.JobCancelled:
		return spec.EventCancelled, true
	case state.JobTerminated:
		return spec.EventTerminated, true
	}
	return "", false
}

// outboxFor lists the notifications of a job that ends with status, by the
// manual's rule: an unattended run (schedule, event) notifies the channels
// of its orchestration's notify blocks; a run a person started notifies only
// that person, whatever the settings. They are stored with the job's final
// status, in the same transaction.
func (e *Executor) outboxFor(ctx context.Context, job state.Job, runSpec RunSpec, status state.JobStatus, msg string, now time.Time) []state.OutboxEntry {
	event, ok := eventOf(status)
	if !ok {
		return nil
	}
	return e.outboxForEvent(ctx, job, runSpec, event, status, msg, now)
}

func (e *Executor) outboxForEvent(ctx context.Context, job state.Job, runSpec RunSpec, event spec.Event, status state.JobStatus, msg string, now time.Time) []state.OutboxEntry {
	if job.ParentTaskID != 0 {
		return nil // a nested run reports through its parent
	}
	payload, err := json.Marshal(state.Notification{
		Event: event, Orchestration: job.Orchestration, JobID: job.ID, Status: status, Trigger: job.Trigger,
		TriggeredBy: job.TriggeredBy, Message: msg, StartedAt: job.StartedAt, FinishedAt: now,
	})
	if err != nil {
		e.cfg.Logger.Error("encode notification", "job", job.ID, "error", err)
		return nil
	}
	entry := func(channel, target string) state.OutboxEntry {
		return state.OutboxEntry{JobID: job.ID, Channel: channel, Target: target, Event: string(event), Payload: payload, CreatedAt: now}
	}
	if job.Trigger != TriggerSchedule && job.Trigger != TriggerEvent {
		if job.NotifyTo == "" {
			return nil
		}
		return []state.OutboxEntry{entry(ManualChannel, "mailto:"+job.NotifyTo)}
	}
	s, _, err := e.applied(ctx)
	if err != nil {
		e.cfg.Logger.Error("read notification channels", "job", job.ID, "error", err)
		return nil
	}
	channels := map[string]*spec.Notification{}
	for _, n := range s.Notifications {
		channels[n.Name] = n
	}
	var out []state.OutboxEntry
	for _, n := range runSpec.Notify {
		if !spec.Hears(n.On, event) {
			continue
		}
		for _, name := range n.To {
			ch := channels[name]
			if ch == nil {
				e.cfg.Logger.Warn("notification channel is no longer applied", "channel", name, "job", job.ID)
				continue
			}
			for _, addr := range ch.Email {
				out = append(out, entry(name, "mailto:"+addr))
			}
			if ch.Webhook != "" {
				out = append(out, entry(name, ch.Webhook))
			}
		}
	}
	return out
}

// longRunningAfter is when a job counts as long running by the
// orchestration's threshold, or 0 when it has none: a percentage needs an
// average of successful runs to compare with.
func (e *Executor) longRunningAfter(ctx context.Context, orchestration string, threshold spec.Threshold) time.Duration {
	if threshold.IsZero() {
		threshold = spec.DefaultLongRunning
	}
	if threshold.Percent == 0 {
		return threshold.After(0)
	}
	ds, err := e.store.LastSuccessfulDurations(ctx, orchestration, 10)
	if err != nil || len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return threshold.After(sum / time.Duration(len(ds)))
}
