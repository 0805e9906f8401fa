package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/token"
)

const jobsPerPage = 50

var triggers = []string{executor.TriggerManual, executor.TriggerSchedule, executor.TriggerEvent, executor.TriggerRetry, executor.TriggerAPI, executor.TriggerTask}

var statuses = []state.JobStatus{state.JobCreated, state.JobWaiting, state.JobProcessing, state.JobSuccess, state.JobWarning,
	state.JobError, state.JobCancelled, state.JobTerminated, state.JobSkipped}

type jobsData struct {
	Filter         url.Values
	Orchestration  string
	Status         string
	Trigger        string
	Orchestrations []string
	Statuses       []state.JobStatus
	Triggers       []string
	Jobs           []state.Job
	// Older is the query of the next page, "" on the last.
	Older string
	First bool
	Now   time.Time
}

func (u *UI) jobsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := jobsData{Statuses: statuses, Triggers: triggers, Orchestration: q.Get("orchestration"), Status: q.Get("status"), Trigger: q.Get("trigger")}
	names, err := u.orchestrationNames(r, s)
	if err != nil {
		u.internal(w, err)
		return
	}
	d.Orchestrations = names
	f := state.JobFilter{Kind: state.KindOrchestrationJob, Orchestration: d.Orchestration, Limit: jobsPerPage + 1}
	if lim := s.Token.Orchestrations; len(lim) > 0 && f.Orchestration == "" {
		// A token limited to some orchestrations lists one at a time.
		f.Orchestration, d.Orchestration = lim[0], lim[0]
	}
	if f.Orchestration != "" && !token.Allows(s.Token, token.ScopeJobsRead, f.Orchestration) {
		u.fail(w, r, s, http.StatusForbidden, "Your token may not see the jobs of "+f.Orchestration+".")
		return
	}
	if d.Status != "" {
		st, err := state.ParseJobStatus(d.Status)
		if err != nil {
			u.fail(w, r, s, http.StatusBadRequest, err.Error())
			return
		}
		f.Statuses = []state.JobStatus{st}
	}
	if d.Trigger != "" {
		if !slices.Contains(triggers, d.Trigger) {
			u.fail(w, r, s, http.StatusBadRequest, "Unknown trigger "+strconv.Quote(d.Trigger)+".")
			return
		}
		f.Trigger = d.Trigger
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			u.fail(w, r, s, http.StatusBadRequest, "The page position must be a job id.")
			return
		}
		f.BeforeID = state.JobID(n)
	}
	d.First = f.BeforeID == 0
	jobs, err := u.cfg.Store.ListJobs(r.Context(), f)
	if err != nil {
		u.internal(w, err)
		return
	}
	if len(jobs) > jobsPerPage {
		jobs = jobs[:jobsPerPage]
		next := url.Values{}
		for _, k := range []string{"orchestration", "status", "trigger"} {
			if v := q.Get(k); v != "" {
				next.Set(k, v)
			}
		}
		next.Set("before", strconv.FormatInt(int64(jobs[len(jobs)-1].ID), 10))
		d.Older = next.Encode()
	}
	d.Jobs, d.Now = jobs, u.cfg.Clock.Now().UTC()
	u.render(w, r, http.StatusOK, "jobs", page{Title: "Jobs", Nav: "jobs", Session: s, Live: "/events", Data: d})
}

// orchestrationNames lists the applied orchestrations the session may see.
func (u *UI) orchestrationNames(r *http.Request, s *session) ([]string, error) {
	sp, err := u.appliedSpec(r.Context())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range sp.Orchestrations {
		if token.Allows(s.Token, token.ScopeJobsRead, o.Name) {
			out = append(out, o.Name)
		}
	}
	return out, nil
}

type jobData struct {
	Job     state.Job
	Gantt   gantt
	Lineage []state.Job // older attempts, newest first
	Retries []state.Job
	// RetryDefault is the manual's default selection of a retry.
	RetryDefault map[string]bool
	CanRun       bool
	Logs         []taskLog
	Active       bool
}

type taskLog struct {
	Task   state.Job
	Text   string
	Offset int64
	Cut    bool
}

// logWindow is how much of a task's log the page shows; the rest is a
// download away.
const logWindow = 64 << 10

func (u *UI) jobPage(w http.ResponseWriter, r *http.Request, s *session) {
	job, ok := u.readJob(w, r, s)
	if !ok {
		return
	}
	if job.Kind == state.KindTaskJob {
		http.Redirect(w, r, "/jobs/"+strconv.FormatInt(int64(job.ParentID), 10)+"#task-"+strconv.FormatInt(int64(job.ID), 10), http.StatusSeeOther)
		return
	}
	now := u.cfg.Clock.Now().UTC()
	d := jobData{Job: job, Gantt: layoutGantt(job, now), CanRun: s.CanRun(job.Orchestration), Active: !job.Status.Terminal()}
	for id, n := job.RetryOf, 0; id != 0 && n < 20; n++ {
		prev, err := u.cfg.Store.Job(r.Context(), id)
		if err != nil {
			break
		}
		d.Lineage = append(d.Lineage, prev)
		id = prev.RetryOf
	}
	retries, err := u.cfg.Store.ListJobs(r.Context(), state.JobFilter{Kind: state.KindOrchestrationJob, RetryOf: job.ID, Limit: 20})
	if err != nil {
		u.internal(w, err)
		return
	}
	d.Retries = retries
	if job.Status.Terminal() {
		d.RetryDefault = map[string]bool{}
		for _, t := range executor.RetrySelection(job) {
			d.RetryDefault[t] = true
		}
	}
	for _, t := range job.Tasks {
		if t.LogPath != "" {
			d.Logs = append(d.Logs, u.readLog(r.Context(), t))
		}
	}
	u.render(w, r, http.StatusOK, "job", page{Title: "Job " + strconv.FormatInt(int64(job.ID), 10), Nav: "jobs", Session: s,
		Live: "/events?job=" + strconv.FormatInt(int64(job.ID), 10), Data: d})
}

// readLog reads the end of a task's log: from its file, or, for a task
// that runs or ran on another node, from what a shared state keeps of it;
// for a task that ended, it says where a log found in neither is.
func (u *UI) readLog(ctx context.Context, t state.Job) taskLog {
	l := taskLog{Task: t}
	logs := executor.LogsOf(u.cfg.Store)
	text, end, cut, ok := executor.TailLog(ctx, logs, t, logWindow)
	if !ok {
		if t.Status.Terminal() {
			l.Text = "baton: " + executor.MissingLog(logs, t) + "\n"
		}
		return l
	}
	l.Text, l.Offset, l.Cut = string(text), end, cut
	return l
}

// readJob reads the job of the path and checks the session may see it.
func (u *UI) readJob(w http.ResponseWriter, r *http.Request, s *session) (state.Job, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		u.fail(w, r, s, http.StatusNotFound, "Job ids are numbers.")
		return state.Job{}, false
	}
	job, err := u.cfg.Store.Job(r.Context(), state.JobID(id))
	if err != nil {
		u.failFor(w, r, s, err, "Job "+strconv.FormatInt(id, 10))
		return state.Job{}, false
	}
	if !token.Allows(s.Token, token.ScopeJobsRead, job.Orchestration) {
		u.fail(w, r, s, http.StatusForbidden, "Your token may not see the jobs of "+job.Orchestration+".")
		return state.Job{}, false
	}
	return job, true
}
