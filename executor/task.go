package executor

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-dev/baton/internal/plainfile"
	"github.com/baton-dev/baton/proctree"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// taskStart is what a task goroutine needs; it never touches dispatcher
// state.
type taskStart struct {
	job    state.Job
	spec   TaskSpec
	runID  state.JobID
	stop   <-chan struct{}
	reason *stopReason // read only after stop is closed
	// prepared, when set, delivers the command prepared ahead of time.
	prepared <-chan prepared
	// token is the orchestration token of the run, looked up once for all
	// its tasks: a job keeps the token it started with.
	token *runToken
	// started, if set, ends the start in flight noted at the launch.
	started func()
	// stopMessage, when set, says how a task stopped for a reason ended
	// (a node's worker words it for its node).
	stopMessage func(stopReason) (state.JobStatus, string)
}

// runToken is a run's orchestration token, fetched on first use (or
// filled in by a look-up for many runs).
type runToken struct {
	once  sync.Once
	known atomic.Bool
	val   string
	err   error
}

func (r *runToken) get(fetch func() (string, error)) (string, error) {
	if r == nil {
		return fetch()
	}
	r.once.Do(func() {
		r.val, r.err = fetch()
		r.known.Store(true)
	})
	return r.val, r.err
}

// fill sets the token unless it is known already.
func (r *runToken) fill(val string) {
	r.once.Do(func() {
		r.val = val
		r.known.Store(true)
	})
}

// needed reports whether the token is still to be looked up.
func (r *runToken) needed() bool { return r != nil && !r.known.Load() }

type taskResult struct {
	jobID    state.JobID
	status   state.JobStatus
	message  string
	exitCode *int
	pid      *int
	// finishedAt is when the process ended on its node; zero: when the
	// dispatcher hears of it.
	finishedAt time.Time
	// logPath is where the log is on the node that ran the task, when
	// that is another node.
	logPath string
}

// execute runs one task process to its end and says how it ended.
func (e *Executor) execute(ctx context.Context, t taskStart) taskResult {
	res := taskResult{jobID: t.job.ID}
	started := t.started
	if started == nil {
		started = e.starts.begin()
	}
	defer started()
	defer e.keepLog(t.job.ID)
	fail := func(format string, args ...any) taskResult {
		res.status, res.message = state.JobError, "error: "+fmt.Sprintf(format, args...)
		return res
	}
	log := newCappedLog(e.logPath(t.job.ID), e.cfg.LogLimit)
	defer e.streamLog(t.job.ID)() // ends before keepLog keeps the whole log
	var cmd Command
	var err error
	if t.prepared != nil {
		p := <-t.prepared
		cmd, err = p.cmd, p.err
	} else {
		cmd, err = e.prepare(ctx, t)
	}
	if err != nil {
		fmt.Fprintf(log, "baton: %v\n", err)
		log.Close()
		return fail("%v", err)
	}
	cmd.Log = log
	proc, err := e.cfg.Runner.Start(ctx, cmd)
	started()
	if err != nil {
		fmt.Fprintf(log, "baton: %v\n", err)
		log.Close()
		return fail("%v; check the command of configuration %q", err, t.job.Configuration)
	}
	pid := proc.PID()
	res.pid = &pid
	type exit struct {
		code int
		err  error
	}
	waited := make(chan exit, 1)
	go func() {
		code, err := proc.Wait()
		waited <- exit{code, err}
	}()
	var timeout <-chan time.Time
	if t.spec.Timeout > 0 {
		timer := e.clock.NewTimer(t.spec.Timeout.Std())
		defer timer.Stop()
		timeout = timer.C()
	}
	var x exit
	select {
	case x = <-waited:
	case <-timeout:
		proc.Stop(e.cfg.KillGrace)
		x = <-waited
		res.status, res.message = state.JobTerminated, fmt.Sprintf("terminated: timed out after %s", t.spec.Timeout)
	case <-t.stop:
		proc.Stop(e.cfg.KillGrace)
		x = <-waited
		if t.stopMessage != nil {
			res.status, res.message = t.stopMessage(*t.reason)
		} else if *t.reason == stopCancel {
			res.status, res.message = state.JobCancelled, "cancelled"
		} else {
			res.status, res.message = state.JobTerminated, "terminated: the executor stopped"
		}
	}
	if err := log.Close(); err != nil && x.err == nil {
		x.err = err
	}
	res.exitCode = &x.code
	if res.status != "" {
		return res
	}
	switch {
	case x.err != nil:
		return fail("%v", x.err)
	case x.code == 0:
		res.status = state.JobSuccess
	case x.code < 0:
		res.status, res.message = state.JobError, "error: killed by a signal"
	default:
		res.status, res.message = state.JobError, fmt.Sprintf("error: exit code %d", x.code)
	}
	return res
}

// keepLogTimeout bounds how long keeping a log in the state may delay the
// outcome of its task; a log that could not be kept stays in its file.
const keepLogTimeout = 10 * time.Second

// keepLog copies a finished task's log into a state that keeps logs (one
// shared by several machines), so that any node can print it.
func (e *Executor) keepLog(id state.JobID) {
	logs, ok := e.store.(state.LogStore)
	if !ok {
		return
	}
	b, err := os.ReadFile(e.logPath(id))
	if err != nil {
		return // the task never started: there is no log
	}
	ctx, cancel := context.WithTimeout(context.Background(), keepLogTimeout)
	defer cancel()
	if err := logs.StoreLog(ctx, id, b); err != nil {
		e.unkeptLogs.Store(id, struct{}{})
		e.cfg.Logger.Warn("keep the task's log in the state; trying again while this node runs (meanwhile it is only in its file here)", "job", id, "file", e.logPath(id), "error", err)
	}
}

// logPath is where a task job's output goes: next to, not inside, its data
// dir, so the task cannot clobber it.
func (e *Executor) logPath(id state.JobID) string {
	return filepath.Join(e.cfg.JobsDir, strconv.FormatInt(int64(id), 10)+".log")
}

// killLeftovers kills what is left of a task that was running when its
// executor died. The parent-death signal reaches only the task's own
// process; the rest is in the task's cgroup, or found by the unique data
// dir in its environment, whatever process group it moved to.
func (e *Executor) killLeftovers(id state.JobID) {
	proctree.KillLeftovers(e.treeGroup(), treeKey(id), "BATON_DATA_DIR="+e.dataDir(id))
}

// treeGroup names the process trees (cgroups) of the executor's tasks: the
// jobs dir tells apart states that share a cgroup.
func (e *Executor) treeGroup() string {
	sum := sha256.Sum256([]byte(e.cfg.JobsDir))
	return fmt.Sprintf("baton-%x", sum[:4])
}

// treeKey names the process tree of a task job within its group.
func treeKey(id state.JobID) string { return "job-" + strconv.FormatInt(int64(id), 10) }

func (e *Executor) dataDir(id state.JobID) string {
	return filepath.Join(e.cfg.JobsDir, strconv.FormatInt(int64(id), 10))
}

// prepare creates the job's data dir with config.json and builds the
// command: argv resolved, and the environment tasks get (BATON_JOB_ID,
// BATON_DATA_DIR and the rest, listed in docs/language.md).
func (e *Executor) prepare(ctx context.Context, t taskStart) (Command, error) {
	dataDir := e.dataDir(t.job.ID)
	params, err := spec.ResolveEnv(t.spec.Parameters, e.cfg.Getenv)
	if err != nil {
		return Command{}, fmt.Errorf("parameters: %w; export it in baton's environment", err)
	}
	if params == nil {
		params = map[string]any{}
	}
	if err := e.makeDataDir(dataDir); err != nil {
		return Command{}, fmt.Errorf("create job data dir: %w", err)
	}
	config, err := json.MarshalIndent(map[string]any{"parameters": params, "action": "run"}, "", "  ")
	if err != nil {
		return Command{}, fmt.Errorf("encode config.json: %w", err)
	}
	if err := plainfile.WriteFile(filepath.Join(dataDir, "config.json"), config, 0o600); err != nil {
		return Command{}, fmt.Errorf("write config.json: %w", err)
	}
	sourceDir := ""
	if e.cfg.SourceDir != nil {
		if sourceDir, err = e.cfg.SourceDir(ctx, t.job.Revision); err != nil {
			return Command{}, fmt.Errorf("source of revision %s: %w", t.job.Revision, err)
		}
	}
	argv := make([]string, len(t.spec.Argv))
	for i, a := range t.spec.Argv {
		if strings.HasPrefix(a, "./") && sourceDir != "" {
			a = filepath.Join(sourceDir, a)
		}
		argv[i] = a
	}
	env := slicesClone(e.cfg.Environ)
	var missing []string
	names := make([]string, 0, len(t.spec.Env))
	for name := range t.spec.Env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := t.spec.Env[name]
		if v.FromEnv != "" {
			val, ok := e.cfg.Getenv(v.FromEnv)
			if !ok {
				missing = append(missing, v.FromEnv)
				continue
			}
			env = append(env, name+"="+val)
			continue
		}
		env = append(env, name+"="+v.Value)
	}
	if len(missing) > 0 {
		return Command{}, fmt.Errorf("environment variable(s) %s not set; export them in baton's environment", strings.Join(missing, ", "))
	}
	env = append(env,
		"BATON_JOB_ID="+strconv.FormatInt(int64(t.job.ID), 10),
		"BATON_RUN_ID="+strconv.FormatInt(int64(t.runID), 10),
		"BATON_ORCHESTRATION="+t.job.Orchestration,
		"BATON_TASK="+t.job.Task,
		"BATON_CONFIGURATION="+t.job.Configuration,
		"BATON_DATA_DIR="+dataDir,
		"BATON_SOURCE_DIR="+sourceDir,
	)
	if e.cfg.APIURL != "" {
		env = append(env, "BATON_API_URL="+e.cfg.APIURL)
	}
	if e.cfg.Tokens != nil {
		tok, err := t.token.get(func() (string, error) { return e.tokenOf(ctx, t.job.Orchestration) })
		if err != nil {
			return Command{}, fmt.Errorf("orchestration token: %w", err)
		}
		env = append(env, "BATON_TOKEN="+tok)
	}
	return Command{Argv: argv, Dir: dataDir, Env: env, Group: e.treeGroup(), Key: treeKey(t.job.ID)}, nil
}

func slicesClone(in []string) []string {
	out := make([]string, len(in), len(in)+16)
	copy(out, in)
	return out
}
