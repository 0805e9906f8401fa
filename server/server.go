package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/health"
	"github.com/baton-dev/baton/schedule"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/token"
)

// Server is baton's HTTP API: orchestrations, jobs, tables and tokens
// under /v1, beside health, metrics and the web UI.
type Server struct {
	Store    state.Store
	Executor *executor.Executor
	Tokens   *token.Service
	Clock    clock.Clock
	Logger   *slog.Logger
	// TablesUpdated is called after a table update was recorded, so that
	// event triggers are checked at once.
	TablesUpdated func()
	// PublicMetrics serves /metrics without a token.
	PublicMetrics bool
	// Collectors are served on /metrics beside the state's figures: what
	// other parts count as it happens (notification deliveries).
	Collectors []prometheus.Collector
	// Ready answers /readyz; nil checks the source only.
	Ready *health.Checker
	// UI serves every path outside the API (the web UI), if set.
	UI http.Handler
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	registry := prometheus.NewRegistry()
	registry.MustRegister(newCollector(s.Store, s.Clock), newNodeCollector(s.Store, s.Clock))
	registry.MustRegister(s.Collectors...)
	metrics := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	if s.PublicMetrics {
		mux.Handle("GET /metrics", metrics)
	} else {
		mux.Handle("GET /metrics", s.auth(ScopeAdmin, func(w http.ResponseWriter, r *http.Request, _ state.Token) { metrics.ServeHTTP(w, r) }))
	}
	mux.Handle("GET /v1/orchestrations", s.auth(ScopeJobsRead, s.listOrchestrations))
	mux.Handle("GET /v1/orchestrations/{name}", s.auth(ScopeJobsRead, s.showOrchestration))
	mux.Handle("POST /v1/orchestrations/{name}/jobs", s.auth(ScopeRun, s.runOrchestration))
	mux.Handle("POST /v1/orchestrations/{name}/token/refresh", s.auth(ScopeAdmin, s.refreshToken))
	mux.Handle("GET /v1/jobs", s.auth(ScopeJobsRead, s.listJobs))
	mux.Handle("GET /v1/jobs/{id}", s.auth(ScopeJobsRead, s.showJob))
	mux.Handle("GET /v1/jobs/{id}/logs", s.auth(ScopeJobsRead, s.jobLogs))
	mux.Handle("POST /v1/jobs/{id}/retry", s.auth(ScopeRun, s.retryJob))
	mux.Handle("POST /v1/jobs/{id}/cancel", s.auth(ScopeRun, s.cancelJob))
	mux.Handle("GET /v1/tables", s.auth(ScopeTablesWrite, s.listTables))
	mux.Handle("POST /v1/tables/{id}/updates", s.auth(ScopeTablesWrite, s.updateTable))
	mux.Handle("GET /v1/tokens", s.auth(ScopeAdmin, s.listTokens))
	mux.Handle("POST /v1/tokens", s.auth(ScopeAdmin, s.createToken))
	mux.Handle("DELETE /v1/tokens/{id}", s.auth(ScopeAdmin, s.revokeToken))
	api := fallback(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.UI != nil && !strings.HasPrefix(r.URL.Path, "/v1/") && len(allowedMethods(mux, r)) == 0 {
			s.UI.ServeHTTP(w, r)
			return
		}
		api(w, r)
	})
	return limitBody(mux)
}

type handler func(w http.ResponseWriter, r *http.Request, tok state.Token)

// auth checks the bearer token and its scope: none or a bad one is 401, a
// token without the scope is 403.
func (s *Server) auth(scope string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := s.Tokens.Authenticate(r.Context(), r.Header.Get("Authorization"))
		if errors.Is(err, token.ErrUnauthorized) {
			// The body of an unauthenticated request is never read.
			refuseBody(w)
			w.Header().Set("WWW-Authenticate", `Bearer realm="baton"`)
			writeError(w, http.StatusUnauthorized, err.Error(), "create a token with baton tokens create and send it as Authorization: Bearer <token>")
			return
		}
		if err != nil {
			s.internal(w, err)
			return
		}
		if !token.Allows(tok, scope, "") {
			refuseBody(w)
			writeError(w, http.StatusForbidden, fmt.Sprintf("token %s lacks the scope %s", tok.ID, scope), "use a token with that scope")
			return
		}
		h(w, r, tok)
	})
}

// forOrchestration answers 403 when the token is limited to other
// orchestrations.
func forOrchestration(w http.ResponseWriter, tok state.Token, scope, orchestration string) bool {
	if token.Allows(tok, scope, orchestration) {
		return true
	}
	writeError(w, http.StatusForbidden, fmt.Sprintf("token %s may not act on orchestration %q", tok.ID, orchestration), "use a token without orchestration limits or with this orchestration")
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg, hint string) {
	writeJSON(w, status, map[string]string{"error": msg, "hint": hint})
}

func (s *Server) internal(w http.ResponseWriter, err error) {
	s.Logger.Error("API request failed", "error", err)
	writeError(w, http.StatusInternalServerError, "internal error", "see the baton log")
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		return true
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if isTooLarge(err) {
		writeError(w, http.StatusRequestEntityTooLarge, "request body is larger than 1 MiB", "send a smaller body")
		return false
	}
	if err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error(), "send one JSON object; see the API reference for this endpoint's fields")
		return false
	}
	// One value and nothing after it: a body with more is not what the
	// client meant to send.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "invalid JSON body: data after the JSON object", "send exactly one JSON object")
		return false
	}
	return true
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"status": "ok"}
	if rev, err := s.Store.CurrentRevision(r.Context()); err == nil {
		out["revision"] = rev.Ref
	}
	if st, err := s.Store.SourceStatus(r.Context()); err == nil && !st.StaleSince.IsZero() {
		out["source_stale_since"] = st.StaleSince
	}
	writeJSON(w, http.StatusOK, out)
}

type orchestrationView struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	NextFires   []time.Time     `json:"next_fires"`
	LastJob     *state.Job      `json:"last_job,omitempty"`
	Spec        json.RawMessage `json:"spec,omitempty"`
}

func (s *Server) orchestrations(ctx context.Context) (map[string]spec.Object, *spec.Spec, error) {
	objs, err := s.Store.AppliedObjects(ctx)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]spec.Object{}
	for _, o := range objs {
		if o.Kind == spec.KindOrchestration {
			byName[o.Name] = o
		}
	}
	sp, err := spec.FromObjects(objs)
	return byName, sp, err
}

func (s *Server) view(ctx context.Context, sp *spec.Spec, o *spec.Orchestration) orchestrationView {
	v := orchestrationView{Name: o.Name, Description: o.Description, NextFires: []time.Time{}}
	zone := ""
	if sp.Project != nil {
		zone = sp.Project.Timezone
	}
	now := s.Clock.Now()
	for _, sc := range o.Schedules {
		if sched, err := schedule.Parse(sc.Cron, sc.Zone(zone)); err == nil {
			v.NextFires = append(v.NextFires, schedule.NextN(sched, now, 1)...)
		}
	}
	if jobs, err := s.Store.ListJobs(ctx, state.JobFilter{Orchestration: o.Name, Kind: state.KindOrchestrationJob, Limit: 1}); err == nil && len(jobs) > 0 {
		v.LastJob = &jobs[0]
	}
	return v
}

func (s *Server) listOrchestrations(w http.ResponseWriter, r *http.Request, tok state.Token) {
	_, sp, err := s.orchestrations(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	out := []orchestrationView{}
	for _, o := range sp.Orchestrations {
		if token.Allows(tok, ScopeJobsRead, o.Name) {
			out = append(out, s.view(r.Context(), sp, o))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) showOrchestration(w http.ResponseWriter, r *http.Request, tok state.Token) {
	name := r.PathValue("name")
	if !validName(w, name) {
		return
	}
	if !forOrchestration(w, tok, ScopeJobsRead, name) {
		return
	}
	objs, sp, err := s.orchestrations(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	for _, o := range sp.Orchestrations {
		if o.Name == name {
			v := s.view(r.Context(), sp, o)
			v.Spec = objs[name].JSON
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("orchestration %q is not applied", name), "GET /v1/orchestrations lists them")
}

type runRequest struct {
	Only       []string                  `json:"only"`
	Skip       []string                  `json:"skip"`
	Parameters map[string]map[string]any `json:"parameters"`
}

func (s *Server) runOrchestration(w http.ResponseWriter, r *http.Request, tok state.Token) {
	name := r.PathValue("name")
	if !validName(w, name) {
		return
	}
	if !forOrchestration(w, tok, ScopeRun, name) {
		return
	}
	var body runRequest
	if !decodeBody(w, r, &body) {
		return
	}
	job, err := s.Executor.Submit(r.Context(), executor.Request{
		Orchestration: name, Only: body.Only, Skip: body.Skip, Parameters: body.Parameters,
		Trigger: executor.TriggerAPI, TriggeredBy: tokenUser(tok), NotifyTo: tok.Owner,
	})
	if err != nil {
		s.submitError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, job)
}

func (s *Server) submitError(w http.ResponseWriter, err error) {
	if errors.Is(err, executor.ErrUnknownOrchestration) {
		writeError(w, http.StatusNotFound, err.Error(), "GET /v1/orchestrations lists them")
		return
	}
	writeError(w, http.StatusBadRequest, err.Error(), "check the task names of the selection")
}

func tokenUser(tok state.Token) string {
	if tok.Owner != "" {
		return tok.Owner + " (token " + tok.ID + ")"
	}
	return "token " + tok.ID
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, tok state.Token) {
	q := r.URL.Query()
	f := state.JobFilter{Kind: state.KindOrchestrationJob, Orchestration: q.Get("orchestration"), Limit: 50}
	if f.Orchestration != "" && !validName(w, f.Orchestration) {
		return
	}
	if len(tok.Orchestrations) > 0 && f.Orchestration == "" && len(tok.Orchestrations) == 1 {
		f.Orchestration = tok.Orchestrations[0]
	}
	if f.Orchestration == "" && len(tok.Orchestrations) > 0 {
		writeError(w, http.StatusForbidden, "this token is limited to some orchestrations", "pass ?orchestration=NAME")
		return
	}
	if f.Orchestration != "" && !forOrchestration(w, tok, ScopeJobsRead, f.Orchestration) {
		return
	}
	if v := q.Get("status"); v != "" {
		st, err := state.ParseJobStatus(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error(), "")
			return
		}
		f.Statuses = []state.JobStatus{st}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "limit must be 1..500", "")
			return
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "before must be a job id", "")
			return
		}
		f.BeforeID = state.JobID(n)
	}
	jobs, err := s.Store.ListJobs(r.Context(), f)
	if err != nil {
		s.internal(w, err)
		return
	}
	if jobs == nil {
		jobs = []state.Job{}
	}
	writeJSON(w, http.StatusOK, jobs)
}

// job reads the job of the path and checks the token may see it.
func (s *Server) job(w http.ResponseWriter, r *http.Request, tok state.Token, scope string) (state.Job, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "job id must be a number", "")
		return state.Job{}, false
	}
	job, err := s.Store.Job(r.Context(), state.JobID(id))
	if errors.Is(err, state.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("job %d does not exist", id), "GET /v1/jobs lists jobs")
		return state.Job{}, false
	}
	if err != nil {
		s.internal(w, err)
		return state.Job{}, false
	}
	return job, forOrchestration(w, tok, scope, job.Orchestration)
}

func (s *Server) showJob(w http.ResponseWriter, r *http.Request, tok state.Token) {
	if job, ok := s.job(w, r, tok, ScopeJobsRead); ok {
		writeJSON(w, http.StatusOK, job)
	}
}

func (s *Server) jobLogs(w http.ResponseWriter, r *http.Request, tok state.Token) {
	job, ok := s.job(w, r, tok, ScopeJobsRead)
	if !ok {
		return
	}
	tasks := job.Tasks
	if job.Kind == state.KindTaskJob {
		tasks = []state.Job{job}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	logs := executor.LogsOf(s.Store)
	for _, t := range tasks {
		if t.LogPath == "" {
			continue // not started
		}
		// A task of another node: what the state kept, while it runs too.
		b, ok := executor.ReadLog(r.Context(), logs, t, 0, 0)
		if !ok && !t.Status.Terminal() {
			continue // nothing written yet
		}
		fmt.Fprintf(w, "==> %s/%s (job %d, %s) <==\n", t.Phase, t.Task, t.ID, t.Status)
		if !ok {
			fmt.Fprintf(w, "baton: %s\n", executor.MissingLog(logs, t))
			continue
		}
		_, _ = w.Write(b)
	}
}

func (s *Server) retryJob(w http.ResponseWriter, r *http.Request, tok state.Token) {
	job, ok := s.job(w, r, tok, ScopeRun)
	if !ok {
		return
	}
	var body struct {
		Tasks []string `json:"tasks"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	retry, err := s.Executor.Retry(r.Context(), job.ID, body.Tasks, tokenUser(tok))
	if err != nil {
		writeError(w, http.StatusConflict, err.Error(), "")
		return
	}
	writeJSON(w, http.StatusCreated, retry)
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request, tok state.Token) {
	job, ok := s.job(w, r, tok, ScopeRun)
	if !ok {
		return
	}
	cancelled, err := s.Executor.Cancel(r.Context(), job.ID)
	if errors.Is(err, executor.ErrTaskJob) {
		writeError(w, http.StatusConflict, err.Error(), fmt.Sprintf("cancel job %d, the orchestration job of this task", job.ParentID))
		return
	}
	if errors.Is(err, state.ErrJobEnded) {
		writeError(w, http.StatusConflict, err.Error(), "the job already ended; retry it instead")
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, cancelled)
}

func (s *Server) listTables(w http.ResponseWriter, r *http.Request, _ state.Token) {
	tables, err := s.Store.Tables(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	if tables == nil {
		tables = []state.TableState{}
	}
	writeJSON(w, http.StatusOK, tables)
}

func (s *Server) updateTable(w http.ResponseWriter, r *http.Request, _ state.Token) {
	id := r.PathValue("id")
	if err := spec.CheckTableID(id); err != nil {
		if len(id) > 60 {
			id = id[:60] + "..."
		}
		writeError(w, http.StatusBadRequest, fmt.Sprintf("table id %q is not valid: %v", id, err), "name the table as the HCL files do")
		return
	}
	u := state.TableUpdate{Table: id, At: s.Clock.Now().UTC(), Source: "api"}
	if err := s.Store.RecordTableUpdates(r.Context(), u); err != nil {
		s.internal(w, err)
		return
	}
	if s.TablesUpdated != nil {
		s.TablesUpdated()
	}
	writeJSON(w, http.StatusCreated, state.TableState{ID: id, UpdatedAt: u.At, Source: u.Source})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ state.Token) {
	tokens, err := s.Store.ListTokens(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	if tokens == nil {
		tokens = []state.Token{}
	}
	writeJSON(w, http.StatusOK, tokens)
}

type createdToken struct {
	state.Token
	Secret string `json:"token"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, _ state.Token) {
	var body struct {
		Description    string   `json:"description"`
		Owner          string   `json:"owner"`
		Scopes         []string `json:"scopes"`
		Orchestrations []string `json:"orchestrations"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	secret, tok, err := s.Tokens.Create(r.Context(), state.Token{Description: body.Description, Owner: body.Owner, Scopes: body.Scopes, Orchestrations: body.Orchestrations})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	writeJSON(w, http.StatusCreated, createdToken{Token: tok, Secret: secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, _ state.Token) {
	err := s.Store.RevokeToken(r.Context(), r.PathValue("id"), s.Clock.Now().UTC())
	if errors.Is(err, state.ErrNotFound) {
		writeError(w, http.StatusNotFound, err.Error(), "")
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request, _ state.Token) {
	name := r.PathValue("name")
	if !validName(w, name) {
		return
	}
	tok, err := s.Tokens.Refresh(r.Context(), name)
	if errors.Is(err, token.ErrUnknownOrchestration) {
		writeError(w, http.StatusNotFound, err.Error(), "GET /v1/orchestrations lists them")
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tok)
}
