package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
)

func newRunCommand(g *globals) *cobra.Command {
	var (
		only, skip []string
		params     []string
		detach     bool
		dryRun     bool
		asJSON     bool
		notify     string
		serverURL  string
	)
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "Run an orchestration now and follow its progress",
		Long: `Run queues a manual job of the orchestration NAME of the applied revision.
Without --detach it follows the job: when no other baton process executes
jobs for this state, this one does, and then it exits only once the jobs
that other runs queued meanwhile have ended too (it holds their tasks). A
process that only follows takes over when the executing one exits; Ctrl-C
(or SIGTERM) makes it leave at once and its job goes on. Ctrl-C of the
executing process terminates the running tasks. Progress goes to stderr,
and the exit code is 1 when the job ends error, cancelled or terminated.

--param TASK.KEY=VALUE overrides a task parameter (VALUE is JSON, or a string).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			overrides, err := parseParams(params)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			req := executor.Request{Orchestration: args[0], Only: only, Skip: skip, Parameters: overrides}
			if dryRun {
				return g.dryRun(ctx, req, asJSON)
			}
			if serverURL != "" {
				var job state.Job
				body := map[string]any{"only": only, "skip": skip, "parameters": overrides}
				if err := remote(ctx, serverURL, "POST", "/v1/orchestrations/"+pathEscape(args[0])+"/jobs", body, &job); err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				if asJSON {
					return writeJSON(g.stdout, job)
				}
				fmt.Fprintf(g.stdout, "%d\n", job.ID)
				return nil
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			ex := g.newExecutor(st, nil)
			// A signal while the job is being recorded does not undo it:
			// the job is queued whole, then the signal is heard.
			job, err := ex.Submit(context.WithoutCancel(ctx), executor.Request{
				Orchestration: args[0],
				Only:          only,
				Skip:          skip,
				Parameters:    overrides,
				Trigger:       executor.TriggerManual,
				TriggeredBy:   currentUser(),
				NotifyTo:      notify,
			})
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return g.followOrDetach(ctx, st, ex, job, detach, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&only, "only", nil, "run only these tasks (comma-separated names)")
	f.StringSliceVar(&skip, "skip", nil, "do not run these tasks")
	f.StringArrayVar(&params, "param", nil, "override a task parameter: TASK.KEY=VALUE (repeatable)")
	f.BoolVar(&detach, "detach", false, "queue the job and return at once")
	f.BoolVar(&dryRun, "dry-run", false, "print what would run, with effective parameters, and queue nothing")
	f.BoolVar(&asJSON, "json", false, "print the job as JSON")
	f.StringVar(&notify, "notify", os.Getenv("BATON_NOTIFY_EMAIL"), "your e-mail: a manual run notifies only you (env BATON_NOTIFY_EMAIL)")
	f.StringVar(&serverURL, "server", "", "queue the run through the API of a baton watch --listen (token from BATON_TOKEN); implies --detach")
	return cmd
}

// followOrDetach follows a queued job, or reports it at once with detach.
func (g *globals) followOrDetach(ctx context.Context, st state.Store, ex *executor.Executor, job state.Job, detach, asJSON bool) error {
	if detach {
		return g.reportDetached(ctx, st, job, asJSON)
	}
	return g.executeAndFollow(ctx, st, ex, job, asJSON)
}

func (g *globals) reportDetached(ctx context.Context, st state.Store, job state.Job, asJSON bool) error {
	if asJSON {
		return writeJSON(g.stdout, job)
	}
	fmt.Fprintf(g.stdout, "%d\n", job.ID)
	if running, err := st.ExecutorRunning(ctx); err == nil && !running {
		fmt.Fprintf(g.stderr, "baton: job %d is queued, but no baton process executes jobs for %s; it runs at the next baton watch or reconcile --once\n", job.ID, g.stateName())
	} else {
		fmt.Fprintf(g.stderr, "baton: job %d is queued; follow it with baton jobs show %d\n", job.ID, job.ID)
	}
	return nil
}

// executeAndFollow follows the job. While no other process executes jobs
// for the state, this one does; it then holds every running task of the
// state, so it exits only once the queue is empty (a process that exited
// earlier would kill the tasks of other runs). A process that only follows
// takes the queue over when the one executing exits, and leaves on a
// signal: its job goes on.
func (g *globals) executeAndFollow(ctx context.Context, st state.Store, ex *executor.Executor, queued state.Job, asJSON bool) error {
	id := queued.ID
	stopTrying := make(chan struct{})
	run := newLocalExecutor()
	go func() {
		run.err = executeWhenFree(ctx, ex, stopTrying, run)
		close(run.done)
	}()
	job, err := follow(ctx, st, ex, queued, newProgress(g.stderr), run, followPollMax)
	close(stopTrying)
	if errors.Is(err, errStoppedFollowing) {
		<-run.done
		fmt.Fprintf(g.stderr, "baton: stopped following; job %d goes on (it runs in the baton process that executes jobs for %s, or in the next one)\n  follow it with: baton jobs show %d, or baton jobs logs -f %d\n", id, g.state, id, id)
		return &exitError{code: exitFailure}
	}
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	if ex.Running() {
		fmt.Fprintf(g.stderr, "baton: job %d ended; this process still executes jobs that other baton runs queued and exits once none is left (Ctrl-C terminates them)\n", id)
	}
	<-run.done
	if run.err != nil && !errors.Is(run.err, context.Canceled) {
		fmt.Fprintf(g.stderr, "baton: executor: %v\n", run.err)
	}
	if asJSON {
		if err := writeJSON(g.stdout, job); err != nil {
			return err
		}
	} else {
		writeSummary(g.stderr, job)
	}
	if failedStatus(job.Status) {
		return &exitError{code: exitFailure}
	}
	return nil
}

// takeOverEvery is how often a follower tries to become the executor.
const takeOverEvery = 250 * time.Millisecond

// executeWhenFree runs the executor until the queue is empty whenever no
// other process does, and tries again until stop is closed (the job
// ended) or ctx ends. A run that started goes on until the queue is empty
// or ctx ends; each time it ran the queue empty it keeps the jobs that
// ended and tells run.idle, so the follower takes its job at once instead
// of at its next poll, and without reading it back.
func executeWhenFree(ctx context.Context, ex *executor.Executor, stop <-chan struct{}, run *localExecutor) error {
	for {
		ended, err := ex.Run(ctx, executor.RunOptions{UntilIdle: true})
		if err != nil && !errors.Is(err, executor.ErrBusy) {
			return err
		}
		if err == nil {
			run.keep(ended)
			select {
			case run.idle <- struct{}{}:
			default:
			}
		}
		t := time.NewTimer(takeOverEvery)
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return nil
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// localExecutor is the executor of this process, while it tries to run.
type localExecutor struct {
	done chan struct{} // closed when it has stopped; err is set then
	err  error
	// idle hears each time it ran the queue empty: the followed job
	// has ended then, whoever ran it.
	idle chan struct{}
	mu   sync.Mutex
	// ended holds the jobs it ran to their end, as stored.
	ended map[state.JobID]state.Job
}

func newLocalExecutor() *localExecutor {
	return &localExecutor{done: make(chan struct{}), idle: make(chan struct{}, 1), ended: map[state.JobID]state.Job{}}
}

// keep notes jobs that ended in a run of the executor that returned no
// error: they are stored as they are.
func (l *localExecutor) keep(jobs []state.Job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, j := range jobs {
		l.ended[j.ID] = j
	}
}

// endedJob is job id as the executor of this process ended it, if it did.
func (l *localExecutor) endedJob(id state.JobID) (state.Job, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	j, ok := l.ended[id]
	return j, ok
}

// followPollMax bounds how long a follower waits between two looks at its
// job while another process runs it.
const followPollMax = time.Second

// errStoppedFollowing means a signal ended a follower; its job goes on.
var errStoppedFollowing = errors.New("stopped following")

// follow polls the job until it ends, reporting changes; it starts from
// the job as queued, and takes the job as the executor of this process
// ended it when it did. It also ends when the local executor fails, and
// on a signal: at once when this process only follows, else once the
// executor has stopped the job's tasks.
func follow(ctx context.Context, st state.Store, ex *executor.Executor, queued state.Job, p *progress, run *localExecutor, pollMax time.Duration) (state.Job, error) {
	done := ctx.Done()
	runDone := run.done
	id := queued.ID
	for first := true; ; first = false {
		job, ended := run.endedJob(id)
		switch {
		case ended:
		case first:
			// Not kept after: a 1000-task job is not held twice.
			job, queued = queued, state.Job{}
		default:
			var err error
			if job, err = st.Job(context.WithoutCancel(ctx), id); err != nil {
				return state.Job{}, fmt.Errorf("read job %d: %w", id, err)
			}
		}
		p.update(job)
		if job.Status.Terminal() {
			return job, nil
		}
		if runDone == nil && ctx.Err() != nil {
			// The executor here stopped before the job started; the
			// next one runs it.
			return job, errStoppedFollowing
		}
		// Reading a job costs in proportion to its tasks; a big job is
		// polled less often so the follower does not slow the run.
		wait := time.NewTimer(min(100*time.Millisecond+time.Duration(len(job.Tasks))*time.Millisecond, pollMax))
		select {
		case <-run.idle:
			wait.Stop()
		case <-runDone:
			wait.Stop()
			if run.err != nil && ctx.Err() == nil {
				return job, fmt.Errorf("executor: %w", run.err)
			}
			runDone = nil
			continue
		case <-done:
			wait.Stop()
			if !ex.Running() {
				return job, errStoppedFollowing
			}
			done = nil // the executor here terminates the job's tasks
		case <-wait.C:
		}
	}
}

func failedStatus(s state.JobStatus) bool {
	return s == state.JobError || s == state.JobCancelled || s == state.JobTerminated
}

// progress prints a job's changes, phase by phase, to a terminal or log.
type progress struct {
	w      io.Writer
	color  bool
	seen   map[state.JobID]state.JobStatus
	phase  string
	header bool
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, color: isTerminal(w), seen: map[state.JobID]state.JobStatus{}}
}

// update reports what changed in job, in one write: the lines of a
// 1000-task job that ended are one write, not 1000.
func (p *progress) update(job state.Job) {
	var b bytes.Buffer
	p.updateTo(&b, job)
	if b.Len() > 0 {
		_, _ = p.w.Write(b.Bytes())
	}
}

func (p *progress) updateTo(w io.Writer, job state.Job) {
	if !p.header {
		fmt.Fprintf(w, "job %d: %s (%s, revision %s)\n", job.ID, terminal.Escape(job.Orchestration), job.Trigger, terminal.Escape(shortRevision(job.Revision)))
		p.header = true
	}
	if p.seen[job.ID] != job.Status && (job.Status == state.JobWaiting) {
		fmt.Fprintf(w, "  waiting for another job of %s to end\n", terminal.Escape(job.Orchestration))
	}
	p.seen[job.ID] = job.Status
	for _, t := range job.Tasks {
		if p.seen[t.ID] == t.Status || t.Status == state.JobCreated {
			p.seen[t.ID] = t.Status
			continue
		}
		p.seen[t.ID] = t.Status
		if t.Phase != p.phase {
			p.phase = t.Phase
			fmt.Fprintf(w, "  phase %s\n", terminal.Escape(t.Phase))
		}
		line := fmt.Sprintf("    %-30s %s", terminal.Escape(t.Task), p.paint(t.Status))
		if t.Status.Terminal() && !t.StartedAt.IsZero() {
			line += "  " + duration(t.StartedAt, t.FinishedAt)
		}
		if t.Message != "" && t.Status != state.JobSuccess {
			line += "  " + terminal.Escape(t.Message)
		}
		fmt.Fprintln(w, line)
	}
}

func (p *progress) paint(s state.JobStatus) string {
	text := fmt.Sprintf("%-10s", s)
	if !p.color {
		return text
	}
	code := map[state.JobStatus]string{
		state.JobSuccess: "32", state.JobWarning: "33", state.JobError: "31",
		state.JobTerminated: "31", state.JobCancelled: "35", state.JobProcessing: "36", state.JobWaiting: "90", state.JobSkipped: "90",
	}[s]
	if code == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func writeSummary(w io.Writer, job state.Job) {
	counts := map[state.JobStatus]int{}
	for _, t := range job.Tasks {
		counts[t.Status]++
	}
	var parts []string
	for _, s := range []state.JobStatus{state.JobSuccess, state.JobWarning, state.JobError, state.JobTerminated, state.JobCancelled, state.JobSkipped} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(w, "job %d ended %s in %s (tasks: %s)\n", job.ID, job.Status, duration(job.StartedAt, job.FinishedAt), strings.Join(parts, ", "))
	if job.Message != "" && job.Status != state.JobSuccess {
		fmt.Fprintf(w, "  %s\n", terminal.Escape(job.Message))
	}
	if failedStatus(job.Status) {
		fmt.Fprintf(w, "  logs: baton jobs logs %d; retry the failed tasks: baton jobs retry %d\n", job.ID, job.ID)
	}
}

func duration(from, to time.Time) string {
	if from.IsZero() {
		return "-"
	}
	if to.IsZero() {
		to = time.Now()
	}
	return to.Sub(from).Round(time.Millisecond).String()
}

func shortRevision(r string) string {
	if len(r) > 12 && !strings.HasPrefix(r, "sha256:") {
		return r[:12]
	}
	return r
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == ""
}

func currentUser() string {
	for _, k := range []string{"BATON_USER", "USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "cli"
}

// parseParams reads TASK.KEY=VALUE overrides; VALUE is JSON when it
// parses as JSON, else a string.
func parseParams(in []string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, p := range in {
		key, value, ok := strings.Cut(p, "=")
		task, name, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 || task == "" || name == "" {
			return nil, fmt.Errorf("--param %q: write TASK.KEY=VALUE, e.g. --param adform.since=-7d", p)
		}
		var v any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			v = value
		}
		if out[task] == nil {
			out[task] = map[string]any{}
		}
		out[task][name] = v
	}
	return out, nil
}
