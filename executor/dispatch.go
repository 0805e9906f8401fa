package executor

import (
	"context"
	"errors"
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
	// stopWaiting ends the waiting_too_long timer of the run.
	stopWaiting chan struct{}
	// token is the orchestration token its tasks run with.
	token runToken
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
	// node runs the task's process when the executor is one node of a
	// cluster; "" when it runs in this process.
	node string
}

type stopReason int

const (
	stopNone stopReason = iota
	stopCancel
	stopShutdown
)

// dispatcher holds every scheduling decision; only its goroutine touches it.
type dispatcher struct {
	e *Executor
	// lostNode names the node that led before and was lost, for what
	// recovery ends.
	lostNode string
	runs     map[state.JobID]*run // known orchestration jobs not yet ended
	pending  []*run               // created or waiting, not started
	ready    []*task              // tasks of running phases not yet started
	// line says what the tasks in ready wait on, so a round need not look
	// at a long line whose reasons cannot have changed.
	line readyLine
	busy map[string]state.JobID
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
	// settled counts those of them that cannot make another job
	// startable (a task that started or waits), so schedule does not
	// look at a long line of tasks again for them.
	settled int
	// changes counts recorded transitions, so schedule knows when a pass
	// changed nothing.
	changes int
	ended   []state.Job
	// stop ends with Run's context; writes that fail are retried until
	// a while after it ends.
	stop context.Context
	// watchLater holds the runs started this round whose long_running
	// timers flush arms after the launches: a burst of runs starts its
	// processes without waiting for one query per run.
	watchLater []*run
	// slotReason is the waiting message for a full set of slots, made
	// for slotReasonProcs running processes.
	slotReason      string
	slotReasonProcs int
	// round holds the tasks to prepare once the round is decided.
	round []toPrepare
	// creating holds the new jobs to store with the round.
	creating []*creation
	// observed holds the batch's transitions for the Observer.
	observed []observed
	// cl is set when tasks run on the nodes of a cluster.
	cl *cluster
	// hold ends the holding back of events for starts in flight.
	hold clock.Timer
	// recovered is the list of active jobs recovery read, while fresh:
	// the loop's first look at the state takes it instead of reading
	// the same again (what changed since comes with a wake-up).
	recovered []state.Job
	fresh     bool
}

func newDispatcher(e *Executor) *dispatcher {
	d := &dispatcher{e: e, runs: map[state.JobID]*run{}, busy: map[string]state.JobID{}, running: map[state.JobID]*task{}, stop: context.Background()}
	if e.cfg.Cluster != nil {
		d.cl = newCluster(e.cfg.Cluster, d.now())
	}
	return d
}

func (d *dispatcher) now() time.Time { return d.e.clock.Now().UTC() }

// update records a transition in memory and queues it for the next flush;
// nothing acts on it (no process starts) until flush has stored it. All
// transitions of one round go to the state in one transaction. The
// statuses the job may come from are those of the transition table; the
// store checks them as a compare-and-set, so a job another process changed
// is not overwritten.
func (d *dispatcher) update(_ context.Context, j *state.Job, u state.JobUpdate) error {
	from := state.TransitionFrom(j.Kind, u.Status)
	if len(from) == 0 {
		return fmt.Errorf("job %d: no %s job may become %s", j.ID, j.Kind, u.Status)
	}
	d.batch = append(d.batch, state.JobTransition{ID: j.ID, From: from, Update: u})
	prev := j.Status
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
	// Kept as the state keeps them: a job that ends is handed to its
	// follower from memory (see run.asStored).
	if u.ExitCode != nil {
		j.ExitCode = u.ExitCode // never written after: shared, not copied
	}
	if u.PID != nil {
		j.PID = *u.PID
	}
	if u.LogPath != nil {
		j.LogPath = *u.LogPath
	}
	if d.e.cfg.Observer != nil {
		d.observed = append(d.observed, observed{job: *j, from: prev})
	}
	return nil
}

// flush stores the queued transitions, then starts the processes that
// waited for them.
func (d *dispatcher) flush(ctx context.Context) error {
	d.prepareRound()
	if len(d.batch) > 0 || len(d.creating) > 0 {
		// Until they are stored, the outcomes stay in the batch and no
		// process that depends on them starts.
		if err := d.storeRound(); err != nil {
			return err
		}
		tables := false
		for _, t := range d.batch {
			tables = tables || len(t.Update.TableUpdates) > 0
		}
		d.batch = d.batch[:0]
		d.tellObserver()
		if tables && d.e.cfg.OnTablesUpdated != nil {
			d.e.cfg.OnTablesUpdated()
		}
	}
	if d.cl != nil {
		if err := d.sendToNodes(); err != nil {
			return err
		}
	}
	for _, start := range d.launch {
		start()
	}
	d.launch = d.launch[:0]
	if _, hold := d.e.starts.holding(); hold {
		return nil // the timers are armed once the processes started
	}
	for _, r := range d.watchLater {
		if d.runs[r.job.ID] == r && r.job.Status == state.JobProcessing {
			d.watchLongRunning(ctx, r)
		}
	}
	d.watchLater = d.watchLater[:0]
	return nil
}

func ptr[T any](v T) *T { return &v }

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
	var nodesC, results <-chan struct{}
	if d.cl != nil {
		// The nodes' slots are known before the first round places a task.
		if err := d.refreshNodes(dbctx); err != nil {
			return nil, err
		}
		var stop func()
		nodesC, results, stop = d.watchCluster(dbctx)
		defer stop()
	}
	newJobs, closeCreations := d.e.acceptCreations()
	defer closeCreations()
	defer d.created(errors.New("the executor stopped before it stored them"))
	for {
		err := d.schedule(dbctx)
		if err == nil && afterSchedule != nil {
			afterSchedule(d)
		}
		if err == nil {
			err = d.flush(dbctx)
		}
		if err != nil {
			d.abort()
			return d.ended, err
		}
		if d.procs == 0 && (d.draining || (opts.UntilIdle && len(d.runs) == 0)) {
			if d.draining && (d.cl == nil || !d.cl.handover) {
				if err := d.endStarted(dbctx); err != nil {
					return d.ended, err
				}
			}
			return d.ended, nil
		}
		if d.draining && d.cl != nil && d.cl.handover && (d.cl.leaseLost || d.cl.load[d.cl.c.Node] == 0) {
			// The tasks of other nodes run on, not in this dispatcher:
			// the next leader takes them over where this one left them.
			// This node's own tasks ended with its worker.
			return d.ended, nil
		}
		events, resume, expire := d.nextEvents()
		select {
		case <-resume:
		case <-expire:
		case ev := <-events:
			if err := d.handleAll(dbctx, ev); err != nil {
				d.abort()
				return d.ended, err
			}
		case c := <-newJobs:
			err = d.create(dbctx, c)
		case <-wake:
			d.reload(dbctx)
		case <-nodesC:
			if err = d.refreshNodes(dbctx); err == nil {
				err = d.collectResults(dbctx)
			}
		case <-results:
			err = d.collectResults(dbctx)
		case <-done:
			done = nil
			d.draining = true
			if d.cl != nil {
				// With other nodes alive, the nodes run their tasks on
				// and the next leader takes over; this node's worker
				// stops its own after the grace and reports them. The
				// last node stops like a single machine.
				d.cl.leaseLost = errors.Is(context.Cause(ctx), ErrLeaseLost)
				if d.cl.handover = d.cl.leaseLost || d.otherNodesLive(dbctx); d.cl.handover {
					break
				}
			}
			if errors.Is(context.Cause(ctx), ErrLeaseLost) {
				// Another node may lead now: no grace.
				d.stopAll(stopShutdown)
				break
			}
			grace = d.e.clock.NewTimer(opts.Grace)
			graceC = grace.C()
		case <-graceC:
			graceC = nil
			d.stopAll(stopShutdown)
		}
		if err != nil {
			d.abort()
			return d.ended, err
		}
	}
}

// reload picks up new jobs and cancel requests. A failed read is tried
// again at the next wake-up: it must not stop the jobs that run.
func (d *dispatcher) reload(ctx context.Context) {
	if err := d.load(ctx); err != nil {
		d.e.cfg.Logger.Error("read the state for new jobs and cancel requests; trying again at the next wake-up", "error", err)
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
		if d.e.endedHere.has(ev.job.ID) {
			// A look at the state found the job first, and it ran.
			return nil
		}
		return d.add(ev.job)
	case evWake:
		d.reload(ctx)
	case evCancel:
		if r, ok := d.runs[ev.jobID]; ok {
			return d.cancel(ctx, r)
		}
		d.reload(ctx)
	case evTaskDone:
		return d.taskDone(ctx, ev.result)
	case evLongRunning:
		return d.longRunning(ctx, ev.jobID)
	case evWaitingTooLong:
		return d.waitingTooLong(ctx, ev.jobID)
	}
	return nil
}

// schedule starts every job that may start now. Starting one thing can
// make another startable (a task that runs an orchestration queues its
// job), so it repeats until a pass changes nothing that could.
func (d *dispatcher) schedule(ctx context.Context) error {
	d.limit = d.e.appliedLimit(d.limit)
	for {
		before, settled := d.changes, d.settled
		if err := d.schedulePass(ctx); err != nil {
			return err
		}
		if d.changes-before == d.settled-settled {
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
			if err := d.markWaiting(ctx, &r.job, d.runWaitReason(holder, busy)); err != nil {
				return err
			}
			i++
		default:
			d.pending = slices.Delete(d.pending, i, i+1)
			if err := d.update(ctx, &r.job, state.JobUpdate{Status: state.JobProcessing, StartedAt: d.now(), Message: ptr("")}); err != nil {
				return err
			}
			d.setBusy(r.job.SerialKey, r.job.ID)
			d.stopWaitingTimer(r)
			// Its long_running timer needs a query of past durations;
			// it is armed once the processes of this round started.
			d.watchLater = append(d.watchLater, r)
			if err := d.advance(ctx, r); err != nil {
				return err
			}
		}
	}
	// Filtered in place: a wide phase keeps its tasks in line here. Tasks
	// made ready meanwhile (a child that could not start ended its phase)
	// stay in line after them.
	full := d.line.begin(d)
	all := true
	n := len(d.ready)
	waiting := d.ready[:0]
	for i, t := range d.ready[:n] {
		if !full && d.line.settled(d) {
			// No slot is free and every task from here on waits for the
			// reason it was given: the rest of the line stays as it is.
			waiting = append(waiting, d.ready[i:n]...)
			all = false
			break
		}
		started, err := d.startTask(ctx, t)
		if err != nil {
			return err
		}
		if !started {
			waiting = append(waiting, t)
		} else if t.spec.Orchestration == "" {
			d.line.left(t.job.SerialKey)
		}
	}
	d.ready = append(waiting, d.ready[n:]...)
	if all {
		d.line.lookedAtAll(d)
	}
	d.prepareAhead()
	return nil
}

// prepareAhead makes the data dirs of the next tasks in line while the
// running ones hold the slots, so a free slot starts a process at once.
// It looks two rounds of slots ahead: making a directory on a busy disk
// takes longer at times than a no-op task runs.
func (d *dispatcher) prepareAhead() {
	if d.cl != nil {
		return // the node that runs a task prepares it
	}
	ahead := 0
	for _, t := range d.ready {
		if ahead >= 2*d.limit {
			return
		}
		if t.spec.Orchestration != "" || t.run.cancelled {
			continue
		}
		ahead++
		d.prepareSoon(t)
	}
}

// startTask starts t if its configuration is free and a process slot is.
func (d *dispatcher) startTask(ctx context.Context, t *task) (bool, error) {
	if t.spec.Orchestration != "" {
		return true, d.startChild(ctx, t)
	}
	before := d.changes
	defer func() { d.settled += d.changes - before }()
	holder, busy := d.busy[t.job.SerialKey]
	node := ""
	if d.cl != nil && !busy && d.procs < d.limit && !d.draining {
		if node = d.cl.place(d.limit); node == "" {
			if err := d.markWaiting(ctx, &t.job, d.clusterWaitReason()); err != nil {
				return false, err
			}
			t.status = t.job.Status
			return false, nil
		}
	}
	if busy || d.procs >= d.limit || d.draining {
		if err := d.markWaiting(ctx, &t.job, d.taskWaitReason(t, holder, busy)); err != nil {
			return false, err
		}
		t.status = t.job.Status
		return false, nil
	}
	logPath := d.e.logPath(t.job.ID)
	if err := d.setTask(ctx, t, state.JobUpdate{Status: state.JobProcessing, StartedAt: d.now(), LogPath: &logPath, Message: ptr("")}); err != nil {
		return false, err
	}
	// Not setBusy: the scan that started t tells the line it left.
	d.busy[t.job.SerialKey] = t.job.ID
	d.running[t.job.ID] = t
	d.procs++
	t.stop = make(chan struct{})
	if node != "" {
		d.assign(t, node)
		return true, nil
	}
	d.prepareSoon(t)
	start := taskStart{job: t.job, spec: t.spec, runID: t.run.job.ID, stop: t.stop, reason: &t.stopReason, prepared: t.prepared, token: &t.run.token}
	d.launch = append(d.launch, func() {
		start.started = d.e.starts.begin()
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
	if err := d.setTask(ctx, t, state.JobUpdate{Status: state.JobProcessing, StartedAt: d.now()}); err != nil {
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
			err = d.e.storeRetrying(d.stop, "create the job of orchestration "+t.spec.Orchestration, func(ctx context.Context) error {
				var cerr error
				child, cerr = d.e.store.CreateJob(ctx, orch, tasks)
				return cerr
			})
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
	if uerr := d.setTask(ctx, t, state.JobUpdate{Status: state.JobError, FinishedAt: d.now(), Message: &msg}); uerr != nil {
		return uerr
	}
	return d.advance(ctx, t.run)
}

func (d *dispatcher) setTask(ctx context.Context, t *task, u state.JobUpdate) error {
	if err := d.update(ctx, &t.job, u); err != nil {
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
	d.freeBusy(t.job.SerialKey)
	if t.node != "" {
		d.unassign(t)
	}
	finished := res.finishedAt
	if finished.IsZero() {
		finished = d.now()
	}
	u := state.JobUpdate{Status: res.status, FinishedAt: finished, Message: &res.message, ExitCode: res.exitCode, PID: res.pid}
	if res.logPath != "" {
		u.LogPath = &res.logPath
	}
	if res.status == state.JobSuccess {
		for _, table := range t.spec.Outputs {
			u.TableUpdates = append(u.TableUpdates, state.TableUpdate{Table: table, At: u.FinishedAt, Source: "job", JobID: int64(t.job.ID)})
		}
	}
	if err := d.setTask(ctx, t, u); err != nil {
		return err
	}
	return d.advance(ctx, t.run)
}
