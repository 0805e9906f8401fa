// Package ui is baton's web UI: server-rendered pages of orchestrations,
// jobs and their timelines, the week ahead, tables and revisions, and the
// run, retry and cancel actions. It is served beside the HTTP API, signs
// people in with their API tokens and works with scripts off; a small
// embedded script adds live updates over Server-Sent Events.
package ui

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the UI reads of the run state.
type Store interface {
	ListJobs(ctx context.Context, f state.JobFilter) ([]state.Job, error)
	Job(ctx context.Context, id state.JobID) (state.Job, error)
	ActiveJobs(ctx context.Context) ([]state.Job, error)
	AppliedObjects(ctx context.Context) ([]spec.Object, error)
	SourceStatus(ctx context.Context) (state.SourceStatus, error)
	Revisions(ctx context.Context, limit int) ([]state.Revision, error)
	Tables(ctx context.Context) ([]state.TableState, error)
	TableUpdatedAt(ctx context.Context, ids []string) (map[string]time.Time, error)
	TokenByHash(ctx context.Context, hash string) (state.Token, error)
	LastSuccessfulDurations(ctx context.Context, orchestration string, n int) ([]time.Duration, error)
	LastTriggerRun(ctx context.Context, orchestration string) (time.Time, bool, error)
	ObjectRevision(ctx context.Context, kind spec.Kind, name string) (state.Revision, error)
	Suspensions(ctx context.Context) ([]state.Suspension, error)
}

// Executor is what the UI's actions ask of the executor.
type Executor interface {
	Submit(ctx context.Context, req executor.Request) (state.Job, error)
	Retry(ctx context.Context, id state.JobID, tasks []string, triggeredBy string) (state.Job, error)
	Cancel(ctx context.Context, id state.JobID) (state.Job, error)
}

// Authenticator checks an API token's secret, as the API does.
type Authenticator interface {
	Authenticate(ctx context.Context, header string) (state.Token, error)
}

// Config wires the UI.
type Config struct {
	Store    Store
	Executor Executor
	Tokens   Authenticator
	Clock    clock.Clock
	Logger   *slog.Logger
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	// PollInterval is how often live updates look for changes (default 250 ms).
	PollInterval time.Duration
}

// UI serves the pages.
type UI struct {
	cfg      Config
	sessions *sessions
	hub      *hub
	pages    map[string]*template.Template
	mux      *http.ServeMux
	// closing ends live streams when the server shuts down.
	closing  context.Context
	stopLive context.CancelFunc
}

// Close ends the live streams, so that a server shutdown need not wait for
// browsers to go away.
func (u *UI) Close() { u.stopLive() }

// New returns the UI with its templates parsed.
func New(cfg Config) (*UI, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	u := &UI{cfg: cfg, pages: pages, sessions: newSessions(cfg.Clock, cfg.SessionTTL)}
	u.closing, u.stopLive = context.WithCancel(context.Background())
	u.hub = newHub(cfg.Store, cfg.Clock, cfg.PollInterval, cfg.Logger)
	u.routes()
	return u, nil
}

func (u *UI) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	m.HandleFunc("GET /favicon.ico", http.NotFound)
	m.HandleFunc("GET /login", u.loginPage)
	m.HandleFunc("POST /login", u.login)
	m.Handle("POST /logout", u.form(u.logout))
	m.Handle("GET /{$}", u.view(func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/jobs", http.StatusSeeOther)
	}))
	m.Handle("GET /jobs", u.view(u.jobsPage))
	m.Handle("GET /jobs/{id}", u.view(u.jobPage))
	m.Handle("GET /jobs/{id}/logs/live", u.view(u.logTail))
	m.Handle("GET /events", u.view(u.events))
	m.Handle("POST /jobs/{id}/retry", u.form(u.retry))
	m.Handle("POST /jobs/{id}/cancel", u.form(u.cancel))
	m.Handle("GET /orchestrations", u.view(u.orchestrationsPage))
	m.Handle("GET /orchestrations/{name}", u.view(u.orchestrationPage))
	m.Handle("GET /orchestrations/{name}/run", u.view(u.runPage))
	m.Handle("POST /orchestrations/{name}/run", u.form(u.run))
	m.Handle("GET /week", u.view(u.weekPage))
	m.Handle("GET /tables", u.view(u.tablesPage))
	m.Handle("GET /revisions", u.view(u.revisionsPage))
	m.Handle("/", u.view(func(w http.ResponseWriter, r *http.Request, s *session) {
		u.fail(w, r, s, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	}))
	u.mux = m
}

// ServeHTTP serves a page with the security headers every response carries.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	u.mux.ServeHTTP(w, r)
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	Title   string
	Nav     string
	Session *session
	Stale   state.SourceStatus
	Now     time.Time
	// Live names the SSE stream the page's live region follows, if any.
	Live string
	Data any
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := u.pages[name]
	if !ok {
		u.internal(w, fmt.Errorf("no template %q", name))
		return
	}
	p.Now = u.cfg.Clock.Now().UTC()
	if st, err := u.cfg.Store.SourceStatus(r.Context()); err == nil {
		p.Stale = st
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		u.internal(w, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (u *UI) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	u.render(w, r, status, "error", page{Title: http.StatusText(status), Session: s, Data: msg})
}

func (u *UI) internal(w http.ResponseWriter, err error) {
	u.cfg.Logger.Error("web UI request failed", "error", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte("internal error; see the baton log\n"))
}

// failFor answers a state error: a missing job or object is 404.
func (u *UI) failFor(w http.ResponseWriter, r *http.Request, s *session, err error, what string) {
	if errors.Is(err, state.ErrNotFound) {
		u.fail(w, r, s, http.StatusNotFound, what+" does not exist.")
		return
	}
	u.internal(w, err)
}
