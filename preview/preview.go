// Package preview shows an orchestration as applied and what a run of it
// would do, without queuing anything: the values behind baton show and
// baton run --dry-run, printed as text or JSON from the same value.
package preview

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/schedule"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// NextFires is how many upcoming fires a schedule shows.
const NextFires = 10

// Orchestration is an orchestration as applied.
type Orchestration struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Revision    string        `json:"revision"`
	OnOverlap   string        `json:"on_overlap"`
	Phases      []Phase       `json:"phases"`
	Schedules   []Schedule    `json:"schedules"`
	Trigger     *Trigger      `json:"trigger,omitempty"`
	Notify      []spec.Notify `json:"notify,omitempty"`
	// Suspended is set while an operator has suspended the orchestration:
	// its schedules and trigger do not fire.
	Suspended *state.Suspension `json:"suspended,omitempty"`
	// LongRunning and WaitingTooLong are the notification thresholds in
	// force (the defaults when the orchestration sets none).
	LongRunning    string `json:"long_running"`
	WaitingTooLong string `json:"waiting_too_long"`
}

// Phase is a phase with its tasks, in order.
type Phase struct {
	Name  string `json:"name"`
	Tasks []Task `json:"tasks"`
}

// Task is a task with what it runs: the effective parameters are the
// configuration's with the task's (and a run's) deep-merged over them.
type Task struct {
	Name              string         `json:"name"`
	Configuration     string         `json:"configuration,omitempty"`
	Orchestration     string         `json:"orchestration,omitempty"`
	Enabled           bool           `json:"enabled"`
	ContinueOnFailure bool           `json:"continue_on_failure"`
	Run               bool           `json:"run"`
	Reason            string         `json:"reason,omitempty"`
	Command           []string       `json:"command,omitempty"`
	Timeout           string         `json:"timeout,omitempty"`
	Parameters        map[string]any `json:"parameters"`
	Env               []string       `json:"env,omitempty"`
	Outputs           []string       `json:"outputs,omitempty"`
}

// Schedule is a schedule in words with its next fires.
type Schedule struct {
	Cron     string      `json:"cron"`
	Timezone string      `json:"timezone"`
	Kind     string      `json:"kind"`
	Words    string      `json:"words"`
	Next     []time.Time `json:"next"`
}

// Trigger is an event trigger and where it stands.
type Trigger struct {
	Tables   []string               `json:"tables"`
	Cooldown string                 `json:"cooldown,omitempty"`
	Status   executor.TriggerStatus `json:"status"`
}

// Run is what a run would do: the job it would queue, with every task.
type Run struct {
	Orchestration string  `json:"orchestration"`
	Revision      string  `json:"revision"`
	Phases        []Phase `json:"phases"`
}

// Show reads the applied orchestration name, its schedules' next fires
// after now and its trigger's status.
func Show(ctx context.Context, ex *executor.Executor, name string, now time.Time) (Orchestration, error) {
	s, revision, err := ex.Applied(ctx)
	if err != nil {
		return Orchestration{}, err
	}
	run, err := DryRun(ctx, ex, executor.Request{Orchestration: name, Trigger: executor.TriggerManual})
	if err != nil {
		return Orchestration{}, err
	}
	o := find(s, name)
	out := Orchestration{Name: o.Name, Description: o.Description, Revision: revision, OnOverlap: string(o.OnOverlap),
		Phases: run.Phases, Schedules: []Schedule{}, Notify: o.Notify,
		LongRunning: spec.DefaultLongRunning.String(), WaitingTooLong: spec.DefaultWaitingTooLong.String()}
	if !o.LongRunning.IsZero() {
		out.LongRunning = o.LongRunning.String()
	}
	if o.WaitingTooLong > 0 {
		out.WaitingTooLong = o.WaitingTooLong.String()
	}
	projectZone := ""
	if s.Project != nil {
		projectZone = s.Project.Timezone
	}
	for _, sc := range o.Schedules {
		zone := sc.Zone(projectZone)
		parsed, err := schedule.Parse(sc.Cron, zone)
		if err != nil {
			return out, fmt.Errorf("schedule %q of %s: %w", sc.Cron, name, err)
		}
		if zone == "" {
			zone = "UTC"
		}
		out.Schedules = append(out.Schedules, Schedule{Cron: sc.Cron, Timezone: zone, Kind: schedule.Kind(sc.Cron),
			Words: schedule.Describe(sc.Cron), Next: schedule.NextN(parsed, now.UTC(), NextFires)})
	}
	if sp, ok, err := ex.Suspension(ctx, name); err != nil {
		return out, err
	} else if ok {
		out.Suspended = &sp
	}
	if o.Trigger != nil {
		st, _, err := ex.TriggerStatus(ctx, name)
		if err != nil {
			return out, fmt.Errorf("read trigger status of %s: %w", name, err)
		}
		out.Trigger = &Trigger{Tables: o.Trigger.Tables, Status: st}
		if o.Trigger.Cooldown > 0 {
			out.Trigger.Cooldown = o.Trigger.Cooldown.Std().String()
		}
	}
	return out, nil
}

// DryRun builds the job req would queue and records nothing.
func DryRun(ctx context.Context, ex *executor.Executor, req executor.Request) (Run, error) {
	orch, tasks, err := ex.DryRun(ctx, req)
	if err != nil {
		return Run{}, err
	}
	s, _, err := ex.Applied(ctx)
	if err != nil {
		return Run{}, err
	}
	o := find(s, req.Orchestration)
	run := Run{Orchestration: orch.Orchestration, Revision: orch.Revision}
	for _, ph := range o.Phases {
		run.Phases = append(run.Phases, Phase{Name: ph.Name, Tasks: []Task{}})
	}
	for _, tj := range tasks {
		var ts executor.TaskSpec
		if err := json.Unmarshal(tj.Spec, &ts); err != nil {
			return run, fmt.Errorf("decode task %q: %w", tj.Task, err)
		}
		st := o.Phases[tj.PhaseIndex].Tasks[tj.TaskIndex]
		t := Task{Name: tj.Task, Configuration: tj.Configuration, Orchestration: ts.Orchestration, Enabled: st.Enabled,
			ContinueOnFailure: ts.ContinueOnFailure, Run: tj.Status != state.JobSkipped, Reason: tj.Message,
			Command: ts.Argv, Parameters: ts.Parameters, Outputs: ts.Outputs}
		if t.Parameters == nil {
			t.Parameters = map[string]any{}
		}
		if ts.Timeout > 0 {
			t.Timeout = ts.Timeout.Std().String()
		}
		for k := range ts.Env {
			t.Env = append(t.Env, k)
		}
		slices.Sort(t.Env)
		run.Phases[tj.PhaseIndex].Tasks = append(run.Phases[tj.PhaseIndex].Tasks, t)
	}
	return run, nil
}

// find returns the orchestration name; DryRun has already refused an
// unknown one.
func find(s *spec.Spec, name string) *spec.Orchestration {
	for _, o := range s.Orchestrations {
		if o.Name == name {
			return o
		}
	}
	return &spec.Orchestration{Name: name}
}
