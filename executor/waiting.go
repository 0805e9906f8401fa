package executor

import (
	"context"
	"fmt"

	"github.com/baton-dev/baton/state"
)

// markWaiting makes a job that cannot start waiting, with the reason in
// its message; the message follows the reason when it changes.
func (d *dispatcher) markWaiting(ctx context.Context, j *state.Job, reason string) error {
	if j.Status == state.JobWaiting && j.Message == reason {
		return nil
	}
	return d.update(ctx, j, state.JobUpdate{Status: state.JobWaiting, Message: &reason})
}

// runWaitReason says why an orchestration job waits: another job of the
// orchestration holds it, or the executor is stopping.
func (d *dispatcher) runWaitReason(holder state.JobID, busy bool) string {
	if !busy {
		return "waiting: the executor is stopping; the job runs when it starts again"
	}
	return fmt.Sprintf("waiting for job %d of the orchestration to end: an orchestration does not run in parallel with itself", holder)
}

// taskWaitReason says why a task waits: a job of its configuration runs,
// every process slot is taken, or the executor is stopping.
func (d *dispatcher) taskWaitReason(t *task, holder state.JobID, busy bool) string {
	switch {
	case busy:
		of := ""
		if h := d.running[holder]; h != nil {
			of = fmt.Sprintf(" (task %q of job %d)", h.job.Task, h.run.job.ID)
		}
		return fmt.Sprintf("waiting for job %d%s to end: jobs of configuration %q run one at a time", holder, of, t.job.Configuration)
	case d.procs >= d.limit:
		// Every waiting task of a wide phase gets this reason in every
		// round: format it once per count, not once per task and round.
		if d.slotReason == "" || d.slotReasonProcs != d.procs {
			d.slotReason = fmt.Sprintf("waiting for a free slot: %d task processes are running (the parallel limit, max_parallel_jobs)", d.procs)
			d.slotReasonProcs = d.procs
		}
		return d.slotReason
	}
	return "waiting: the executor is stopping; the task runs when it starts again"
}
