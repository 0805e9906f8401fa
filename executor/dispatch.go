package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// run is an orchestration job the dispatcher knows of.
type run struct {
	job        state.Job
	spec       RunSpec
	phases     [][]*task
	phase      int // index of the running phase; -1 before the first
	failed     bool
	terminated bool // a failure was a termination (timeout, stop)
	warned     bool
	cancelled  bool
	stopped    bool // the executor stopped while it ran
	failure    string
	parentTask *task // the task that runs this orchestration, if any
	// stopLongRunning ends the long_running timer of the run.
	stopLongRunning chan struct{}
}

// task is a task job of a run.
type task struct {
	job    state.Job
	spec   TaskSpec
	run    *run
	status state.JobStatus
	// stop is closed to end the task's process; stopReason says why.
	stop       chan struct{}
	stopReason stopReason
	child      *run
	// prepared is set once the task's data dir is being made ahead of
	// its start.
	prepared <-chan prepared
}

type stopReason int

const (
	stopNone stopReason = iota
	stopCancel
	stopShutdown
)

// dispatcher holds every scheduling decision; only its goroutine touches it.
type dispatcher struct {
	e       *Executor
	runs    map[state.JobID]*run // known orchestration jobs not yet ended
	pending []*run               // created or waiting, not started
	ready   []*task              // tasks of running phases not yet started
	busy    map[string]state.JobID
	// running maps the job ids of running task processes to their tasks.
	running map[state.JobID]*task
	procs   int
	limit   int
	// draining is set once Run's context ended: nothing new starts.
	draining bool
	// batch holds the transitions decided since the last flush; launch
	// holds the processes to start once they are stored.
	batch  []state.JobTransition
	launch []func()
	// changes counts recorded transitions, so schedule knows when a pass
	// changed nothing.
	changes int
	ended   []state.Job
}

func newDispatcher(e *Executor) *dispatcher {
	return &dispatcher{e: e, runs: map[state.JobID]*run{}, busy: map[string]state.JobID{}, running: map[state.JobID]*task{}}
}

func (d *dispatcher) now() time.Time { return d.e.clock.Now().UTC() }

// update records a transition in memory and queues it for the next flush;
// nothing acts on it (no process starts) until flush has stored it. All
// transitions of one round go to SQLite in one transaction.
func (d *dispatcher) update(_ context.Context, j *state.Job, from []state.JobStatus, u state.JobUpdate) error {
	d.batch = append(d.batch, state.JobTransition{ID: j.ID, From: from, Update: u})
	j.Status = u.Status
	d.changes++
	if !u.StartedAt.IsZero() {
		j.StartedAt = u.StartedAt
	}
	if !u.FinishedAt.IsZero() {
		j.FinishedAt = u.FinishedAt
	}
	if u.Message != nil {
		j.Message = *u.Message
	}
	return nil
}

// flush stores the queued transitions, then starts the processes that
// waited for them.
func (d *dispatcher) flush(ctx context.Context) error {
	if len(d.batch) > 0 {
		if err := d.e.store.UpdateJobs(ctx, d.batch); err != nil {
			return fmt.Errorf("record job transitions: %w", err)
		}
		tables := false
		for _, t := range d.batch {
			tables = tables || len(t.Update.TableUpdates) > 0
		}
		d.batch = d.batch[:0]
		if tables && d.e.cfg.OnTablesUpdated != nil {
			d.e.cfg.OnTablesUpdated()
		}
	}
	for _, start := range d.launch {
		start()
	}
	d.launch = d.launch[:0]
	return nil
}

func ptr[T any](v T) *T { return &v }

// recover ends what a stopped executor left running and queues what was
// waiting: nothing is lost and nothing runs twice at once.
func (d *dispatcher) recover(ctx context.Context) error {
	active, err := d.e.store.ActiveJobs(ctx)
	if err != nil {
		return fmt.Errorf("read active jobs: %w", err)
	}
	now := d.now()
	const msg = "terminated: the executor stopped while the job was running"
	for i := range active {
		j := &active[i]
		if j.Kind != state.KindOrchestrationJob {
			continue
		}
		full, err := d.e.store.Job(ctx, j.ID)
		if err != nil {
			return fmt.Errorf("read job %d: %w", j.ID, err)
		}
		if full.Status == state.JobProcessing || full.ParentTaskID != 0 {
			for k := range full.Tasks {
				t := &full.Tasks[k]
				switch t.Status {
				case state.JobProcessing:
					d.e.killLeftovers(t.ID)
					if err := d.update(ctx, t, nil, state.JobUpdate{Status: state.JobTerminated, FinishedAt: now, Message: ptr(msg)}); err != nil {
						return err
					}
				case state.JobCreated, state.JobWaiting:
					if err := d.update(ctx, t, nil, state.JobUpdate{Status: state.JobSkipped, FinishedAt: now, Message: ptr(reasonStopped)}); err != nil {
						return err
					}
				}
			}
			if err := d.update(ctx, &full, nil, state.JobUpdate{Status: state.JobTerminated, FinishedAt: now, Message: ptr(msg)}); err != nil {
				return err
			}
			d.e.cfg.Logger.Warn("job ended by recovery", "job", full.ID, "orchestration", full.Orchestration)
			continue
		}
		if err := d.add(full); err != nil {
			return err
		}
	}
	return d.flush(ctx)
}

// add makes a created or waiting orchestration job known.
func (d *dispatcher) add(job state.Job) error {
	if _, ok := d.runs[job.ID]; ok {
		return nil
	}
	r := &run{job: job, phase: -1}
	if err := json.Unmarshal(job.Spec, &r.spec); err != nil {
		return fmt.Errorf("job %d: decode run spec: %w", job.ID, err)
	}
	for i := range job.Tasks {
		tj := job.Tasks[i]
		t := &task{job: tj, run: r, status: tj.Status}
		if err := json.Unmarshal(tj.Spec, &t.spec); err != nil {
			return fmt.Errorf("job %d: decode task spec: %w", tj.ID, err)
		}
		for len(r.phases) <= tj.PhaseIndex {
			r.phases = append(r.phases, nil)
		}
		r.phases[tj.PhaseIndex] = append(r.phases[tj.PhaseIndex], t)
	}
	d.runs[job.ID] = r
	d.pending = append(d.pending, r)
	return nil
}

// load picks up jobs submitted by any process and cancel requests.
func (d *dispatcher) load(ctx context.Context) error {
	s, _, err := d.e.applied(ctx)
	if err == nil {
		d.limit = d.e.maxParallel(s)
	} else if d.limit == 0 {
		d.limit = d.e.maxParallel(nil)
	}
	active, err := d.e.store.ActiveJobs(ctx)
	if err != nil {
		return fmt.Errorf("read active jobs: %w", err)
	}
	for _, j := range active {
		if j.Kind != state.KindOrchestrationJob {
			continue
		}
		if r, ok := d.runs[j.ID]; ok {
			if j.CancelRequested && !r.cancelled {
				if err := d.cancel(ctx, r); err != nil {
					return err
				}
			}
			continue
		}
		if j.Status != state.JobCreated && j.Status != state.JobWaiting {
			continue
		}
		full, err := d.e.store.Job(ctx, j.ID)
		if err != nil {
			return fmt.Errorf("read job %d: %w", j.ID, err)
		}
		if err := d.add(full); err != nil {
			return err
		}
	}
	return nil
}

func (d *dispatcher) loop(ctx context.Context, wake <-chan struct{}, opts RunOptions) ([]state.Job, error) {
	// Run's own context ends the loop; database writes after that still
	// need a live context, so they use one that outlives the drain.
	dbctx := context.WithoutCancel(ctx)
	defer d.stopTimers()
	if err := d.load(dbctx); err != nil {
		return nil, err
	}
	done := ctx.Done()
	var grace clock.Timer
	var graceC <-chan time.Time
	for {
		err := d.schedule(dbctx)
		if err == nil {
			err = d.flush(dbctx)
		}
		if err != nil {
			d.abort()
			return d.ended, err
		}
		if d.procs == 0 && (d.draining || (opts.UntilIdle && len(d.runs) == 0)) {
			return d.ended, nil
		}
		select {
		case ev := <-d.e.events:
			if err := d.handleAll(dbctx, ev); err != nil {
				d.abort()
				return d.ended, err
			}
		case <-wake:
			if err := d.load(dbctx); err != nil {
				d.abort()
				return d.ended, err
			}
		case <-done:
			done = nil
			d.draining = true
			grace = d.e.clock.NewTimer(opts.Grace)
			graceC = grace.C()
		case <-graceC:
			graceC = nil
			d.stopAll(stopShutdown)
		}
	}
}

// handleAll handles ev and every event already waiting, so that one
// round (and one transaction) covers all tasks that ended meanwhile.
func (d *dispatcher) handleAll(ctx context.Context, ev event) error {
	for {
		if err := d.handle(ctx, ev); err != nil {
			return err
		}
		select {
		case ev = <-d.e.events:
		default:
			return nil
		}
	}
}

func (d *dispatcher) handle(ctx context.Context, ev event) error {
	switch ev.kind {
	case evSubmitted:
		return d.add(ev.job)
	case evWake:
		return d.load(ctx)
	case evCancel:
		if r, ok := d.runs[ev.jobID]; ok {
			return d.cancel(ctx, r)
		}
		return d.load(ctx)
	case evTaskDone:
		return d.taskDone(ctx, ev.result)
	case evLongRunning:
		return d.longRunning(ctx, ev.jobID)
	}
	return nil
}

// schedule starts every job that may start now. Starting one thing can
// make another startable (a task that runs an orchestration queues its
// job), so it repeats until a pass changes nothing.
func (d *dispatcher) schedule(ctx context.Context) error {
	for {
		before := d.changes
		if err := d.schedulePass(ctx); err != nil {
			return err
		}
		if d.changes == before {
			return nil
		}
	}
}

func (d *dispatcher) schedulePass(ctx context.Context) error {
	for i := 0; i < len(d.pending); {
		r := d.pending[i]
		holder, busy := d.busy[r.job.SerialKey]
		switch {
		case r.cancelled:
			d.pending = slices.Delete(d.pending, i, i+1)
			if err := d.finish(ctx, r); err != nil {
				return err
			}
		case busy && holder != r.job.ID && r.spec.OnOverlap == spec.OverlapSkip:
			d.pending = slices.Delete(d.pending, i, i+1)
			if err := d.skipRun(ctx, r, fmt.Sprintf("skipped: job %d of the orchestration was running (on_overlap = \"skip\")", holder)); err != nil {
				return err
			}
		case busy || d.draining:
			if r.job.Status == state.JobCreated {
				if err := d.update(ctx, &r.job, []state.JobStatus{state.JobCreated}, state.JobUpdate{Status: state.JobWaiting}); err != nil {
					return err
				}
			}
			i++
		default:
			d.pending = slices.Delete(d.pending, i, i+1)
			if err := d.update(ctx, &r.job, []state.JobStatus{state.JobCreated, state.JobWaiting}, state.JobUpdate{Status: state.JobProcessing, StartedAt: d.now()}); err != nil {
				return err
			}
			d.busy[r.job.SerialKey] = r.job.ID
			d.watchLongRunning(ctx, r)
			if err := d.advance(ctx, r); err != nil {
				return err
			}
		}
	}
	var waiting []*task
	for _, t := range d.ready {
		started, err := d.startTask(ctx, t)
		if err != nil {
			return err
		}
		if !started {
			waiting = append(waiting, t)
		}
	}
	d.ready = waiting
	d.prepareAhead()
	return nil
}

// prepareAhead makes the data dirs of the next tasks in line while the
// running ones hold the slots, so a free slot starts a process at once.
func (d *dispatcher) prepareAhead() {
	ahead := 0
	for _, t := range d.ready {
		if ahead >= d.limit {
			return
		}
		if t.spec.Orchestration != "" || t.run.cancelled {
			continue
		}
		ahead++
		if t.prepared == nil {
			t.prepared = d.e.prepareAhead(taskStart{job: t.job, spec: t.spec, runID: t.run.job.ID})
		}
	}
}

// startTask starts t if its configuration is free and a process slot is.
func (d *dispatcher) startTask(ctx context.Context, t *task) (bool, error) {
	if t.spec.Orchestration != "" {
		return true, d.startChild(ctx, t)
	}
	if _, busy := d.busy[t.job.SerialKey]; busy || d.procs >= d.limit || d.draining {
		if t.status == state.JobCreated {
			if err := d.setTask(ctx, t, []state.JobStatus{state.JobCreated}, state.JobUpdate{Status: state.JobWaiting}); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	logPath := d.e.logPath(t.job.ID)
	if err := d.setTask(ctx, t, []state.JobStatus{state.JobCreated, state.JobWaiting}, state.JobUpdate{Status: state.JobProcessing, StartedAt: d.now(), LogPath: &logPath}); err != nil {
		return false, err
	}
	d.busy[t.job.SerialKey] = t.job.ID
	d.running[t.job.ID] = t
	d.procs++
	t.stop = make(chan struct{})
	start := taskStart{job: t.job, spec: t.spec, runID: t.run.job.ID, stop: t.stop, reason: &t.stopReason, prepared: t.prepared}
	d.launch = append(d.launch, func() {
		go func() {
			res := d.e.execute(context.Background(), start)
			d.e.events <- event{kind: evTaskDone, result: res}
		}()
	})
	return true, nil
}

// startChild runs the orchestration of a task as its own job; the task
// takes its result. The task holds no process slot, so nested
// orchestrations cannot deadlock on the limit.
func (d *dispatcher) startChild(ctx context.Context, t *task) error {
	if err := d.setTask(ctx, t, nil, state.JobUpdate{Status: state.JobProcessing, StartedAt: d.now()}); err != nil {
		return err
	}
	s, revision, err := d.e.applied(ctx)
	if err == nil {
		var orch state.NewJob
		var tasks []state.NewJob
		parent := t.run.job
		orch, tasks, err = buildJob(s, revision, Request{
			Orchestration: t.spec.Orchestration,
			Trigger:       TriggerTask,
			TriggeredBy:   fmt.Sprintf("job %d task %q", parent.ID, t.job.Task),
			NotifyTo:      parent.NotifyTo,
			parentTask:    t.job.ID,
		}, d.now())
		if err == nil {
			var child state.Job
			child, err = d.e.store.CreateJob(ctx, orch, tasks)
			if err == nil {
				if err := d.add(child); err != nil {
					return err
				}
				t.child = d.runs[child.ID]
				t.child.parentTask = t
				if t.run.cancelled {
					return d.cancel(ctx, t.child)
				}
				return nil
			}
		}
	}
	// The child could not be created (e.g. the orchestration was removed):
	// the task fails, which its phase handles like any failure.
	t.status = state.JobError
	msg := fmt.Sprintf("error: cannot run orchestration %q: %v", t.spec.Orchestration, err)
	if uerr := d.setTask(ctx, t, nil, state.JobUpdate{Status: state.JobError, FinishedAt: d.now(), Message: &msg}); uerr != nil {
		return uerr
	}
	return d.advance(ctx, t.run)
}

func (d *dispatcher) setTask(ctx context.Context, t *task, from []state.JobStatus, u state.JobUpdate) error {
	if err := d.update(ctx, &t.job, from, u); err != nil {
		return err
	}
	t.status = u.Status
	return nil
}

// taskDone records a task's end and moves its run on.
func (d *dispatcher) taskDone(ctx context.Context, res taskResult) error {
	t := d.running[res.jobID]
	if t == nil {
		return fmt.Errorf("task job %d ended but is not known to the dispatcher", res.jobID)
	}
	delete(d.running, res.jobID)
	d.procs--
	delete(d.busy, t.job.SerialKey)
	u := state.JobUpdate{Status: res.status, FinishedAt: d.now(), Message: &res.message, ExitCode: res.exitCode, PID: res.pid}
	if res.status == state.JobSuccess {
		for _, table := range t.spec.Outputs {
			u.TableUpdates = append(u.TableUpdates, state.TableUpdate{Table: table, At: u.FinishedAt, Source: "job", JobID: int64(t.job.ID)})
		}
	}
	if err := d.setTask(ctx, t, []state.JobStatus{state.JobProcessing}, u); err != nil {
		return err
	}
	return d.advance(ctx, t.run)
}

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
				if err := d.setTask(ctx, t, []state.JobStatus{state.JobCreated, state.JobWaiting}, state.JobUpdate{Status: state.JobSkipped, FinishedAt: now, Message: ptr(reason)}); err != nil {
					return err
				}
			}
		}
	}
	d.ready = slices.DeleteFunc(d.ready, func(t *task) bool { return t.run == r })
	outbox := d.e.outboxFor(ctx, r.job, r.spec, status, msg, now)
	if err := d.update(ctx, &r.job, []state.JobStatus{state.JobCreated, state.JobWaiting, state.JobProcessing}, state.JobUpdate{Status: status, FinishedAt: now, Message: &msg, Outbox: outbox}); err != nil {
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
				if err := d.setTask(ctx, t, nil, state.JobUpdate{Status: state.JobSkipped, FinishedAt: now, Message: ptr(reasonDeselected)}); err != nil {
					return err
				}
			}
		}
	}
	if err := d.update(ctx, &r.job, []state.JobStatus{state.JobCreated, state.JobWaiting}, state.JobUpdate{Status: state.JobSkipped, FinishedAt: now, Message: &msg}); err != nil {
		return err
	}
	return d.ended1(ctx, r)
}

// watchLongRunning arms a timer that reports the run as long running
// when it takes longer than its past successful runs allow.
func (d *dispatcher) watchLongRunning(ctx context.Context, r *run) {
	after := d.e.longRunningAfter(ctx, r.job.Orchestration)
	if after <= 0 || r.job.ParentTaskID != 0 {
		return
	}
	stop := make(chan struct{})
	r.stopLongRunning = stop
	timer := d.e.clock.NewTimer(after)
	id := r.job.ID
	go func() {
		defer timer.Stop()
		select {
		case <-timer.C():
			select {
			case d.e.events <- event{kind: evLongRunning, jobID: id}:
			case <-stop:
			}
		case <-stop:
		}
	}()
}

// stopTimers ends the long_running timers of runs still known when the
// dispatcher stops.
func (d *dispatcher) stopTimers() {
	for _, r := range d.runs {
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
		return fmt.Errorf("queue long_running notification of job %d: %w", id, err)
	}
	return nil
}

// ended1 forgets an ended run and hands its result to its parent task.
func (d *dispatcher) ended1(ctx context.Context, r *run) error {
	if r.stopLongRunning != nil {
		close(r.stopLongRunning)
		r.stopLongRunning = nil
	}
	if d.busy[r.job.SerialKey] == r.job.ID {
		delete(d.busy, r.job.SerialKey)
	}
	delete(d.runs, r.job.ID)
	d.e.cfg.Logger.Info("job ended", "job", r.job.ID, "orchestration", r.job.Orchestration, "status", r.job.Status)
	t := r.parentTask
	if t == nil {
		d.ended = append(d.ended, r.job)
		return nil
	}
	status := r.job.Status
	if status == state.JobSkipped {
		status = state.JobError
	}
	msg := fmt.Sprintf("orchestration job %d ended %s", r.job.ID, r.job.Status)
	if err := d.setTask(ctx, t, []state.JobStatus{state.JobProcessing}, state.JobUpdate{Status: status, FinishedAt: d.now(), Message: &msg}); err != nil {
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
		case t.status == state.JobProcessing && t.stop != nil && t.stopReason == stopNone:
			t.stopReason = stopCancel
			close(t.stop)
		}
	}
	for _, t := range r.phases[r.phase] {
		if t.status == state.JobCreated || t.status == state.JobWaiting {
			if err := d.setTask(ctx, t, nil, state.JobUpdate{Status: state.JobSkipped, FinishedAt: d.now(), Message: ptr(reasonCancelled)}); err != nil {
				return err
			}
		}
	}
	d.ready = slices.DeleteFunc(d.ready, func(t *task) bool { return t.run == r })
	return d.advance(ctx, r)
}

// stopAll ends every running process, for shutdown.
func (d *dispatcher) stopAll(reason stopReason) {
	for _, t := range d.running {
		if t.stopReason == stopNone {
			t.stopReason = reason
			close(t.stop)
		}
	}
}

// abort stops every process after a fatal error of the state; their jobs
// are recovered as terminated by the next executor.
func (d *dispatcher) abort() {
	// Processes whose start was never stored were never started.
	d.procs -= len(d.launch)
	d.launch = nil
	d.stopAll(stopShutdown)
	for d.procs > 0 {
		ev := <-d.e.events
		if ev.kind == evTaskDone {
			d.procs--
		}
	}
}
