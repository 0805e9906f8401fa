package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/token"
)

// who is what a job records as its trigger's author.
func who(s *session) string {
	if s.Token.Owner != "" {
		return s.Token.Owner + " (web UI, token " + s.Token.ID + ")"
	}
	return "web UI, token " + s.Token.ID
}

func jobURL(id state.JobID) string { return "/jobs/" + strconv.FormatInt(int64(id), 10) }

// actionJob reads the job of the path for an action, which needs the
// scope orchestrations:run.
func (u *UI) actionJob(w http.ResponseWriter, r *http.Request, s *session) (state.Job, bool) {
	job, ok := u.readJob(w, r, s)
	if ok && !s.CanRun(job.Orchestration) {
		u.fail(w, r, s, http.StatusForbidden, "Your token lacks the scope orchestrations:run for "+job.Orchestration+".")
		return job, false
	}
	return job, ok
}

func (u *UI) retry(w http.ResponseWriter, r *http.Request, s *session) {
	job, ok := u.actionJob(w, r, s)
	if !ok {
		return
	}
	tasks := r.PostForm["task"]
	if len(tasks) == 0 {
		u.fail(w, r, s, http.StatusBadRequest, "Select at least one task to retry.")
		return
	}
	retry, err := u.cfg.Executor.Retry(r.Context(), job.ID, tasks, who(s))
	if err != nil {
		u.fail(w, r, s, http.StatusConflict, "The job could not be retried: "+err.Error())
		return
	}
	http.Redirect(w, r, jobURL(retry.ID), http.StatusSeeOther)
}

func (u *UI) cancel(w http.ResponseWriter, r *http.Request, s *session) {
	job, ok := u.actionJob(w, r, s)
	if !ok {
		return
	}
	_, err := u.cfg.Executor.Cancel(r.Context(), job.ID)
	if errors.Is(err, state.ErrJobEnded) {
		u.fail(w, r, s, http.StatusConflict, fmt.Sprintf("Job #%d already ended; retry it instead.", job.ID))
		return
	}
	if err != nil {
		u.internal(w, err)
		return
	}
	http.Redirect(w, r, jobURL(job.ID), http.StatusSeeOther)
}

type runData struct {
	Orchestration *spec.Orchestration
	Picker        picker
	Error         string
}

// orchestration finds an applied orchestration the session may see.
func (u *UI) orchestration(w http.ResponseWriter, r *http.Request, s *session) (*spec.Spec, *spec.Orchestration, bool) {
	name := r.PathValue("name")
	if !token.Allows(s.Token, token.ScopeJobsRead, name) {
		u.fail(w, r, s, http.StatusForbidden, "Your token may not see the orchestration "+name+".")
		return nil, nil, false
	}
	sp, err := u.appliedSpec(r.Context())
	if err != nil {
		u.internal(w, err)
		return nil, nil, false
	}
	for _, o := range sp.Orchestrations {
		if o.Name == name {
			return sp, o, true
		}
	}
	u.fail(w, r, s, http.StatusNotFound, "The orchestration "+name+" is not applied.")
	return nil, nil, false
}

func (u *UI) runPage(w http.ResponseWriter, r *http.Request, s *session) {
	sp, o, ok := u.orchestration(w, r, s)
	if !ok {
		return
	}
	if !s.CanRun(o.Name) {
		u.fail(w, r, s, http.StatusForbidden, "Your token lacks the scope orchestrations:run for "+o.Name+".")
		return
	}
	u.render(w, r, http.StatusOK, "run", page{Title: "Run " + o.Name, Nav: "orchestrations", Session: s,
		Data: runData{Orchestration: o, Picker: runPicker(o, effectiveParameters(sp, o))}})
}

func (u *UI) run(w http.ResponseWriter, r *http.Request, s *session) {
	sp, o, ok := u.orchestration(w, r, s)
	if !ok {
		return
	}
	if !s.CanRun(o.Name) {
		u.fail(w, r, s, http.StatusForbidden, "Your token lacks the scope orchestrations:run for "+o.Name+".")
		return
	}
	again := func(msg string) {
		p := runPicker(o, effectiveParameters(sp, o))
		chosen := map[string]bool{}
		for _, t := range r.PostForm["task"] {
			chosen[t] = true
		}
		for i := range p.Phases {
			for j := range p.Phases[i].Tasks {
				p.Phases[i].Tasks[j].Checked = chosen[p.Phases[i].Tasks[j].Name]
			}
		}
		u.render(w, r, http.StatusBadRequest, "run", page{Title: "Run " + o.Name, Nav: "orchestrations", Session: s,
			Data: runData{Orchestration: o, Picker: p, Error: msg}})
	}
	only := r.PostForm["task"]
	if len(only) == 0 {
		again("Select at least one task to run.")
		return
	}
	params := map[string]map[string]any{}
	for key, vals := range r.PostForm {
		task, ok := strings.CutPrefix(key, "params.")
		if !ok || len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(vals[0]), &v); err != nil {
			again(fmt.Sprintf("The parameter overrides of %s are not a JSON object: %v", task, err))
			return
		}
		params[task] = v
	}
	job, err := u.cfg.Executor.Submit(r.Context(), executor.Request{
		Orchestration: o.Name, Only: only, Parameters: params,
		Trigger: executor.TriggerManual, TriggeredBy: who(s), NotifyTo: s.Token.Owner,
	})
	if err != nil {
		again("The job could not be created: " + err.Error())
		return
	}
	http.Redirect(w, r, jobURL(job.ID), http.StatusSeeOther)
}

// effectiveParameters is each task's configuration parameters with the
// task's merged over them, as JSON.
func effectiveParameters(sp *spec.Spec, o *spec.Orchestration) map[string]string {
	configs := map[string]*spec.Configuration{}
	for _, c := range sp.Configurations {
		configs[c.Name] = c
	}
	out := map[string]string{}
	for _, ph := range o.Phases {
		for _, t := range ph.Tasks {
			var base map[string]any
			if c := configs[t.Configuration]; c != nil {
				base = c.Parameters
			}
			merged := spec.MergeParameters(base, t.Parameters)
			if len(merged) == 0 {
				continue
			}
			if b, err := json.Marshal(merged); err == nil {
				out[t.Name] = string(b)
			}
		}
	}
	return out
}
