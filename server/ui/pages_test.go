package ui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/token"
)

func TestEveryPageRendersForASignedInToken(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	job := r.waitEnded(r.submit("daily").ID)
	c := r.client()
	c.signIn(r.token(token.ScopeJobsRead, token.ScopeRun))
	for path, want := range map[string]string{
		"/jobs":                     "#" + itoa(job.ID),
		"/jobs?status=error":        "#" + itoa(job.ID),
		"/jobs/" + itoa(job.ID):     `id="gantt"`,
		"/orchestrations":           "at 06:30 on Monday–Friday",
		"/orchestrations/daily":     "Last 1 jobs by task",
		"/orchestrations/daily/run": `id="run-form"`,
		"/week":                     "Week ahead",
		"/tables":                   "Tables",
		"/revisions":                "abc123",
	} {
		code, body := c.get(path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, want 200 with %q:\n%s", path, code, want, body)
		}
	}
	if code, _ := c.get("/jobs/999999"); code != http.StatusNotFound {
		t.Errorf("a missing job: %d, want 404", code)
	}
	if code, _ := c.get("/jobs?status=bogus"); code != http.StatusBadRequest {
		t.Errorf("an unknown status filter: %d, want 400", code)
	}
}

func TestHostileNamesAreEscapedEverywhere(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	r.waitEnded(r.submit("daily").ID)
	c := r.client()
	c.signIn(r.token(token.ScopeJobsRead, token.ScopeRun))
	for _, path := range []string{"/orchestrations", "/orchestrations/daily", "/orchestrations/daily/run"} {
		_, body := c.get(path)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s lets a description's markup through:\n%s", path, body)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
			t.Errorf("%s does not show the description escaped", path)
		}
	}
}

func TestPagesCarryAContentSecurityPolicyWithoutInlineScripts(t *testing.T) {
	r := newRig(t)
	resp, err := http.Get(r.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	for _, name := range []string{"layout", "partials", "jobs", "job", "login", "run", "orchestrations", "orchestration", "week", "tables", "revisions", "error"} {
		b, err := templateFS.ReadFile("templates/" + name + ".html")
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.Contains(s, "<script>") || strings.Contains(s, " onclick=") || strings.Contains(s, " style=") {
			t.Errorf("template %s has inline script or style", name)
		}
	}
}

func TestActionButtonsNeedTheRunScope(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	job := r.waitEnded(r.submit("daily").ID)
	reader := r.client()
	reader.signIn(r.token(token.ScopeJobsRead))
	_, body := reader.get("/jobs/" + itoa(job.ID))
	if strings.Contains(body, "retry-dialog") {
		t.Error("a read-only token sees the retry button")
	}
	_, body = reader.get("/orchestrations")
	if strings.Contains(body, "/run\"") {
		t.Error("a read-only token sees run buttons")
	}
	if code, _ := reader.get("/orchestrations/daily/run"); code != http.StatusForbidden {
		t.Errorf("a read-only token opens the run form: %d", code)
	}
	_, jobs := reader.get("/jobs")
	code, _, _ := reader.post("/jobs/"+itoa(job.ID)+"/retry", url.Values{"csrf": {csrfOf(t, jobs)}, "task": {"b"}})
	if code != http.StatusForbidden {
		t.Errorf("a read-only token retries: %d", code)
	}
}

func TestRunFormDeselectsTasksAndOverridesParameters(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	c := r.client()
	c.signIn(r.token(token.ScopeJobsRead, token.ScopeRun))
	_, form := c.get("/orchestrations/parallel/run")
	code, body, resp := c.post("/orchestrations/parallel/run", url.Values{
		"csrf": {csrfOf(t, form)}, "task": {"x", "z", "w"}, "params.w": {`{"region": "us", "extra": 1}`},
	})
	if code != http.StatusOK {
		t.Fatalf("run: %d\n%s", code, body)
	}
	id := strings.TrimPrefix(resp.Request.URL.Path, "/jobs/")
	var job state.Job
	for _, j := range mustJobs(t, r) {
		if itoa(j.ID) == id {
			job = r.waitEnded(j.ID)
		}
	}
	got := map[string]state.JobStatus{}
	for _, tk := range job.Tasks {
		got[tk.Task] = tk.Status
	}
	if got["y"] != state.JobSkipped || got["v"] != state.JobSkipped || got["x"] != state.JobSuccess || got["w"] != state.JobSuccess {
		t.Fatalf("task statuses %v: y was deselected, the rest should run", got)
	}
	for _, tk := range job.Tasks {
		if tk.Task == "w" {
			if l := (&UI{}).readLog(context.Background(), tk); !strings.Contains(l.Text, `"region": "us"`) || !strings.Contains(l.Text, `"extra": 1`) {
				t.Fatalf("the override did not reach the task: %s", l.Text)
			}
		}
	}
}

func TestStaleSourceBannerIsOnEveryPage(t *testing.T) {
	r := newRig(t)
	c := r.client()
	c.signIn(r.token(token.ScopeJobsRead))
	if _, body := c.get("/jobs"); strings.Contains(body, `id="stale"`) {
		t.Fatal("a banner while the source is fine")
	}
	if err := r.store.RecordFetch(context.Background(), time.Now().UTC(), "", errors.New("git fetch: connection refused")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/jobs", "/orchestrations", "/orchestrations/daily", "/week", "/tables", "/revisions"} {
		if _, body := c.get(path); !strings.Contains(body, `id="stale"`) || !strings.Contains(body, "connection refused") {
			t.Errorf("%s has no staleness banner", path)
		}
	}
}

func TestLiveStreamsNeedASession(t *testing.T) {
	r := newRig(t)
	job := r.submit("gated")
	for _, path := range []string{"/events", "/jobs/" + itoa(job.ID) + "/logs/live"} {
		req, _ := http.NewRequest(http.MethodGet, r.srv.URL+path, nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a session: %d, want 401", path, resp.StatusCode)
		}
	}
}

// A suspended orchestration is marked on the orchestrations page and its
// own page with who suspended it and why; the mark goes on resume.
func TestSuspendedOrchestrationIsMarkedWithWhoAndWhy(t *testing.T) {
	r := newRig(t)
	c := r.client()
	c.signIn(r.token(token.ScopeJobsRead))
	ctx := context.Background()
	if err := r.store.Suspend(ctx, state.Suspension{Orchestration: "daily", By: "alice", Reason: "warehouse migration", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/orchestrations", "/orchestrations/daily"} {
		if _, body := c.get(path); !strings.Contains(body, "mark-suspended") || !strings.Contains(body, "alice") || !strings.Contains(body, "warehouse migration") {
			t.Errorf("%s does not mark daily suspended by alice for the migration:\n%s", path, body)
		}
	}
	if err := r.store.Resume(ctx, "daily"); err != nil {
		t.Fatal(err)
	}
	if _, body := c.get("/orchestrations"); strings.Contains(body, "mark-suspended") {
		t.Errorf("/orchestrations still marks daily suspended after resume")
	}
}
