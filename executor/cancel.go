package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/baton-dev/baton/state"
)

// ErrTaskJob means a cancel named a task job where an orchestration job
// was expected: cancelling a task is asked for with CancelTask.
var ErrTaskJob = errors.New("the job is a task of an orchestration job")

// reasonTaskCancelled is the message of a task cancelled before it ran.
const reasonTaskCancelled = "cancelled before it started"

// CancelTask asks for one task job to end cancelled. Its orchestration job
// goes on as after any failed task: the phase finishes, later phases are
// skipped and the job ends error.
func (e *Executor) CancelTask(ctx context.Context, id state.JobID) (state.Job, error) {
	job, err := e.store.Job(ctx, id)
	if err != nil {
		return state.Job{}, fmt.Errorf("read job %d: %w", id, err)
	}
	if job.Kind != state.KindTaskJob {
		return state.Job{}, fmt.Errorf("job %d is an orchestration job, not a task; cancel it without --task", id)
	}
	if job, err = e.store.RequestCancel(ctx, id); err != nil {
		return state.Job{}, fmt.Errorf("cancel task job %d: %w", id, err)
	}
	e.notify(ctx, event{kind: evCancel, jobID: id})
	if !e.active.Load() {
		if err := e.settleCancelled(ctx); err != nil {
			return job, err
		}
		if job, err = e.store.Job(ctx, id); err != nil {
			return job, fmt.Errorf("read job %d: %w", id, err)
		}
	}
	return job, nil
}

// cancelRequestedTasks cancels the tasks asked for one by one, in runs
// that are not cancelled whole.
func (d *dispatcher) cancelRequestedTasks(ctx context.Context, active []state.Job) error {
	for _, j := range active {
		if j.Kind != state.KindTaskJob || !j.CancelRequested {
			continue
		}
		if r, ok := d.runs[j.ParentID]; ok && !r.cancelled && !r.job.CancelRequested {
			if err := d.cancelTask(ctx, r, j.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// cancelTask ends one task of a run: a running process is stopped, a task
// that did not start ends cancelled at once.
func (d *dispatcher) cancelTask(ctx context.Context, r *run, id state.JobID) error {
	for _, ph := range r.phases {
		for _, t := range ph {
			if t.job.ID != id {
				continue
			}
			switch {
			case t.status.Terminal():
			case t.child != nil:
				return d.cancel(ctx, t.child)
			case t.status == state.JobProcessing:
				d.stopTask(t, stopCancel)
			default:
				d.ready = slices.DeleteFunc(d.ready, func(x *task) bool { return x == t })
				d.line.changed()
				if err := d.setTask(ctx, t, state.JobUpdate{Status: state.JobCancelled, FinishedAt: d.now(), Message: ptr(reasonTaskCancelled)}); err != nil {
					return err
				}
				if r.phase >= 0 {
					return d.advance(ctx, r)
				}
			}
			return nil
		}
	}
	return nil
}
