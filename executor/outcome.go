package executor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// advance moves a run to its next phase when the current one has ended,
// and finishes it after the last phase or a failure.
func (d *dispatcher) advance(ctx context.Context, r *run) error {
	for {
		if r.phase >= 0 {
			for _, t := range r.phases[r.phase] {
				if !t.status.Terminal() {
					return nil // the phase is still running
				}
			}
			d.judgePhase(r)
			if r.failed || r.cancelled || r.stopped || r.phase == len(r.phases)-1 {
				return d.finish(ctx, r)
			}
			if d.draining {
				if d.cl != nil && d.cl.handover {
					// The next leader takes the job over and starts
					// its next phase.
					return nil
				}
				// Nothing new starts while the executor stops; the job
				// ends here rather than hang half-done.
				r.stopped = true
				return d.finish(ctx, r)
			}
		}
		r.phase++
		if r.phase >= len(r.phases) {
			return d.finish(ctx, r)
		}
		for _, t := range r.phases[r.phase] {
			if t.status == state.JobCreated {
				d.ready = append(d.ready, t)
			}
		}
		d.line.changed()
	}
}

// judgePhase folds the outcome of the ended phase into the run's.
func (d *dispatcher) judgePhase(r *run) {
	for _, t := range r.phases[r.phase] {
		switch t.status {
		case state.JobError, state.JobTerminated, state.JobCancelled:
			if t.stopReason == stopShutdown {
				r.stopped = true
			}
			if t.spec.ContinueOnFailure && t.status != state.JobCancelled {
				r.warned = true
				continue
			}
			r.failed = true
			if t.status == state.JobTerminated {
				r.terminated = true
			}
			if r.failure == "" {
				r.failure = fmt.Sprintf("task %q of phase %q ended %s", t.job.Task, t.job.Phase, t.status)
			}
		case state.JobWarning:
			r.warned = true
		}
	}
}

// finish ends a run: tasks that never ran are skipped with the reason, the
// job gets its final status, and the task that ran it, if any, takes it.
func (d *dispatcher) finish(ctx context.Context, r *run) error {
	status, msg, reason := state.JobSuccess, "", reasonPhaseFailed
	switch {
	case r.cancelled:
		status, msg, reason = state.JobCancelled, "cancelled", reasonCancelled
	case r.stopped:
		status, msg, reason = state.JobTerminated, "terminated: the executor stopped", reasonStopped
	case r.failed && r.terminated:
		status, msg = state.JobTerminated, r.failure
	case r.failed:
		status, msg = state.JobError, r.failure
	case r.warned:
		status, msg = state.JobWarning, "a task failed; continue_on_failure let the job go on"
	}
	now := d.now()
	for _, ph := range r.phases {
		for _, t := range ph {
			if t.status == state.JobCreated || t.status == state.JobWaiting {
				if err := d.setTask(ctx, t, state.JobUpdate{Status: state.JobSkipped, FinishedAt: now, Message: ptr(reason)}); err != nil {
					return err
				}
			}
		}
	}
	d.ready = slices.DeleteFunc(d.ready, func(t *task) bool { return t.run == r })
	d.line.changed()
	outbox := d.e.outboxFor(ctx, r.job, r.spec, status, msg, now)
	if err := d.update(ctx, &r.job, state.JobUpdate{Status: status, FinishedAt: now, Message: &msg, Outbox: outbox}); err != nil {
		return err
	}
	return d.ended1(ctx, r)
}

// skipRun records a run that never started (on_overlap = "skip").
func (d *dispatcher) skipRun(ctx context.Context, r *run, msg string) error {
	now := d.now()
	for _, ph := range r.phases {
		for _, t := range ph {
			if !t.status.Terminal() {
				if err := d.setTask(ctx, t, state.JobUpdate{Status: state.JobSkipped, FinishedAt: now, Message: ptr(reasonOverlap)}); err != nil {
					return err
				}
			}
		}
	}
	if err := d.update(ctx, &r.job, state.JobUpdate{Status: state.JobSkipped, FinishedAt: now, Message: &msg}); err != nil {
		return err
	}
	return d.ended1(ctx, r)
}

// watchLongRunning arms a timer that reports the run as long running
// when it takes longer than its past successful runs allow.
func (d *dispatcher) watchLongRunning(ctx context.Context, r *run) {
	after := d.e.longRunningAfter(ctx, r.job.Orchestration, r.spec.LongRunning)
	if after <= 0 || r.job.ParentTaskID != 0 {
		return
	}
	// Armed after the round's processes started: count from the start.
	if since := d.now().Sub(r.job.StartedAt); since > 0 && since < after {
		after -= since
	}
	r.stopLongRunning = d.eventAfter(after, evLongRunning, r.job.ID)
}

// eventAfter sends the dispatcher an event of kind for job id after
// delay on the executor's clock, unless the returned channel is closed
// first.
func (d *dispatcher) eventAfter(delay time.Duration, kind eventKind, id state.JobID) chan struct{} {
	stop := make(chan struct{})
	timer := d.e.clock.NewTimer(delay)
	go func() {
		defer timer.Stop()
		select {
		case <-timer.C():
			select {
			case d.e.events <- event{kind: kind, jobID: id}:
			case <-stop:
			}
		case <-stop:
		}
	}()
	return stop
}

// stopTimers ends the long_running timers of runs still known when the
// dispatcher stops.
func (d *dispatcher) stopTimers() {
	for _, r := range d.runs {
		d.stopWaitingTimer(r)
		if r.stopLongRunning != nil {
			close(r.stopLongRunning)
			r.stopLongRunning = nil
		}
	}
}

// longRunning queues the long_running notification of a run still going;
// the outbox keeps it to one per job and channel.
func (d *dispatcher) longRunning(ctx context.Context, id state.JobID) error {
	r, ok := d.runs[id]
	if !ok || r.job.Status != state.JobProcessing {
		return nil
	}
	msg := "the job runs longer than its recent successful runs"
	entries := d.e.outboxForEvent(ctx, r.job, r.spec, spec.EventLongRunning, r.job.Status, msg, d.now())
	if err := d.e.store.AddOutbox(ctx, entries...); err != nil {
		// A lost notification must not stop the jobs that run.
		d.e.cfg.Logger.Error("queue long_running notification", "job", id, "error", err)
	}
	return nil
}

// ended1 forgets an ended run and hands its result to its parent task.
func (d *dispatcher) ended1(ctx context.Context, r *run) error {
	d.stopWaitingTimer(r)
	if r.stopLongRunning != nil {
		close(r.stopLongRunning)
		r.stopLongRunning = nil
	}
	if d.busy[r.job.SerialKey] == r.job.ID {
		d.freeBusy(r.job.SerialKey)
	}
	delete(d.runs, r.job.ID)
	d.e.endedHere.add(r.job.ID)
	d.e.cfg.Logger.Info("job ended", "job", r.job.ID, "orchestration", r.job.Orchestration, "status", r.job.Status)
	t := r.parentTask
	if t == nil {
		d.ended = append(d.ended, r.asStored())
		return nil
	}
	status := r.job.Status
	if status == state.JobSkipped {
		status = state.JobError
	}
	msg := fmt.Sprintf("orchestration job %d ended %s", r.job.ID, r.job.Status)
	if err := d.setTask(ctx, t, state.JobUpdate{Status: status, FinishedAt: d.now(), Message: &msg}); err != nil {
		return err
	}
	return d.advance(ctx, t.run)
}

// cancel ends a run: unstarted tasks are skipped, running processes stop.
func (d *dispatcher) cancel(ctx context.Context, r *run) error {
	if r.cancelled {
		return nil
	}
	r.cancelled = true
	if r.phase < 0 {
		return nil // still pending: schedule finishes it
	}
	for _, t := range r.phases[r.phase] {
		switch {
		case t.child != nil:
			if err := d.cancel(ctx, t.child); err != nil {
				return err
			}
		case t.status == state.JobProcessing:
			d.stopTask(t, stopCancel)
		}
	}
	for _, t := range r.phases[r.phase] {
		if t.status == state.JobCreated || t.status == state.JobWaiting {
			if err := d.setTask(ctx, t, state.JobUpdate{Status: state.JobSkipped, FinishedAt: d.now(), Message: ptr(reasonCancelled)}); err != nil {
				return err
			}
		}
	}
	d.ready = slices.DeleteFunc(d.ready, func(t *task) bool { return t.run == r })
	d.line.changed()
	return d.advance(ctx, r)
}

// stopAll ends every running process, for shutdown.
func (d *dispatcher) stopAll(reason stopReason) {
	for _, t := range d.running {
		d.stopTask(t, reason)
	}
}

// endStarted ends the runs that started but go no further while the
// executor stops (their next tasks wait for a configuration or a slot):
// those tasks are skipped and the jobs end terminated, rather than stay
// running until the next executor starts. Runs started by a task of
// another run end first, so that their parents take their result.
func (d *dispatcher) endStarted(ctx context.Context) error {
	var started []*run
	for _, r := range d.runs {
		if r.phase >= 0 {
			started = append(started, r)
		}
	}
	slices.SortFunc(started, func(a, b *run) int {
		if (a.parentTask != nil) != (b.parentTask != nil) {
			if a.parentTask != nil {
				return -1
			}
			return 1
		}
		return int(a.job.ID - b.job.ID)
	})
	for _, r := range started {
		if d.runs[r.job.ID] != r || r.job.Status.Terminal() {
			continue
		}
		r.stopped = true
		if err := d.finish(ctx, r); err != nil {
			return err
		}
	}
	return d.flush(ctx)
}

// abort stops every process after a fatal error of the state; their jobs
// are recovered as terminated by the next executor.
func (d *dispatcher) abort() {
	// Processes whose start was never stored were never started.
	d.procs -= len(d.launch)
	d.launch = nil
	if d.cl != nil {
		// The nodes run their tasks on; the next leader takes them over.
		return
	}
	d.stopAll(stopShutdown)
	for d.procs > 0 {
		ev := <-d.e.events
		if ev.kind == evTaskDone {
			d.procs--
		}
	}
}
