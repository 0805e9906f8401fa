package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/baton-dev/baton/proctree"
	"github.com/baton-dev/baton/state"
)

// stopFenced stops a worker's task when its node could not reach the state
// for most of the lease: the dispatcher is about to declare the node lost
// and may run the task's work elsewhere, so it must not go on here.
const stopFenced stopReason = 100

// stopMessage is how a task stopped for reason ended.
func (c *Cluster) stopMessage(reason stopReason) (state.JobStatus, string) {
	switch reason {
	case stopCancel:
		return state.JobCancelled, "cancelled"
	case stopFenced:
		return state.JobTerminated, fmt.Sprintf("terminated: node %s could not reach the state for %s and stopped the task", c.Node, c.fenceAfter())
	}
	return state.JobTerminated, fmt.Sprintf("terminated: node %s stopped", c.Node)
}

// fenceAfter is how long a worker that cannot reach the state lets its
// tasks run: a fifth of the lease less than the dispatcher waits before
// it declares the node lost, so that they have ended by then.
func (c *Cluster) fenceAfter() time.Duration { return c.lease() - c.lease()/5 }

// reportGiveUp bounds how long a stopping worker tries to store the
// outcomes it still holds; what it could not store ends as "node lost".
const reportGiveUp = 10 * time.Second

// dbTimeout bounds one call of a worker to the state.
const dbTimeout = 5 * time.Second

// worker runs the task processes the dispatcher hands to this node.
type worker struct {
	e *Executor
	c *Cluster
	// running holds the tasks whose processes run here.
	running map[state.JobID]*workerTask
	// tokens holds the orchestration token of each run with tasks here.
	tokens map[state.JobID]*runToken
	ended  chan taskResult
	// unreported holds outcomes not yet stored (the state unreachable).
	unreported map[state.JobID]state.TaskResult
	// started is when Work began: the reference for fencing until the
	// node's first heartbeat is recorded.
	started time.Time
	fenced  bool
	failing bool
}

type workerTask struct {
	runID  state.JobID
	stop   chan struct{}
	reason stopReason
}

// Work runs the tasks handed to this node until ctx ends; then it lets
// them run for grace, stops those still running, stores how they ended
// and returns. It never ends for a state that cannot be reached: tasks run
// on, their outcomes wait in memory, and it stops them only when the
// state was out of reach for most of the lease.
func (e *Executor) Work(ctx context.Context, grace time.Duration) error {
	c := e.cfg.Cluster
	if c == nil {
		return errors.New("this executor is not a node of a cluster")
	}
	if err := os.MkdirAll(e.cfg.JobsDir, 0o700); err != nil {
		return fmt.Errorf("create jobs dir: %w", err)
	}
	// Task cgroups are kept for the next tasks while the node works.
	defer proctree.Keep(e.treeGroup())()
	e.working.Store(true)
	defer func() {
		e.working.Store(false)
		e.signalResults()
	}()
	w := &worker{e: e, c: c, running: map[state.JobID]*workerTask{}, tokens: map[state.JobID]*runToken{},
		ended: make(chan taskResult), unreported: map[state.JobID]state.TaskResult{}, started: e.clock.Now()}
	db := context.WithoutCancel(ctx)
	var notified <-chan struct{}
	stopWatch := func() {}
	defer func() { stopWatch() }()
	listen := func() {
		if notified != nil {
			return
		}
		ch, stop, err := c.Store.WatchAssignments(db, c.Node)
		if err != nil {
			w.warn("listen for the tasks handed to this node; looking every few seconds instead", err)
			return
		}
		notified, stopWatch = ch, stop
	}
	listen()
	poll := c.nodesEvery()
	tick := e.clock.NewTimer(0)
	defer tick.Stop()
	done := ctx.Done()
	var graceC, giveUpC <-chan time.Time
	for {
		select {
		case <-notified:
			w.sync(db, done == nil)
		case <-e.workerPoke:
			w.sync(db, done == nil)
		case <-tick.C():
			listen()
			w.sync(db, done == nil)
			w.e.keepUnkeptLogs(db, dbTimeout) // before the outcomes, so a follower ends with the whole log
			w.retryReports(db)
			w.fence()
			tick.Reset(poll)
		case res := <-w.ended:
			w.finished(db, res)
		case <-done:
			done = nil
			t := e.clock.NewTimer(grace)
			defer t.Stop()
			graceC = t.C()
		case <-graceC:
			graceC = nil
			for _, t := range w.running {
				w.stop(t, stopShutdown)
			}
		case <-giveUpC:
			w.e.cfg.Logger.Error("stopping with task outcomes not stored: the state is out of reach; the leading node ends those tasks as lost", "node", c.Node, "tasks", len(w.unreported))
			return nil
		}
		if done == nil && len(w.running) == 0 {
			if len(w.unreported) == 0 {
				// What was handed over meanwhile is answered, then the
				// dispatcher hears that this worker is gone.
				w.sync(db, true)
				if len(w.unreported) == 0 {
					return nil
				}
			}
			if giveUpC == nil {
				t := e.clock.NewTimer(reportGiveUp)
				defer t.Stop()
				giveUpC = t.C()
			}
		}
	}
}

func (w *worker) warn(msg string, err error) {
	if !w.failing {
		w.e.cfg.Logger.Error(msg, "node", w.c.Node, "error", err)
	}
	w.failing = true
}

// sync starts the tasks newly handed to this node, passes stop requests
// on, and stops tasks the dispatcher took back.
func (w *worker) sync(ctx context.Context, stopping bool) {
	cctx, cancel := context.WithTimeout(ctx, dbTimeout)
	as, err := w.c.Store.NodeAssignments(cctx, w.c.Node)
	cancel()
	if err != nil {
		w.warn("cannot reach the state for the tasks of this node; its running tasks go on", err)
		return
	}
	if w.failing {
		w.e.cfg.Logger.Warn("the state is reachable again", "node", w.c.Node)
	}
	w.failing = false
	seen := make(map[state.JobID]bool, len(as))
	for _, a := range as {
		seen[a.JobID] = true
		if t, ok := w.running[a.JobID]; ok {
			if a.Stop != "" {
				w.stop(t, parseStopReason(a.Stop))
			}
			continue
		}
		if _, ok := w.unreported[a.JobID]; ok {
			continue
		}
		switch {
		case a.StartedBy != "" && a.StartedBy != w.c.Process:
			// A previous incarnation of this node started it and died.
			w.e.killLeftovers(a.JobID)
			w.report(ctx, a.JobID, state.TaskResult{Status: state.JobTerminated, Message: fmt.Sprintf("terminated: node %s restarted while the job was running", w.c.Node), FinishedAt: w.e.clock.Now().UTC()})
		case a.Stop != "":
			status, msg := w.c.stopMessage(parseStopReason(a.Stop))
			w.report(ctx, a.JobID, state.TaskResult{Status: status, Message: msg, FinishedAt: w.e.clock.Now().UTC()})
		case stopping:
			// Handed over while this node stops: it does not start, and
			// the dispatcher hears so instead of waiting for it.
			w.report(ctx, a.JobID, state.TaskResult{Status: state.JobTerminated,
				Message: fmt.Sprintf("terminated: node %s stopped before the task started", w.c.Node), FinishedAt: w.e.clock.Now().UTC()})
		default:
			// Not started yet, or claimed by this process whose start
			// then failed half-way: start it.
			w.start(ctx, a)
		}
	}
	for id, t := range w.running {
		if !seen[id] {
			// The dispatcher took the task back (it declared this node
			// lost): it must not run on here.
			w.e.cfg.Logger.Error("a task of this node was taken back by the leading node; stopping it", "node", w.c.Node, "job", id)
			w.stop(t, stopFenced)
		}
	}
}

// start runs the process of an assignment.
func (w *worker) start(ctx context.Context, a state.Assignment) {
	cctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	job, err := w.e.store.Job(cctx, a.JobID)
	if err != nil {
		w.warn("read a task handed to this node", err)
		return
	}
	var ts TaskSpec
	if err := json.Unmarshal(job.Spec, &ts); err != nil {
		w.report(ctx, a.JobID, state.TaskResult{Status: state.JobError, Message: fmt.Sprintf("error: decode the task's spec: %v", err), FinishedAt: w.e.clock.Now().UTC()})
		return
	}
	ok, err := w.c.Store.StartAssignment(cctx, a.JobID, w.c.Node, w.c.Process, w.e.clock.Now())
	if err != nil {
		w.warn("record the start of a task handed to this node", err)
		return
	}
	if !ok {
		return // taken back or stopped meanwhile
	}
	tok := w.tokens[a.RunID]
	if tok == nil {
		tok = new(runToken)
		w.tokens[a.RunID] = tok
	}
	t := &workerTask{runID: a.RunID, stop: make(chan struct{})}
	w.running[a.JobID] = t
	start := taskStart{job: job, spec: ts, runID: a.RunID, stop: t.stop, reason: &t.reason, token: tok, stopMessage: w.c.stopMessage}
	go func() { w.ended <- w.e.execute(context.Background(), start) }()
}

func (w *worker) stop(t *workerTask, reason stopReason) {
	if t.reason != stopNone {
		return
	}
	t.reason = reason
	close(t.stop)
}

// finished stores the outcome of a process that ended here.
func (w *worker) finished(ctx context.Context, res taskResult) {
	t := w.running[res.jobID]
	delete(w.running, res.jobID)
	if t != nil {
		last := true
		for _, o := range w.running {
			last = last && o.runID != t.runID
		}
		if last {
			delete(w.tokens, t.runID)
		}
	}
	w.report(ctx, res.jobID, state.TaskResult{Status: res.status, Message: res.message, ExitCode: res.exitCode, PID: res.pid,
		FinishedAt: w.e.clock.Now().UTC(), LogPath: w.e.logPath(res.jobID)})
}

// report stores an outcome, or keeps it to store later.
func (w *worker) report(ctx context.Context, id state.JobID, r state.TaskResult) {
	cctx, cancel := context.WithTimeout(ctx, dbTimeout)
	ok, err := w.c.Store.ReportAssignment(cctx, id, w.c.Node, r)
	cancel()
	if err != nil {
		w.unreported[id] = r
		w.warn("store the outcome of a task; kept in memory until the state is reachable", err)
		return
	}
	delete(w.unreported, id)
	if !ok {
		w.e.cfg.Logger.Warn("the outcome of a task was not recorded: the leading node no longer waited for it (it declared this node lost)", "node", w.c.Node, "job", id, "status", r.Status)
		return
	}
	w.e.signalResults()
}

func (w *worker) retryReports(ctx context.Context) {
	for id, r := range w.unreported {
		w.report(ctx, id, r)
	}
}

// fence stops every task once the node's heartbeat could not be recorded
// for most of the lease (see stopFenced). It counts from the last recorded
// heartbeat, the same record the leader counts from when it declares the
// node lost, so the tasks have stopped before that.
func (w *worker) fence() {
	last := w.e.lastHeartbeat()
	if last.Before(w.started) {
		last = w.started
	}
	if w.e.clock.Now().Sub(last) < w.c.fenceAfter() {
		w.fenced = false
		return
	}
	if w.fenced || len(w.running) == 0 {
		return
	}
	w.fenced = true
	w.e.cfg.Logger.Error("the state has been out of reach for most of the lease: stopping this node's tasks, since another node may take their work over",
		"node", w.c.Node, "last_heartbeat", last, "tasks", len(w.running))
	for _, t := range w.running {
		w.stop(t, stopFenced)
	}
}

// HeartbeatRecorded tells the worker that the node's heartbeat of at was
// stored: the node counts as alive until at plus the lease.
func (e *Executor) HeartbeatRecorded(at time.Time) { e.heartbeatAt.Store(at.UnixNano()) }

func (e *Executor) lastHeartbeat() time.Time {
	n := e.heartbeatAt.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// pokeWorker wakes this process's worker at once (a task was handed to
// this node by its own dispatcher).
func (e *Executor) pokeWorker() {
	select {
	case e.workerPoke <- struct{}{}:
	default:
	}
}

// signalResults tells this process's dispatcher, if it leads, that an
// outcome was stored.
func (e *Executor) signalResults() {
	select {
	case e.localResults <- struct{}{}:
	default:
	}
}
