package controller

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/reconciler"
	"github.com/baton-dev/baton/state"
)

// OnceOptions say what Once does beside reconciling.
type OnceOptions struct {
	Apply reconciler.ApplyOptions
	// Run queues these runs after the apply.
	Run []executor.Request
}

// OnceResult is what Once did.
type OnceResult struct {
	// Apply is the apply's outcome; ApplyErr says why the revision was not
	// applied (the last good one stays in force and the queue still runs).
	Apply    *reconciler.Result
	ApplyErr error
	// Ended are the top-level jobs that ended, with their tasks.
	Ended []state.Job
}

// maxTriggerRounds bounds how often Once runs the queue again for event
// triggers that jobs' output tables satisfied.
const maxTriggerRounds = 10

// Once reconciles once and runs the queue empty: apply the source's
// revision, queue the requested runs, fire every schedule due since the
// last reconcile and every satisfied event trigger, run until idle (again
// while jobs' outputs satisfy further triggers), and deliver the
// notifications. It reports each step to Progress. An error means the
// state could not be worked with; a refused revision is in the result.
func (w *Controller) Once(ctx context.Context, opts OnceOptions) (OnceResult, error) {
	w.defaults()
	var res OnceResult
	if err := w.applyOnce(ctx, opts.Apply, &res); err != nil {
		return res, err
	}
	for _, req := range opts.Run {
		job, err := w.Executor.Submit(ctx, req)
		if err != nil {
			return res, err
		}
		w.progress("queued job %d of %s", job.ID, req.Orchestration)
	}
	ended, err := w.runQueue(ctx)
	if err != nil {
		return res, err
	}
	// What fails to send stays in the outbox for the next reconcile or
	// watcher.
	if w.Notifier != nil {
		if err := w.Notifier.SendPending(ctx); err != nil {
			w.progress("send notifications: %v", err)
		}
	}
	for _, j := range ended {
		full, err := w.Reconciler.Store.Job(ctx, j.ID)
		if err != nil {
			return res, err
		}
		res.Ended = append(res.Ended, full)
	}
	return res, nil
}

func (w *Controller) applyOnce(ctx context.Context, opts reconciler.ApplyOptions, res *OnceResult) error {
	applied, err := w.Reconciler.Apply(ctx, opts)
	res.Apply, res.ApplyErr = applied, err
	switch {
	case err != nil:
		if applied != nil && applied.Plan != nil && errors.Is(err, reconciler.ErrInvalidRevision) && w.Progress != nil {
			applied.Plan.Diagnostics.WriteText(w.Progress)
		}
		w.progress("%v", err)
	case applied.Applied:
		c, u, d := applied.Plan.Counts()
		w.progress("applied revision %s (%d created, %d updated, %d deleted)", reconciler.ShortRef(applied.Revision.Ref), c, u, d)
		if w.AfterApply != nil {
			if err := w.AfterApply(ctx); err != nil {
				return fmt.Errorf("after applying revision %s: %w", reconciler.ShortRef(applied.Revision.Ref), err)
			}
		}
	default:
		w.progress("revision %s is already applied", reconciler.ShortRef(applied.Plan.Revision.Ref))
	}
	return nil
}

// runQueue fires what is due and runs the queue empty; a job's output
// tables may satisfy further event triggers, which run in the next round.
func (w *Controller) runQueue(ctx context.Context) ([]state.Job, error) {
	watched, err := WatchedTables(ctx, w.Reconciler.Store)
	if err != nil {
		return nil, fmt.Errorf("read watched tables: %w", err)
	}
	if err := RecordStaleWatchedTables(ctx, w.Reconciler.Store, watched); err != nil {
		return nil, fmt.Errorf("record watched tables: %w", err)
	}
	fired, _, err := w.Executor.FireDue(ctx, w.Clock.Now())
	if err != nil {
		return nil, err
	}
	for _, j := range fired {
		w.progress("schedule fired job %d of %s", j.ID, j.Orchestration)
	}
	var ended []state.Job
	for round := 0; round < maxTriggerRounds; round++ {
		triggered, err := w.Executor.FireTriggers(ctx, w.Clock.Now())
		if err != nil {
			return ended, err
		}
		for _, j := range triggered {
			w.progress("event trigger fired job %d of %s", j.ID, j.Orchestration)
		}
		if round > 0 && len(triggered) == 0 {
			break
		}
		e, err := w.Executor.Run(ctx, executor.RunOptions{UntilIdle: true, Grace: w.Grace})
		ended = append(ended, e...)
		if err != nil || ctx.Err() != nil {
			return ended, err
		}
	}
	return ended, nil
}

// progress writes one line of what Once does.
func (w *Controller) progress(format string, args ...any) {
	if w.Progress != nil {
		fmt.Fprintf(w.Progress, "baton: "+format+"\n", args...)
	}
}
