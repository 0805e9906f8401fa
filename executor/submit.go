package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// Triggers say why a job was created (the job's "trigger" field).
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	TriggerEvent    = "event"
	TriggerRetry    = "retry"
	TriggerAPI      = "api"
	// TriggerTask marks the job of an orchestration that a task of another
	// orchestration runs.
	TriggerTask = "task"
)

// Skip reasons of task jobs that never ran.
const (
	reasonInactive    = "skipped: the task is inactive (enabled = false)"
	reasonDeselected  = "skipped: not selected for this run"
	reasonOverlap     = "skipped: another job of the orchestration was running (on_overlap = \"skip\")"
	reasonPhaseFailed = "skipped: an earlier phase failed"
	reasonCancelled   = "skipped: the job was cancelled"
	reasonStopped     = "skipped: the executor stopped"
	reasonLoop        = "skipped: the job was a trigger loop"
)

// ErrUnknownOrchestration means a run names an orchestration that is not
// in the applied revision.
var ErrUnknownOrchestration = errors.New("unknown orchestration")

// errNothingApplied means the state has no revision yet.
var errNothingApplied = errors.New("nothing is applied yet; run baton apply (or baton reconcile --once) first")

// Request asks for one run of an orchestration.
type Request struct {
	Orchestration string
	// Only selects tasks by name; empty means every active task.
	Only []string
	// Skip deselects tasks by name.
	Skip []string
	// Parameters are per-task overrides, deep-merged over the task's.
	Parameters map[string]map[string]any
	// Trigger is one of the Trigger constants.
	Trigger     string
	TriggeredBy string
	// NotifyTo is who hears of a manual run (an e-mail address).
	NotifyTo string
	RetryOf  state.JobID
	// parentTask is set for the job of a task that runs an orchestration.
	parentTask state.JobID
	// chain lists the orchestrations whose jobs led to an event job.
	chain []string
	// loop marks the record of a trigger loop that is not run.
	loop bool
}

// TaskSpec is what a task job runs, fixed when the job is created so that a
// job runs with the revision it was created with.
type TaskSpec struct {
	// Argv is the command; elements starting with "./" resolve against the
	// source root of the revision.
	Argv []string `json:"argv,omitempty"`
	// Parameters are the configuration's parameters with the task's merged
	// over them; env references are kept and resolved at start.
	Parameters        map[string]any      `json:"parameters,omitempty"`
	Env               map[string]spec.Env `json:"env,omitempty"`
	Timeout           spec.Duration       `json:"timeout,omitempty"`
	ContinueOnFailure bool                `json:"continue_on_failure,omitempty"`
	// Orchestration is set when the task runs another orchestration.
	Orchestration string   `json:"orchestration,omitempty"`
	Outputs       []string `json:"outputs,omitempty"`
}

// RunSpec is what an orchestration job keeps of its orchestration.
type RunSpec struct {
	OnOverlap spec.OnOverlap `json:"on_overlap"`
	Notify    []spec.Notify  `json:"notify,omitempty"`
	// Chain lists the orchestrations whose jobs updated the tables that
	// triggered this job, oldest first (event jobs only).
	Chain []string `json:"chain,omitempty"`
	// Loop marks an event job recorded, not run, because its orchestration
	// was already in Chain.
	Loop bool `json:"loop,omitempty"`
	// LongRunning and WaitingTooLong are the orchestration's thresholds.
	LongRunning    spec.Threshold `json:"long_running,omitzero"`
	WaitingTooLong spec.Duration  `json:"waiting_too_long,omitempty"`
}

// SerialKey is the key under which jobs are serialized: jobs of one
// configuration never overlap, and an orchestration is a configuration too.
func SerialKey(kind, name string) string { return kind + ":" + name }

// applied returns the applied spec and the revision it came from.
func (e *Executor) applied(ctx context.Context) (*spec.Spec, string, error) {
	rev, err := e.store.CurrentRevision(ctx)
	if err != nil {
		if errors.Is(err, state.ErrNoRevision) {
			return nil, "", errNothingApplied
		}
		return nil, "", fmt.Errorf("read applied revision: %w", err)
	}
	e.specMu.Lock()
	defer e.specMu.Unlock()
	if e.specRev == rev.ID && e.spec != nil {
		return e.spec, rev.Ref, nil
	}
	objs, err := e.store.AppliedObjects(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("read applied objects: %w", err)
	}
	s, err := spec.FromObjects(objs)
	if err != nil {
		return nil, "", fmt.Errorf("decode applied objects: %w", err)
	}
	e.spec, e.specRev = s, rev.ID
	return s, rev.Ref, nil
}

// Submit records a new job of an orchestration, with one task job per task
// (skipped ones already marked with their reason), and wakes the dispatcher.
func (e *Executor) Submit(ctx context.Context, req Request) (state.Job, error) {
	return e.submit(ctx, req, nil)
}

// submit records the job together with the schedule fires that caused it.
func (e *Executor) submit(ctx context.Context, req Request, fires []state.ScheduleFire) (state.Job, error) {
	jobs, errs := e.submitMany(ctx, []submission{{req: req, fires: fires}})
	if errs[0] != nil {
		return state.Job{}, errs[0]
	}
	return jobs[0], nil
}

// submission is one job to submit with the fires that caused it.
type submission struct {
	req   Request
	fires []state.ScheduleFire
}

// submitMany records jobs in one transaction, through the dispatcher of
// this process when it runs, else waking the executor once for all; a
// request that cannot become a job gets its own error and does not hold
// back the others.
func (e *Executor) submitMany(ctx context.Context, subs []submission) ([]state.Job, []error) {
	s, revision, err := e.applied(ctx)
	if err != nil {
		errs := make([]error, len(subs))
		for i := range errs {
			errs[i] = err
		}
		return make([]state.Job, len(subs)), errs
	}
	return e.submitWith(ctx, s, revision, subs, nil)
}

// submitWith is submitMany against the applied spec s of revision, with
// the jobs' ids from reserved when it delivers them (see reserveFor).
func (e *Executor) submitWith(ctx context.Context, s *spec.Spec, revision string, subs []submission, reserved <-chan reservation) ([]state.Job, []error) {
	errs := make([]error, len(subs))
	jobs := make([]state.Job, len(subs))
	now := e.clock.Now().UTC()
	var sets []state.NewJobSet
	var index []int
	for i, sub := range subs {
		orch, tasks, err := buildJob(s, revision, sub.req, now)
		if err != nil {
			errs[i] = err
			continue
		}
		sets = append(sets, state.NewJobSet{Orchestration: orch, Tasks: tasks, Fires: sub.fires})
		index = append(index, i)
	}
	if len(sets) == 0 {
		return jobs, errs
	}
	if reserved != nil {
		r := <-reserved
		giveIDs(sets, &r)
	}
	created, taken, err := e.record(ctx, s, sets)
	if err != nil {
		for _, i := range index {
			errs[i] = fmt.Errorf("record job of %s: %w", subs[i].req.Orchestration, err)
		}
		return jobs, errs
	}
	for k, i := range index {
		jobs[i] = created[k]
		if !taken {
			e.notify(ctx, event{kind: evSubmitted, jobID: created[k].ID, job: created[k]})
		}
	}
	return jobs, errs
}

// buildJob turns a request into the rows of a new job. It is pure, so that
// selection rules are tested without a database.
func buildJob(s *spec.Spec, revision string, req Request, now time.Time) (state.NewJob, []state.NewJob, error) {
	var o *spec.Orchestration
	for _, c := range s.Orchestrations {
		if c.Name == req.Orchestration {
			o = c
		}
	}
	if o == nil {
		return state.NewJob{}, nil, unknownOrchestration(s, req.Orchestration)
	}
	if err := checkTaskNames(o, req); err != nil {
		return state.NewJob{}, nil, err
	}
	configurations := map[string]*spec.Configuration{}
	for _, c := range s.Configurations {
		configurations[c.Name] = c
	}
	components := map[string]*spec.Component{}
	for _, c := range s.Components {
		components[c.Name] = c
	}
	runSpec, err := json.Marshal(RunSpec{OnOverlap: o.OnOverlap, Notify: o.Notify, Chain: req.chain, Loop: req.loop,
		LongRunning: o.LongRunning, WaitingTooLong: o.WaitingTooLong})
	if err != nil {
		return state.NewJob{}, nil, fmt.Errorf("encode run spec: %w", err)
	}
	orch := state.NewJob{
		Kind:          state.KindOrchestrationJob,
		ParentTaskID:  req.parentTask,
		Orchestration: o.Name,
		SerialKey:     SerialKey("orchestration", o.Name),
		Status:        state.JobCreated,
		Trigger:       req.Trigger,
		TriggeredBy:   req.TriggeredBy,
		NotifyTo:      req.NotifyTo,
		Revision:      revision,
		RetryOf:       req.RetryOf,
		Spec:          runSpec,
		Selected:      true,
		CreatedAt:     now,
	}
	var tasks []state.NewJob
	for pi, ph := range o.Phases {
		for ti, t := range ph.Tasks {
			ts := TaskSpec{ContinueOnFailure: t.ContinueOnFailure, Orchestration: t.Orchestration}
			key := SerialKey("orchestration", t.Orchestration)
			if t.Configuration != "" {
				c := configurations[t.Configuration]
				if c == nil {
					return state.NewJob{}, nil, fmt.Errorf("task %q: configuration %q is not applied", t.Name, t.Configuration)
				}
				ts.Argv, ts.Timeout = c.Command, c.Timeout
				if comp := components[c.Component]; comp != nil && len(ts.Argv) == 0 {
					ts.Argv = comp.Command
				}
				if comp := components[c.Component]; comp != nil && ts.Timeout == 0 {
					ts.Timeout = comp.Timeout
				}
				ts.Parameters = spec.MergeParameters(spec.MergeParameters(c.Parameters, t.Parameters), req.Parameters[t.Name])
				ts.Env, ts.Outputs = c.Env, c.Outputs
				key = SerialKey("configuration", c.Name)
			}
			b, err := json.Marshal(ts)
			if err != nil {
				return state.NewJob{}, nil, fmt.Errorf("encode task %q: %w", t.Name, err)
			}
			nj := state.NewJob{
				Kind:          state.KindTaskJob,
				Orchestration: o.Name,
				Phase:         ph.Name,
				PhaseIndex:    pi,
				Task:          t.Name,
				TaskIndex:     ti,
				Configuration: t.Configuration,
				SerialKey:     key,
				Status:        state.JobCreated,
				Trigger:       req.Trigger,
				TriggeredBy:   req.TriggeredBy,
				Revision:      revision,
				Spec:          b,
				Selected:      true,
				CreatedAt:     now,
			}
			switch {
			case !t.Enabled:
				nj.Status, nj.Message, nj.Selected = state.JobSkipped, reasonInactive, false
			case !selected(t.Name, req):
				nj.Status, nj.Message, nj.Selected = state.JobSkipped, reasonDeselected, false
			}
			tasks = append(tasks, nj)
		}
	}
	return orch, tasks, nil
}

func selected(task string, req Request) bool {
	if len(req.Only) > 0 && !slices.Contains(req.Only, task) {
		return false
	}
	return !slices.Contains(req.Skip, task)
}

// checkTaskNames refuses a selection that names tasks the orchestration does
// not have: a typo must not silently run everything.
func checkTaskNames(o *spec.Orchestration, req Request) error {
	var names []string
	for _, ph := range o.Phases {
		for _, t := range ph.Tasks {
			names = append(names, t.Name)
		}
	}
	var unknown []string
	for _, list := range [][]string{req.Only, req.Skip, keysOf(req.Parameters)} {
		for _, n := range list {
			if !slices.Contains(names, n) {
				unknown = append(unknown, n)
			}
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	hint := ""
	if s := spec.Suggest(unknown[0], names); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("orchestration %q has no task %s%s; its tasks are: %s", o.Name, strings.Join(quoteAll(unknown), ", "), hint, strings.Join(quoteAll(names), ", "))
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func quoteAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// RetrySelection is the default selection of a retry of job: the failed
// tasks and every task of failed or not-executed phases, except inactive
// tasks and tasks that succeeded in job or in any job of its retry lineage
// (earlier: the jobs it retried, newest first). A retry of a retry thus
// never reruns what the first job already did.
func RetrySelection(job state.Job, earlier ...state.Job) []string {
	// A task a retry did not select keeps its outcome from the job before.
	effective := map[string]state.Job{}
	succeeded := map[string]bool{}
	lineage := append([]state.Job{job}, earlier...)
	for i := len(lineage) - 1; i >= 0; i-- {
		for _, t := range lineage[i].Tasks {
			if _, ok := effective[t.Task]; !ok || t.Message != reasonDeselected {
				effective[t.Task] = t
			}
			if t.Status == state.JobSuccess || t.Status == state.JobWarning {
				succeeded[t.Task] = true
			}
		}
	}
	failedPhase := map[int]bool{}
	ranPhase := map[int]bool{}
	for _, t := range effective {
		switch t.Status {
		case state.JobError, state.JobTerminated, state.JobCancelled:
			failedPhase[t.PhaseIndex] = true
			ranPhase[t.PhaseIndex] = true
		case state.JobSuccess, state.JobWarning, state.JobProcessing:
			ranPhase[t.PhaseIndex] = true
		}
	}
	var out []string
	for _, jt := range job.Tasks {
		t := effective[jt.Task]
		switch {
		case jt.Message == reasonInactive || succeeded[t.Task]:
			continue
		case failedPhase[jt.PhaseIndex] || !ranPhase[jt.PhaseIndex]:
			out = append(out, t.Task)
		}
	}
	return out
}

// retryLineage reads the jobs job retried, newest first.
func (e *Executor) retryLineage(ctx context.Context, job state.Job) ([]state.Job, error) {
	var out []state.Job
	for id := job.RetryOf; id != 0 && len(out) < 1000; {
		j, err := e.store.Job(ctx, id)
		if errors.Is(err, state.ErrNotFound) {
			break // collected history ends the lineage
		}
		if err != nil {
			return nil, fmt.Errorf("read job %d that job %d retried: %w", id, job.ID, err)
		}
		out = append(out, j)
		id = j.RetryOf
	}
	return out, nil
}

// Retry creates a new job of a finished job's orchestration that runs the
// given tasks, or the default selection when tasks is empty.
func (e *Executor) Retry(ctx context.Context, id state.JobID, tasks []string, triggeredBy string) (state.Job, error) {
	job, err := e.store.Job(ctx, id)
	if err != nil {
		return state.Job{}, fmt.Errorf("read job %d: %w", id, err)
	}
	if job.Kind != state.KindOrchestrationJob {
		return state.Job{}, fmt.Errorf("job %d is a task of job %d; retry the orchestration job", id, job.ParentID)
	}
	if !job.Status.Terminal() {
		return state.Job{}, fmt.Errorf("job %d is still %s; wait for it to end or cancel it first", id, job.Status)
	}
	if len(tasks) == 0 {
		lineage, err := e.retryLineage(ctx, job)
		if err != nil {
			return state.Job{}, err
		}
		tasks = RetrySelection(job, lineage...)
		if len(tasks) == 0 {
			return state.Job{}, fmt.Errorf("job %d has nothing to retry: every task succeeded (in it or in the jobs it retried) or is inactive; pass --tasks or --all to run tasks again", id)
		}
	}
	return e.Submit(ctx, Request{
		Orchestration: job.Orchestration,
		Only:          tasks,
		Trigger:       TriggerRetry,
		TriggeredBy:   triggeredBy,
		NotifyTo:      job.NotifyTo,
		RetryOf:       job.ID,
	})
}

// DryRun builds the job a request would queue, against the applied
// revision, and records nothing: the orchestration job and its task jobs,
// with the tasks that would not run already skipped with their reason.
func (e *Executor) DryRun(ctx context.Context, req Request) (state.NewJob, []state.NewJob, error) {
	s, revision, err := e.applied(ctx)
	if err != nil {
		return state.NewJob{}, nil, err
	}
	return buildJob(s, revision, req, e.clock.Now().UTC())
}

// Applied returns the applied spec and the revision it came from.
func (e *Executor) Applied(ctx context.Context) (*spec.Spec, string, error) {
	return e.applied(ctx)
}

// unknownOrchestration says name is not applied, with the closest name.
func unknownOrchestration(s *spec.Spec, name string) error {
	names := make([]string, 0, len(s.Orchestrations))
	for _, c := range s.Orchestrations {
		names = append(names, c.Name)
	}
	hint := "baton jobs lists past runs; the applied orchestrations are: " + strings.Join(names, ", ")
	if sug := spec.Suggest(name, names); sug != "" {
		hint = fmt.Sprintf("did you mean %q?", sug)
	}
	return fmt.Errorf("%w %q in the applied revision; %s", ErrUnknownOrchestration, name, hint)
}
