package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// TriggerKeyPrefix starts the keys under which triggers share the table
// of schedule fires: there the time is when the trigger came into force.
const TriggerKeyPrefix = "trigger: "

// TriggerKey names an event trigger in the state by its tables, so a
// trigger whose table list changes starts afresh like a new one.
func TriggerKey(t *spec.Trigger) string {
	tables := slices.Clone(t.Tables)
	sort.Strings(tables)
	return TriggerKeyPrefix + strings.Join(tables, ", ")
}

// FireTriggers queues a job of every orchestration whose trigger is
// satisfied (see TriggerSatisfied). A trigger seen for the first time, or
// with a new table list, counts from the applied revision on. A job whose
// tables were updated by a chain of jobs that already holds its
// orchestration is a loop: it is recorded skipped with the chain, not run.
// A suspended orchestration does not fire; updates made meanwhile still
// count once it is resumed.
func (e *Executor) FireTriggers(ctx context.Context, now time.Time) ([]state.Job, error) {
	s, _, err := e.applied(ctx)
	if err != nil {
		if errors.Is(err, errNothingApplied) {
			return nil, nil
		}
		return nil, err
	}
	if !slices.ContainsFunc(s.Orchestrations, triggered) {
		// The controller looks after every round of schedules: without
		// event triggers, that costs no query beyond the revision's.
		return nil, nil
	}
	fired, err := e.store.LastFires(ctx)
	if err != nil {
		return nil, err
	}
	suspended, err := e.suspended(ctx)
	if err != nil {
		return nil, err
	}
	var queued []state.Job
	for _, o := range s.Orchestrations {
		if !triggered(o) || suspended[o.Name] {
			continue
		}
		st, err := e.triggerStatus(ctx, o, fired, true)
		if err != nil {
			return queued, err
		}
		if st.Pending || !st.Satisfied {
			continue // a queued job reads the updates when it starts
		}
		chain, loop, err := e.causeChain(ctx, o.Name, o.Trigger.Tables)
		if err != nil {
			return queued, err
		}
		req := Request{Orchestration: o.Name, Trigger: TriggerEvent, TriggeredBy: e.unattendedBy(ctx, []string{o.Name}, "tables")[o.Name], chain: chain}
		if loop {
			job, err := e.recordLoop(ctx, req, now)
			if err != nil {
				return queued, err
			}
			queued = append(queued, job)
			continue
		}
		job, err := e.Submit(ctx, req)
		if err != nil {
			return queued, err
		}
		queued = append(queued, job)
	}
	return queued, nil
}

// TriggerSatisfied is the manual's rule: every table was updated since the
// orchestration's last execution (lastRun, zero if none) and since the
// trigger came into force (since); updates within the cool-down after the
// last execution do not count.
func TriggerSatisfied(t *spec.Trigger, updated map[string]time.Time, lastRun, since time.Time) bool {
	threshold := since
	if !lastRun.IsZero() {
		threshold = maxTime(threshold, lastRun.Add(t.Cooldown.Std()))
	}
	for _, table := range t.Tables {
		at, ok := updated[table]
		if !ok || !at.After(threshold) {
			return false
		}
	}
	return true
}

// TriggerStatus is where an orchestration's event trigger stands.
type TriggerStatus struct {
	// Since is when the trigger, with its current tables, came into force.
	Since time.Time `json:"since"`
	// LastExecution is the start of the orchestration's newest job.
	LastExecution time.Time `json:"last_execution,omitzero"`
	// Pending is set while a job of the orchestration is queued.
	Pending bool `json:"pending"`
	// CountsAfter is the instant after which an update counts.
	CountsAfter time.Time `json:"counts_after"`
	// Updated is the last update of each table (absent: never updated).
	Updated map[string]time.Time `json:"updated"`
	// Waiting lists the tables without an update that counts.
	Waiting []string `json:"waiting"`
	// Satisfied is set when every table has an update that counts.
	Satisfied bool `json:"satisfied"`
}

// TriggerStatus reads where the trigger of the applied orchestration name
// stands; ok is false when it has no trigger.
func (e *Executor) TriggerStatus(ctx context.Context, name string) (TriggerStatus, bool, error) {
	s, _, err := e.applied(ctx)
	if err != nil {
		return TriggerStatus{}, false, err
	}
	for _, o := range s.Orchestrations {
		if o.Name == name && o.Trigger != nil && len(o.Trigger.Tables) > 0 {
			fired, err := e.store.LastFires(ctx)
			if err != nil {
				return TriggerStatus{}, false, err
			}
			st, err := e.triggerStatus(ctx, o, fired, false)
			return st, err == nil, err
		}
	}
	return TriggerStatus{}, false, nil
}

// triggerStatus computes the status; record stores when a trigger seen for
// the first time came into force (read-only callers leave it to the next
// FireTriggers).
func (e *Executor) triggerStatus(ctx context.Context, o *spec.Orchestration, fired map[[2]string]time.Time, record bool) (TriggerStatus, error) {
	var st TriggerStatus
	var err error
	if st.Since, err = e.triggerSince(ctx, o, fired, record); err != nil {
		return st, err
	}
	if st.LastExecution, st.Pending, err = e.lastExecution(ctx, o.Name); err != nil {
		return st, err
	}
	if st.Updated, err = e.store.TableUpdatedAt(ctx, o.Trigger.Tables); err != nil {
		return st, fmt.Errorf("read table updates of %s: %w", o.Name, err)
	}
	st.CountsAfter = st.Since
	if !st.LastExecution.IsZero() {
		st.CountsAfter = maxTime(st.Since, st.LastExecution.Add(o.Trigger.Cooldown.Std()))
	}
	for _, table := range o.Trigger.Tables {
		if at, ok := st.Updated[table]; !ok || !at.After(st.CountsAfter) {
			st.Waiting = append(st.Waiting, table)
		}
	}
	st.Satisfied = TriggerSatisfied(o.Trigger, st.Updated, st.LastExecution, st.Since)
	return st, nil
}

// triggerSince is when the orchestration's trigger, with its current table
// list, came into force: the revision that was applied when baton first saw
// it.
func (e *Executor) triggerSince(ctx context.Context, o *spec.Orchestration, fired map[[2]string]time.Time, record bool) (time.Time, error) {
	key := TriggerKey(o.Trigger)
	if at, ok := fired[[2]string{o.Name, key}]; ok {
		return at, nil
	}
	rev, err := e.store.CurrentRevision(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("read applied revision: %w", err)
	}
	if !record {
		return rev.AppliedAt, nil
	}
	if err := e.store.RecordFire(ctx, o.Name, key, rev.AppliedAt); err != nil {
		return time.Time{}, fmt.Errorf("record trigger of %s: %w", o.Name, err)
	}
	return rev.AppliedAt, nil
}

// lastExecution is the start of the orchestration's newest job of any
// trigger that started (a loop it stopped counts at its creation), and
// whether a job of it is queued and not yet started.
func (e *Executor) lastExecution(ctx context.Context, orchestration string) (time.Time, bool, error) {
	var before state.JobID
	for {
		jobs, err := e.store.ListJobs(ctx, state.JobFilter{Orchestration: orchestration, Kind: state.KindOrchestrationJob, BeforeID: before, Limit: 20})
		if err != nil {
			return time.Time{}, false, fmt.Errorf("read jobs of %s: %w", orchestration, err)
		}
		for _, j := range jobs {
			switch {
			case j.Status == state.JobCreated || j.Status == state.JobWaiting:
				return time.Time{}, true, nil
			case !j.StartedAt.IsZero():
				return j.StartedAt, false, nil
			case LoopStopped(j):
				return j.CreatedAt, false, nil
			}
			before = j.ID
		}
		if len(jobs) < 20 {
			return time.Time{}, false, nil
		}
	}
}

// triggered reports whether o has an event trigger.
func triggered(o *spec.Orchestration) bool { return o.Trigger != nil && len(o.Trigger.Tables) > 0 }

// unattendedBy is who the scheduled or event jobs of the orchestrations
// run as, by orchestration: each one's token, as the manual says ("as if
// the specified orchestration token triggered the execution"), or fallback
// for one without. The tokens are looked up at once.
func (e *Executor) unattendedBy(ctx context.Context, orchestrations []string, fallback string) map[string]string {
	tokens, err := e.store.OrchestrationTokens(ctx, orchestrations)
	by := make(map[string]string, len(orchestrations))
	for _, name := range orchestrations {
		by[name] = fallback
		if tok, ok := tokens[name]; ok && err == nil {
			by[name] = "token " + tok.ID
		}
	}
	return by
}

// causeChain lists the orchestrations whose jobs led to the latest update
// of the tables, oldest first: each updating job's own chain, then its
// orchestration. It is a loop when the latest update of every table comes
// from a chain that already holds orchestration: nothing from outside the
// chain asks for the run, so it would go on forever.
func (e *Executor) causeChain(ctx context.Context, orchestration string, tables []string) ([]string, bool, error) {
	var chain []string
	loop := len(tables) > 0
	for _, table := range tables {
		hist, err := e.store.TableHistory(ctx, table, 1)
		if err != nil {
			return nil, false, err
		}
		var names []string
		if len(hist) > 0 && hist[0].JobID != 0 {
			if names, err = e.jobChain(ctx, state.JobID(hist[0].JobID)); err != nil {
				return nil, false, err
			}
		}
		loop = loop && slices.Contains(names, orchestration)
		for _, n := range names {
			if !slices.Contains(chain, n) {
				chain = append(chain, n)
			}
		}
	}
	return chain, loop, nil
}

// jobChain is the chain of the orchestration job holding job id (a task or
// an orchestration job), through the jobs that ran it as a task.
func (e *Executor) jobChain(ctx context.Context, id state.JobID) ([]string, error) {
	var out []string
	for depth := 0; id != 0 && depth < 64; depth++ {
		j, err := e.store.Job(ctx, id)
		if errors.Is(err, state.ErrNotFound) {
			break // history was collected
		}
		if err != nil {
			return nil, fmt.Errorf("read job %d: %w", id, err)
		}
		if j.Kind == state.KindTaskJob {
			id = j.ParentID
			continue
		}
		var rs RunSpec
		_ = json.Unmarshal(j.Spec, &rs) // an old job without a chain has none
		out = append(append(slices.Clone(rs.Chain), j.Orchestration), out...)
		id = j.ParentTaskID
	}
	return out, nil
}

// LoopStopped reports whether a job is the record of a trigger loop that
// was not run.
func LoopStopped(j state.Job) bool {
	if j.Status != state.JobSkipped || j.Trigger != TriggerEvent {
		return false
	}
	var rs RunSpec
	return json.Unmarshal(j.Spec, &rs) == nil && rs.Loop
}

// recordLoop records the event job of a loop as skipped, with the chain,
// instead of running it.
func (e *Executor) recordLoop(ctx context.Context, req Request, now time.Time) (state.Job, error) {
	s, revision, err := e.applied(ctx)
	if err != nil {
		return state.Job{}, err
	}
	req.loop = true
	orch, tasks, err := buildJob(s, revision, req, now.UTC())
	if err != nil {
		return state.Job{}, err
	}
	path := strings.Join(append(slices.Clone(req.chain), req.Orchestration), " -> ")
	orch.Status, orch.Message = state.JobSkipped, fmt.Sprintf("skipped: trigger loop: the updated tables come from a chain of jobs that already ran %s (%s); fix the triggers or outputs so no orchestration triggers itself", req.Orchestration, path)
	for i := range tasks {
		if tasks[i].Status != state.JobSkipped {
			tasks[i].Status, tasks[i].Message = state.JobSkipped, reasonLoop
		}
	}
	job, err := e.store.CreateJob(ctx, orch, tasks)
	if err != nil {
		return state.Job{}, fmt.Errorf("record trigger loop of %s: %w", req.Orchestration, err)
	}
	e.cfg.Logger.Warn("trigger loop not fired", "orchestration", req.Orchestration, "chain", path, "job", job.ID)
	return job, nil
}
