// Package executor runs jobs: it queues orchestration jobs, serializes jobs
// of one configuration, runs the phases of a job one after another and the
// tasks of a phase in parallel under a limit of processes, and records every
// transition in the state before acting on it. One goroutine, the
// dispatcher, owns every scheduling decision; task goroutines only run
// processes and report back.
package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/proctree"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// Config wires an executor to its state, clock and process runner.
type Config struct {
	Store  state.Store
	Clock  clock.Clock
	Runner Runner
	// JobsDir holds a data directory and a log per task job.
	JobsDir string
	// SourceDir returns the source root of a revision; "./" argv elements
	// resolve against it. Nil leaves them relative to the job data dir.
	SourceDir func(ctx context.Context, revision string) (string, error)
	// Getenv resolves env() references; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Environ is the base environment of tasks; nil means os.Environ().
	Environ []string
	// MaxParallel overrides the project's max_parallel_jobs when > 0.
	MaxParallel int
	// Slots, when > 0, caps the task processes of this process (a node's
	// --slots) below the project's limit.
	Slots int
	// KillGrace is the time between SIGTERM and SIGKILL (default 10 s).
	KillGrace time.Duration
	// LogLimit caps a task's log file (default 10 MiB).
	LogLimit int64
	// APIURL is given to tasks as BATON_API_URL when the API is served.
	APIURL string
	// Tokens returns the orchestration tokens given to tasks as
	// BATON_TOKEN, by orchestration: the tasks that start together look
	// their tokens up at once.
	Tokens func(ctx context.Context, orchestrations []string) (map[string]string, error)
	// OnTablesUpdated is called (from the dispatcher; it must not block)
	// after a job's output tables were recorded, so event triggers can be
	// checked at once.
	OnTablesUpdated func()
	// Observer, if set, hears of job transitions and schedule fires.
	Observer Observer
	// Cluster, when set, makes this executor a node of several sharing
	// the state: tasks run on any node's worker (see Cluster).
	Cluster *Cluster
	Logger  *slog.Logger
}

// Executor submits and runs jobs.
type Executor struct {
	cfg    Config
	store  state.Store
	clock  clock.Clock
	events chan event
	// active is true while Run's dispatcher accepts events in this process.
	active atomic.Bool
	// fault is set while writes to the state fail (see StateWritable).
	fault atomic.Pointer[stateFault]
	// creations, while the dispatcher runs here, takes new jobs into it.
	creations atomic.Pointer[creations]
	// starts are the task starts in flight.
	starts *startsInFlight
	// spares are data dirs made ahead for the tasks due next.
	spares *spareDirs
	// unstored are the new jobs the dispatcher holds and has not stored.
	unstored unstoredJobs
	// endedHere are the last jobs that ended in this process.
	endedHere recentJobs
	// handed holds the jobs this process recorded while no dispatcher
	// ran here, for the next one.
	handed handOff
	// unkeptLogs holds the tasks whose log could not be kept in the state
	// when they ended (see keepLog); the worker tries them again.
	unkeptLogs sync.Map

	specMu  sync.Mutex
	spec    *spec.Spec
	specRev int64

	// working is true while Work runs in this process.
	working atomic.Bool
	// heartbeatAt is the node's last recorded heartbeat (Unix ns).
	heartbeatAt atomic.Int64
	// workerPoke wakes this node's worker; localResults wakes this
	// node's dispatcher (both only for a node of a cluster).
	workerPoke   chan struct{}
	localResults chan struct{}
}

// Cluster is the cluster this executor is a node of; nil when it runs
// every task in its own process.
func (e *Executor) Cluster() *Cluster { return e.cfg.Cluster }

// Working is true while this node's worker runs (Work): a standby node
// is ready while it does.
func (e *Executor) Working() bool { return e.working.Load() }

// Running is true while Run's dispatcher runs in this process: /readyz
// reports an executor that stopped.
func (e *Executor) Running() bool { return e.active.Load() }

// New returns an executor with defaults filled in.
func New(cfg Config) *Executor {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Runner == nil {
		cfg.Runner = OSRunner{}
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.LookupEnv
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ()
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = 10 * time.Second
	}
	if cfg.LogLimit <= 0 {
		cfg.LogLimit = 10 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	starts := newStartsInFlight(cfg.Clock)
	spares := &spareDirs{starts: starts}
	if cfg.JobsDir != "" {
		spares.dir = spareDir(cfg.JobsDir)
	}
	starts.onQuiet = spares.kick
	return &Executor{cfg: cfg, store: cfg.Store, clock: cfg.Clock, events: make(chan event, 256),
		workerPoke: make(chan struct{}, 1), localResults: make(chan struct{}, 1), starts: starts, spares: spares}
}

type eventKind int

const (
	evSubmitted eventKind = iota
	evWake
	evCancel
	evTaskDone
	evLongRunning
	evWaitingTooLong
)

type event struct {
	kind  eventKind
	jobID state.JobID
	// job is the new job of evSubmitted, so the dispatcher need not read it.
	job    state.Job
	result taskResult
}

// notify tells the dispatcher of this process about a new job or a cancel,
// or another process's dispatcher through the state's wake-up.
func (e *Executor) notify(ctx context.Context, ev event) {
	if e.active.Load() {
		select {
		case e.events <- ev:
		case <-ctx.Done():
		}
		return
	}
	if ev.kind == evSubmitted {
		e.handed.put(ev.job)
	}
	if err := e.store.Wake(ctx); err != nil {
		e.cfg.Logger.Warn("could not wake the executor; it picks the job up on its next look at the state", "error", err)
	}
}

// Cancel asks for a job to end: tasks that did not start are skipped,
// running ones get SIGTERM and, after the grace period, SIGKILL.
func (e *Executor) Cancel(ctx context.Context, id state.JobID) (state.Job, error) {
	job, err := e.store.Job(ctx, id)
	if err != nil {
		return state.Job{}, fmt.Errorf("read job %d: %w", id, err)
	}
	if job.Kind == state.KindTaskJob {
		return state.Job{}, fmt.Errorf("%w: job %d is task %q of job %d; cancel job %d to cancel the whole run, or pass --task to cancel only this task",
			ErrTaskJob, id, job.Task, job.ParentID, job.ParentID)
	}
	job, err = e.store.RequestCancel(ctx, id)
	if err != nil {
		return state.Job{}, fmt.Errorf("cancel job %d: %w", id, err)
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

// settleCancelled finishes cancelled jobs when no executor runs: nobody
// else would. With an executor running, the wake-up tells it instead.
func (e *Executor) settleCancelled(ctx context.Context) error {
	lease, err := e.store.AcquireExecutor(ctx, holder())
	if errors.Is(err, ErrBusy) {
		return nil
	}
	if err != nil {
		return err
	}
	defer releaseLease(lease, e.cfg.Logger)
	d := newDispatcher(e)
	defer d.stopTimers()
	d.stop = ctx
	if err := d.recover(ctx); err != nil {
		return err
	}
	active, err := e.store.ActiveJobStatuses(ctx)
	if err != nil {
		return fmt.Errorf("read active jobs: %w", err)
	}
	if err := d.cancelRequestedTasks(ctx, active); err != nil {
		return err
	}
	for _, r := range d.pending {
		if r.job.CancelRequested {
			r.cancelled = true
			if err := d.finish(ctx, r); err != nil {
				return err
			}
		}
	}
	return d.flush(ctx)
}

// RunOptions say how long Run runs.
type RunOptions struct {
	// UntilIdle makes Run return once no job is queued or running.
	UntilIdle bool
	// Grace is how long running tasks may go on after ctx ends before they
	// are terminated.
	Grace time.Duration
	// Lease, when set, is the executor lease the caller already holds (a
	// node that waited to lead); Run neither takes nor releases it.
	Lease state.Lease
	// LostNode names the node that led before this one and was lost:
	// what recovery ends says so.
	LostNode string
}

// ErrBusy means another process executes jobs of the same state.
var ErrBusy = state.ErrBusy

// holder names this process to the next one that finds the lease taken.
func holder() string { return fmt.Sprintf("pid %d", os.Getpid()) }

func releaseLease(l state.Lease, logger *slog.Logger) {
	if err := l.Release(); err != nil {
		logger.Warn("release the executor lease", "error", err)
	}
}

// Run executes jobs until ctx ends (or the queue is empty, with UntilIdle).
// It returns the top-level jobs that ended while it ran, with their tasks,
// as the state has them (when it returns no error). It holds the
// state's executor lease throughout; losing it ends Run as ctx would.
func (e *Executor) Run(ctx context.Context, opts RunOptions) (_ []state.Job, err error) {
	// A stop that comes before the loop began cuts the start's reads
	// short: that is a stop, not a failure of the start.
	caller, looping := ctx, false
	defer func() {
		if !looping && caller.Err() != nil && errors.Is(err, context.Canceled) && !errors.Is(err, ErrLeaseLost) {
			err = nil
		}
	}()
	lease := opts.Lease
	if lease == nil {
		var err error
		if lease, err = e.acquire(ctx); err != nil {
			return nil, err
		}
		defer releaseLease(lease, e.cfg.Logger)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer func() { err = afterLease(ctx, err) }()
	go func() {
		select {
		case <-lease.Lost():
			e.cfg.Logger.Error("the executor lease was lost; stopping")
			cancel(ErrLeaseLost)
		case <-ctx.Done():
		}
	}()
	wake, stop, err := e.store.WatchWake(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := os.MkdirAll(e.cfg.JobsDir, 0o700); err != nil {
		return nil, fmt.Errorf("create jobs dir: %w", err)
	}
	if err := e.spares.reset(); err != nil {
		e.cfg.Logger.Warn("data dirs are not made ahead of time; each task makes its own", "error", err)
	}
	defer e.spares.close()
	// Task cgroups are kept for the next tasks while the executor runs.
	defer proctree.Keep(e.treeGroup())()
	e.active.Store(true)
	defer e.active.Store(false)
	d := newDispatcher(e)
	defer d.stopTimers()
	d.stop = ctx
	d.lostNode = opts.LostNode
	if d.cl != nil {
		d.cl.lostLeader = opts.LostNode
	}
	if err := d.recover(ctx); err != nil {
		return nil, err
	}
	stopBeat, beating := make(chan struct{}), make(chan struct{})
	go func() { defer close(beating); e.heartbeat(stopBeat) }()
	defer func() { close(stopBeat); <-beating }()
	looping = true
	return d.loop(ctx, wake, opts)
}

// afterLease is what Run ends with: once its lease was lost, whatever it
// ended with (nil, or a read of its start cut short) came of the loss, and
// says so, so that a caller stopping anyway knows it for no failure.
func afterLease(ctx context.Context, err error) error {
	if !errors.Is(context.Cause(ctx), ErrLeaseLost) || errors.Is(err, ErrLeaseLost) {
		return err
	}
	if err == nil {
		return ErrLeaseLost
	}
	return fmt.Errorf("%w: %w", ErrLeaseLost, err)
}

// ErrLeaseLost ends Run when the executor lease was lost (a node cut off
// from the database): its tasks were stopped at once, since another node
// may lead now.
var ErrLeaseLost = errors.New("executor lease lost")

// appliedLimit is the process limit of the applied revision this executor
// read last (every submit and every look for due schedules reads it), or
// current before it read any: a revision applied while Run runs changes
// the limit from the next round on.
func (e *Executor) appliedLimit(current int) int {
	e.specMu.Lock()
	s := e.spec
	e.specMu.Unlock()
	if s == nil {
		return current
	}
	return e.maxParallel(s)
}

func (e *Executor) maxParallel(s *spec.Spec) int {
	n := runtime.NumCPU()
	switch {
	case e.cfg.MaxParallel > 0:
		n = e.cfg.MaxParallel
	case s != nil && s.Project != nil && s.Project.MaxParallelJobs > 0:
		n = s.Project.MaxParallelJobs
	}
	if e.cfg.Slots > 0 && e.cfg.Slots < n && e.cfg.Cluster == nil {
		n = e.cfg.Slots
	}
	return n
}
