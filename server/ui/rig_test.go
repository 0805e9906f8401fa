package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/server"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
	"github.com/baton-dev/baton/token"
)

// rig is a baton watch in miniature: a real state file, an executor
// running real processes, and the API with the UI on a real listener.
type rig struct {
	t      *testing.T
	dir    string
	gate   string
	store  state.Store
	exec   *executor.Executor
	tokens *token.Service
	ui     *UI
	srv    *httptest.Server
}

// hostile is a description that must come out escaped.
const hostile = `<script>alert("pwned")</script><img src=x onerror=alert(1)> & "quotes"`

func rigSource(gate string) string {
	return fmt.Sprintf(`
configuration "ok" { command = ["sh", "-c", "echo hello from $BATON_TASK"] }
configuration "fail" { command = ["sh", "-c", "echo boom >&2; exit 3"] }
configuration "gate" {
  command = ["sh", "-c", "echo waiting for the gate; while [ ! -e \"$0\" ]; do sleep 0.02; done; echo gate open", %[1]q]
}
configuration "slow" { command = ["sh", "-c", "echo slow started; sleep 0.3; echo slow done"] }
configuration "slow2" { command = ["sh", "-c", "echo slow started; sleep 0.3; echo slow done"] }
configuration "params" {
  command    = ["sh", "-c", "cat config.json"]
  parameters = { region = "eu" }
}
orchestration "daily" {
  description = %[2]q
  schedule {
    cron = "30 6 * * 1-5"
  }
  phase "extract" {
    task "a" { configuration = "slow" }
    task "b" { configuration = "fail" }
  }
  phase "transform" {
    task "c" { configuration = "ok" }
  }
}
orchestration "parallel" {
  schedule {
    cron = "0 7 * * *"
  }
  phase "one" {
    task "x" { configuration = "slow" }
    task "y" { configuration = "slow2" }
    task "v" { configuration = "slow" }
    task "z" { configuration = "ok" }
  }
  phase "two" {
    task "w" { configuration = "params" }
  }
}
orchestration "gated" {
  phase "p" {
    task "hold" { configuration = "gate" }
    task "other" { configuration = "ok" }
  }
}
`, gate, hostile)
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	gate := filepath.Join(dir, "gate")
	sp, diags := hcl.Parse([]hcl.File{{Name: "test.hcl", Src: []byte(rigSource(gate))}})
	if diags.HasErrors() {
		t.Fatalf("%v", diags)
	}
	objs, err := sp.Objects()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ApplyRevision(ctx, state.Revision{Ref: "abc123", Source: "test", Author: "Ada", Message: "add daily", AppliedAt: time.Now().UTC()}, objs); err != nil {
		t.Fatal(err)
	}
	tokens := &token.Service{Store: store, Clock: clock.Real(), Key: bytes.Repeat([]byte("k"), 32)}
	r := &rig{t: t, dir: dir, gate: gate, store: store, tokens: tokens}
	r.exec = executor.New(executor.Config{
		Store: store, JobsDir: filepath.Join(dir, "jobs"),
		Tokens: tokens.OrchestrationSecrets, MaxParallel: 4, KillGrace: time.Second,
	})
	r.ui, err = New(Config{Store: store, Executor: r.exec, Tokens: tokens, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The server has the limits and timeouts of baton watch's, so live
	// streams are tested against its write timeout.
	r.srv = httptest.NewUnstartedServer(nil)
	r.srv.Config = server.NewHTTPServer((&server.Server{Store: store, Executor: r.exec, Tokens: tokens, Clock: clock.Real(), UI: r.ui}).Handler())
	r.srv.Config.RegisterOnShutdown(r.ui.Close)
	r.srv.Start()
	t.Cleanup(func() { r.ui.Close(); r.srv.Close() })
	return r
}

// runExecutor executes jobs until the test ends.
func (r *rig) runExecutor() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := r.exec.Run(ctx, executor.RunOptions{Grace: time.Second}); err != nil && !errors.Is(err, context.Canceled) {
			r.t.Errorf("executor: %v", err)
		}
	}()
	r.t.Cleanup(func() { cancel(); <-done })
}

func (r *rig) openGate() {
	if err := os.WriteFile(r.gate, nil, 0o600); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) token(scopes ...string) string {
	r.t.Helper()
	secret, _, err := r.tokens.Create(context.Background(), state.Token{Description: "tester", Owner: "ada@example.com", Scopes: scopes})
	if err != nil {
		r.t.Fatal(err)
	}
	return secret
}

// submit creates a job as the API would.
func (r *rig) submit(name string, only ...string) state.Job {
	r.t.Helper()
	job, err := r.exec.Submit(context.Background(), executor.Request{Orchestration: name, Only: only, Trigger: executor.TriggerManual, TriggeredBy: "test"})
	if err != nil {
		r.t.Fatal(err)
	}
	return job
}

// waitJob waits until the job satisfies ok.
func (r *rig) waitJob(id state.JobID, what string, ok func(state.Job) bool) state.Job {
	r.t.Helper()
	var j state.Job
	waitfor.Cond(r.t, fmt.Sprintf("job %d to become %s", id, what), func() bool {
		var err error
		if j, err = r.store.Job(context.Background(), id); err != nil {
			r.t.Fatal(err)
		}
		return ok(j)
	})
	return j
}

func (r *rig) waitEnded(id state.JobID) state.Job {
	return r.waitJob(id, "ended", func(j state.Job) bool { return j.Status.Terminal() })
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// client is a browser without scripts: a cookie jar and forms.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func (r *rig) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: r.t, base: r.srv.URL, http: &http.Client{Jar: jar}}
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *client) post(path string, form url.Values) (int, string, *http.Response) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no CSRF field in:\n%s", html)
	}
	return m[1]
}

// signIn signs in with a token and returns the page it lands on.
func (c *client) signIn(secret string) (int, string) {
	c.t.Helper()
	_, page := c.get("/login")
	code, body, _ := c.post("/login", url.Values{"csrf": {csrfOf(c.t, page)}, "token": {secret}, "next": {"/jobs"}})
	return code, body
}
