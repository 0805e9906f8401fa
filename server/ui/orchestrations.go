package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/baton-dev/baton/schedule"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

type scheduleView struct {
	Cron  string
	Words string
	Zone  string
	Next  []time.Time
	Error string
}

type triggerTable struct {
	Table     string
	UpdatedAt time.Time
	// Since says the table was updated since the last execution (after
	// the cool-down).
	Since bool
}

type triggerView struct {
	Tables       []triggerTable
	LastRun      time.Time
	Cooldown     time.Duration
	CooldownLeft time.Duration
	Ready        bool
}

type orchestrationRow struct {
	O         *spec.Orchestration
	Schedules []scheduleView
	Trigger   *triggerView
	LastJob   *state.Job
	History   history
	// ManualOnly marks an orchestration with neither schedule nor trigger.
	ManualOnly bool
	Inactive   bool
	// Suspended is set while an operator has suspended it (baton suspend).
	Suspended *state.Suspension
}

func projectZone(sp *spec.Spec) string {
	if sp.Project != nil {
		return sp.Project.Timezone
	}
	return ""
}

// schedules says an orchestration's schedules in words with their next
// fires.
func schedules(sp *spec.Spec, o *spec.Orchestration, now time.Time, n int) []scheduleView {
	var out []scheduleView
	for _, sc := range o.Schedules {
		v := scheduleView{Cron: sc.Cron, Words: cronWords(sc.Cron), Zone: sc.Zone(projectZone(sp))}
		sched, err := schedule.Parse(sc.Cron, v.Zone)
		if err != nil {
			v.Error = err.Error()
		} else {
			v.Next = schedule.NextN(sched, now, n)
		}
		out = append(out, v)
	}
	return out
}

func (u *UI) trigger(ctx context.Context, o *spec.Orchestration, now time.Time) (*triggerView, error) {
	if o.Trigger == nil {
		return nil, nil
	}
	v := &triggerView{Cooldown: o.Trigger.Cooldown.Std()}
	last, _, err := u.cfg.Store.LastTriggerRun(ctx, o.Name)
	if err != nil {
		return nil, err
	}
	v.LastRun = last
	updated, err := u.cfg.Store.TableUpdatedAt(ctx, o.Trigger.Tables)
	if err != nil {
		return nil, err
	}
	threshold := last
	if !last.IsZero() {
		threshold = last.Add(v.Cooldown)
		v.CooldownLeft = max(threshold.Sub(now), 0)
	}
	v.Ready = true
	for _, t := range o.Trigger.Tables {
		at, ok := updated[t]
		since := ok && at.After(threshold)
		v.Ready = v.Ready && since
		v.Tables = append(v.Tables, triggerTable{Table: t, UpdatedAt: at, Since: since})
	}
	return v, nil
}

func (u *UI) orchestrationRow(ctx context.Context, sp *spec.Spec, o *spec.Orchestration, now time.Time) (orchestrationRow, error) {
	row := orchestrationRow{O: o, Schedules: schedules(sp, o, now, 3), ManualOnly: len(o.Schedules) == 0 && o.Trigger == nil}
	row.Inactive = !slices.ContainsFunc(o.Phases, func(p spec.Phase) bool {
		return slices.ContainsFunc(p.Tasks, func(t spec.Task) bool { return t.Enabled })
	})
	var err error
	if row.Trigger, err = u.trigger(ctx, o, now); err != nil {
		return row, err
	}
	suspensions, err := u.cfg.Store.Suspensions(ctx)
	if err != nil {
		return row, err
	}
	if sus, ok := state.Suspended(suspensions)[o.Name]; ok {
		row.Suspended = &sus
	}
	jobs, err := u.cfg.Store.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Orchestration: o.Name, Limit: 20})
	if err != nil {
		return row, err
	}
	if len(jobs) > 0 {
		row.LastJob = &jobs[0]
	}
	row.History = durationHistory(jobs, now)
	return row, nil
}

func (u *UI) orchestrationsPage(w http.ResponseWriter, r *http.Request, s *session) {
	sp, err := u.appliedSpec(r.Context())
	if err != nil {
		u.internal(w, err)
		return
	}
	now := u.cfg.Clock.Now().UTC()
	var rows []orchestrationRow
	for _, o := range visibleOrchestrations(sp, s) {
		row, err := u.orchestrationRow(r.Context(), sp, o, now)
		if err != nil {
			u.internal(w, err)
			return
		}
		rows = append(rows, row)
	}
	u.render(w, r, http.StatusOK, "orchestrations", page{Title: "Orchestrations", Nav: "orchestrations", Session: s, Data: rows})
}

// history is a small bar chart of an orchestration's recent job durations,
// oldest at the left.
type history struct {
	Bars []historyBar
	Max  time.Duration
}

type historyBar struct {
	X, Y, H float64
	Job     state.Job
	Took    time.Duration
}

const historyHeight = 30.0

func durationHistory(jobs []state.Job, now time.Time) history {
	var h history
	var took []time.Duration
	for _, j := range jobs {
		d := time.Duration(0)
		if !j.StartedAt.IsZero() {
			end := j.FinishedAt
			if end.IsZero() {
				end = now
			}
			d = end.Sub(j.StartedAt)
		}
		took = append(took, d)
		h.Max = max(h.Max, d)
	}
	for i := len(jobs) - 1; i >= 0; i-- {
		bar := historyBar{X: float64(len(h.Bars)) * 8, Job: jobs[i], Took: took[i], H: 1}
		if h.Max > 0 {
			bar.H = max(historyHeight*float64(took[i])/float64(h.Max), 1)
		}
		bar.Y = historyHeight - bar.H
		h.Bars = append(h.Bars, bar)
	}
	return h
}

type taskView struct {
	Phase  string
	Task   spec.Task
	Config *spec.Configuration
	Params string
}

type gridCell struct {
	Job    state.JobID
	TaskID state.JobID
	Status state.JobStatus
}

type orchestrationData struct {
	Row      orchestrationRow
	Tasks    []taskView
	Revision *state.Revision
	// Grid has a row per task and a column per job, newest at the left.
	Jobs  []state.Job
	Grid  [][]gridCell
	Names []string
}

const gridJobs = 25

func (u *UI) orchestrationPage(w http.ResponseWriter, r *http.Request, s *session) {
	sp, o, ok := u.orchestration(w, r, s)
	if !ok {
		return
	}
	now := u.cfg.Clock.Now().UTC()
	row, err := u.orchestrationRow(r.Context(), sp, o, now)
	if err != nil {
		u.internal(w, err)
		return
	}
	row.Schedules = schedules(sp, o, now, 5)
	d := orchestrationData{Row: row}
	configs := map[string]*spec.Configuration{}
	for _, c := range sp.Configurations {
		configs[c.Name] = c
	}
	params := effectiveParameters(sp, o)
	index := map[string]int{}
	for _, ph := range o.Phases {
		for _, t := range ph.Tasks {
			index[t.Name] = len(d.Names)
			d.Names = append(d.Names, t.Name)
			d.Tasks = append(d.Tasks, taskView{Phase: ph.Name, Task: t, Config: configs[t.Configuration], Params: params[t.Name]})
		}
	}
	if rev, err := u.cfg.Store.ObjectRevision(r.Context(), spec.KindOrchestration, o.Name); err == nil {
		d.Revision = &rev
	}
	jobs, err := u.cfg.Store.ListJobs(r.Context(), state.JobFilter{Kind: state.KindOrchestrationJob, Orchestration: o.Name, Limit: gridJobs})
	if err != nil {
		u.internal(w, err)
		return
	}
	d.Jobs = jobs
	d.Grid = make([][]gridCell, len(d.Names))
	for i := range d.Grid {
		d.Grid[i] = make([]gridCell, len(jobs))
	}
	for c, j := range jobs {
		for _, t := range j.Tasks {
			if i, ok := index[t.Task]; ok {
				d.Grid[i][c] = gridCell{Job: j.ID, TaskID: t.ID, Status: t.Status}
			}
		}
	}
	u.render(w, r, http.StatusOK, "orchestration", page{Title: o.Name, Nav: "orchestrations", Session: s, Data: d})
}

// jsonText prints parameters for people.
func jsonText(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}
