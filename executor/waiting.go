package executor

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// markWaiting makes a job that cannot start waiting, with the reason in
// its message; the message follows the reason when it changes.
func (d *dispatcher) markWaiting(ctx context.Context, j *state.Job, reason string) error {
	if j.Status == state.JobWaiting && j.Message == reason {
		return nil
	}
	// Its own variable: taking reason's address would put it on the heap
	// at every call, also the many that change nothing.
	msg := reason
	return d.update(ctx, j, state.JobUpdate{Status: state.JobWaiting, Message: &msg})
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

// watchWaiting arms a timer that reports a job still waiting to start
// after its orchestration's waiting_too_long, when a notify block of the
// job listens for it.
func (d *dispatcher) watchWaiting(r *run) {
	listens := false
	for _, n := range r.spec.Notify {
		listens = listens || spec.Hears(n.On, spec.EventWaitingTooLong)
	}
	if !listens || r.stopWaiting != nil || r.job.ParentTaskID != 0 {
		return
	}
	limit := r.spec.WaitingTooLong
	if limit <= 0 {
		limit = spec.DefaultWaitingTooLong
	}
	delay := max(r.job.CreatedAt.Add(limit.Std()).Sub(d.now()), 0)
	r.stopWaiting = d.eventAfter(delay, evWaitingTooLong, r.job.ID)
}

// stopWaitingTimer ends the waiting_too_long timer of a run that started
// or ended.
func (d *dispatcher) stopWaitingTimer(r *run) {
	if r.stopWaiting != nil {
		close(r.stopWaiting)
		r.stopWaiting = nil
	}
}

// waitingTooLong queues the waiting_too_long notification of a run that
// has still not started; the outbox keeps it to one per job and channel.
func (d *dispatcher) waitingTooLong(ctx context.Context, id state.JobID) error {
	r, ok := d.runs[id]
	if !ok || r.phase >= 0 || r.job.Status.Terminal() {
		return nil
	}
	why := r.job.Message
	if why == "" {
		why = "queued"
	}
	msg := fmt.Sprintf("the job has waited %s to start (%s)", d.now().Sub(r.job.CreatedAt).Round(time.Second), why)
	entries := d.e.outboxForEvent(ctx, r.job, r.spec, spec.EventWaitingTooLong, r.job.Status, msg, d.now())
	if err := d.e.store.AddOutbox(ctx, entries...); err != nil {
		return fmt.Errorf("queue waiting_too_long notification of job %d: %w", id, err)
	}
	return nil
}
