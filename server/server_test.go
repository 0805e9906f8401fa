package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/notify"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
	"github.com/baton-dev/baton/token"
)

// mailbox is a real SMTP server that keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	mail []string // "to|subject"
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: m}, nil }

type mailSession struct {
	box *mailbox
	to  []string
}

func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	subject := ""
	for _, line := range strings.Split(string(b), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Subject: "); ok {
			subject = v
		}
	}
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	for _, to := range s.to {
		s.box.mail = append(s.box.mail, to+"|"+subject)
	}
	return nil
}

func (m *mailbox) messages() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.mail)
}

type rig struct {
	t        *testing.T
	dir      string
	store    state.Store
	exec     *executor.Executor
	tokens   *token.Service
	api      *httptest.Server
	hooks    *hookSink
	mail     *mailbox
	notifier *notify.Worker
	admin    string
	metrics  *Metrics
}

type hookSink struct {
	mu     sync.Mutex
	bodies []state.Notification
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n state.Notification
	_ = json.NewDecoder(r.Body).Decode(&n)
	h.mu.Lock()
	h.bodies = append(h.bodies, n)
	h.mu.Unlock()
}

func (h *hookSink) received() []state.Notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.bodies)
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
	hooks := &hookSink{}
	hookServer := httptest.NewServer(hooks)
	t.Cleanup(hookServer.Close)

	mail := &mailbox{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpServer := smtp.NewServer(mail)
	smtpServer.Domain = "localhost"
	go smtpServer.Serve(ln)
	t.Cleanup(func() { smtpServer.Close() })

	src := fmt.Sprintf(`
notification "ops" {
  email   = ["ops@example.com"]
  webhook = %q
}
configuration "fail" { command = ["sh", "-c", "exit 1"] }
configuration "ok" { command = ["true"] }
configuration "report-update" {
  command = ["sh", "-c", "curl -fsS -X POST -H \"Authorization: Bearer $BATON_TOKEN\" $BATON_API_URL/v1/tables/in.c-ext.feed/updates"]
}
orchestration "nightly" {
  notify {
    on = ["error"]
    to = ["ops"]
  }
  phase "p" {
    task "t" { configuration = "fail" }
  }
}
orchestration "ok" {
  phase "p" {
    task "t" { configuration = "ok" }
  }
}
orchestration "feeder" {
  phase "p" {
    task "t" { configuration = "report-update" }
  }
}
orchestration "on-feed" {
  trigger {
    tables = ["in.c-ext.feed"]
  }
  phase "p" {
    task "t" { configuration = "ok" }
  }
}
`, hookServer.URL+"/hook/secret-path")
	s, diags := hcl.Parse([]hcl.File{{Name: "test.hcl", Src: []byte(src)}})
	if diags.HasErrors() {
		t.Fatalf("%v", diags)
	}
	objs, _ := s.Objects()
	if _, err := store.ApplyRevision(ctx, state.Revision{Ref: "r1", Source: "test", AppliedAt: time.Now().UTC()}, objs); err != nil {
		t.Fatal(err)
	}
	tokens := &token.Service{Store: store, Clock: clock.Real(), Key: bytes.Repeat([]byte("k"), 32)}
	r := &rig{t: t, dir: dir, store: store, tokens: tokens, hooks: hooks, mail: mail, metrics: NewMetrics()}
	api := httptest.NewUnstartedServer(nil)
	r.exec = executor.New(executor.Config{
		Store: store, JobsDir: filepath.Join(dir, "jobs"),
		Tokens: tokens.OrchestrationSecrets, APIURL: "http://" + api.Listener.Addr().String(),
		Observer: r.metrics,
	})
	api.Config.Handler = (&Server{Store: store, Executor: r.exec, Tokens: tokens, Clock: clock.Real(), Collectors: r.metrics.Collectors()}).Handler()
	api.Start()
	t.Cleanup(api.Close)
	r.api = api
	r.notifier = &notify.Worker{Store: store, Clock: clock.Real(), SMTPURL: "smtp://" + ln.Addr().String() + "?from=baton@example.com"}
	r.admin = r.token(state.Token{Description: "admin", Scopes: []string{ScopeAdmin}})
	return r
}

func (r *rig) token(tok state.Token) string {
	r.t.Helper()
	secret, _, err := r.tokens.Create(context.Background(), tok)
	if err != nil {
		r.t.Fatal(err)
	}
	return secret
}

func (r *rig) do(method, path, token string, body any) (int, []byte) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.api.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (r *rig) runQueue() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := r.exec.Run(ctx, executor.RunOptions{UntilIdle: true}); err != nil {
		r.t.Fatal(err)
	}
}

func TestTokensAndScopes(t *testing.T) {
	r := newRig(t)
	trigger := r.token(state.Token{Description: "ci", Scopes: []string{ScopeRun}})

	if code, body := r.do("GET", "/v1/jobs", "", nil); code != 401 || !strings.Contains(string(body), `"error"`) {
		t.Errorf("no token: %d %s, want 401 with a JSON error", code, body)
	}
	if code, _ := r.do("GET", "/v1/jobs", "bt_not-a-real-token", nil); code != 401 {
		t.Errorf("bad token: %d, want 401", code)
	}
	code, body := r.do("POST", "/v1/orchestrations/ok/jobs", trigger, map[string]any{"only": []string{"t"}})
	if code != 201 {
		t.Fatalf("trigger: %d %s, want 201", code, body)
	}
	var job state.Job
	_ = json.Unmarshal(body, &job)
	for _, path := range []string{"/v1/tokens", "/v1/tables", fmt.Sprintf("/v1/jobs/%d/logs", job.ID), "/metrics"} {
		if code, _ := r.do("GET", path, trigger, nil); code != 403 {
			t.Errorf("trigger-only token on %s: %d, want 403", path, code)
		}
	}
	if code, _ := r.do("GET", "/healthz", "", nil); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code, body := r.do("GET", "/metrics", r.admin, nil); code != 200 || !strings.Contains(string(body), "baton_queue_depth 1") {
		t.Errorf("metrics: %d %s", code, body)
	}
	r.runQueue()
	if code, body := r.do("POST", fmt.Sprintf("/v1/jobs/%d/cancel", job.ID), r.admin, nil); code != 409 || !strings.Contains(string(body), "already ended") {
		t.Errorf("cancel of an ended job: %d %s, want 409", code, body)
	}
	// Listing never shows a secret; a revoked token stops working.
	code, body = r.do("GET", "/v1/tokens", r.admin, nil)
	if code != 200 || strings.Contains(string(body), trigger) || strings.Contains(string(body), "hash") {
		t.Errorf("token list: %d %s", code, body)
	}
	var list []state.Token
	_ = json.Unmarshal(body, &list)
	for _, tok := range list {
		if tok.Description == "ci" {
			if code, _ := r.do("DELETE", "/v1/tokens/"+tok.ID, r.admin, nil); code != 204 {
				t.Errorf("revoke: %d", code)
			}
		}
	}
	if code, body := r.do("POST", "/v1/orchestrations/ok/jobs", trigger, nil); code != 401 || !strings.Contains(string(body), "revoked") {
		t.Errorf("revoked token: %d %s", code, body)
	}
	// A token limited to other orchestrations is refused.
	limited := r.token(state.Token{Description: "one", Scopes: []string{ScopeRun}, Orchestrations: []string{"nightly"}})
	if code, _ := r.do("POST", "/v1/orchestrations/ok/jobs", limited, nil); code != 403 {
		t.Errorf("limited token on another orchestration: %d, want 403", code)
	}
}

// A scheduled run that fails notifies the channel's webhook and e-mail,
// once; a manual run that fails mails only the person who started it.
func TestNotificationsFollowTheManualsRule(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.exec.Submit(ctx, executor.Request{Orchestration: "nightly", Trigger: executor.TriggerSchedule, TriggeredBy: "schedule"}); err != nil {
		t.Fatal(err)
	}
	r.runQueue()
	for i := 0; i < 2; i++ { // a second pass must send nothing again
		if err := r.notifier.SendPending(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.hooks.received(); len(got) != 1 || got[0].Event != "error" || got[0].Orchestration != "nightly" {
		t.Errorf("webhook received %+v, want one error of nightly", got)
	}
	if got := r.mail.messages(); len(got) != 1 || !strings.HasPrefix(got[0], "ops@example.com|") {
		t.Errorf("mail = %v, want one to ops@example.com", got)
	}

	if code, body := r.do("GET", "/metrics", r.admin, nil); code != 200 || !strings.Contains(string(body), "baton_task_duration_seconds_count 1") || !strings.Contains(string(body), `baton_jobs{status="error"} 1`) {
		t.Errorf("metrics after one failed job: %d\n%s", code, body)
	}

	owner := r.token(state.Token{Description: "dana", Owner: "dana@example.com", Scopes: []string{ScopeRun}})
	if code, body := r.do("POST", "/v1/orchestrations/nightly/jobs", owner, nil); code != 201 {
		t.Fatalf("manual run: %d %s", code, body)
	}
	r.runQueue()
	if err := r.notifier.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.hooks.received(); len(got) != 1 {
		t.Errorf("a manual run notified the webhook: %d calls", len(got))
	}
	mail := r.mail.messages()
	if len(mail) != 2 || !strings.HasPrefix(mail[1], "dana@example.com|") {
		t.Errorf("mail = %v, want the second to dana@example.com only", mail)
	}
}

// A task reports a table update with its BATON_TOKEN, which fires an
// event-triggered orchestration; refreshing the orchestration token makes
// the old one stop working for new jobs.
func TestOrchestrationTokenReportsTablesAndRotates(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	job, err := r.exec.Submit(ctx, executor.Request{Orchestration: "feeder", Trigger: executor.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	r.runQueue()
	got, _ := r.store.Job(ctx, job.ID)
	if got.Status != state.JobSuccess {
		log, _ := os.ReadFile(got.Tasks[0].LogPath)
		t.Fatalf("feeder = %s %s: %s", got.Status, got.Tasks[0].Message, log)
	}
	fired, err := r.exec.FireTriggers(ctx, time.Now())
	if err != nil || len(fired) != 1 || fired[0].Orchestration != "on-feed" {
		t.Fatalf("fired %+v %v, want on-feed", fired, err)
	}

	old, err := r.tokens.OrchestrationSecret(ctx, "feeder")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := r.do("GET", "/v1/tokens", old, nil); code != 403 {
		t.Errorf("orchestration token on /v1/tokens: %d, want 403", code)
	}
	if code, body := r.do("POST", "/v1/orchestrations/feeder/token/refresh", r.admin, nil); code != 200 {
		t.Fatalf("refresh: %d %s", code, body)
	}
	if code, _ := r.do("POST", "/v1/tables/in.c-ext.feed/updates", old, nil); code != 401 {
		t.Errorf("old orchestration token after refresh: %d, want 401", code)
	}
	fresh, _ := r.tokens.OrchestrationSecret(ctx, "feeder")
	if fresh == old {
		t.Fatal("refresh did not change the secret")
	}
	if code, _ := r.do("POST", "/v1/tables/in.c-ext.feed/updates", fresh, nil); code != 201 {
		t.Errorf("new orchestration token: %d, want 201", code)
	}
	// Orchestration tokens are never listed.
	_, body := r.do("GET", "/v1/tokens", r.admin, nil)
	if strings.Contains(string(body), "feeder") {
		t.Errorf("an orchestration token is listed: %s", body)
	}
}

// 100 concurrent triggers and 1000 requests with bad tokens: every valid
// trigger recorded, no 5xx.
func TestConcurrentTriggersAndBadTokens(t *testing.T) {
	r := newRig(t)
	trigger := r.token(state.Token{Description: "load", Scopes: []string{ScopeRun}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var latencies []time.Duration
	call := func(token string) {
		defer wg.Done()
		t0 := time.Now()
		req, _ := http.NewRequest("POST", r.api.URL+"/v1/orchestrations/ok/jobs", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		code := 0
		if err == nil {
			code = resp.StatusCode
			resp.Body.Close()
		}
		mu.Lock()
		codes[code]++
		latencies = append(latencies, time.Since(t0))
		mu.Unlock()
	}
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go call(trigger)
	}
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go call(fmt.Sprintf("bt_bad-%d", i))
	}
	wg.Wait()
	if codes[201] != 100 || codes[401] != 1000 || len(codes) != 2 {
		t.Fatalf("status codes %v, want 100x201 and 1000x401", codes)
	}
	jobs, _ := r.store.ListJobs(context.Background(), state.JobFilter{Orchestration: "ok", Kind: state.KindOrchestrationJob})
	if len(jobs) != 100 {
		t.Errorf("%d jobs recorded, want 100", len(jobs))
	}
	slices.Sort(latencies)
	t.Logf("1100 requests: p50 %v, p99 %v", latencies[len(latencies)/2], latencies[len(latencies)*99/100])
}

// A refused revision shows in the metrics until a revision applies.
func TestMetricsShowARefusedRevision(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	metric := func() string {
		code, body := r.do("GET", "/metrics", r.admin, nil)
		if code != 200 {
			t.Fatalf("metrics: %d", code)
		}
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, "baton_revision_refused ") {
				return line
			}
		}
		t.Fatalf("no baton_revision_refused in\n%s", body)
		return ""
	}
	if got := metric(); got != "baton_revision_refused 0" {
		t.Errorf("before any refusal: %q", got)
	}
	if err := r.store.RecordAttempt(ctx, time.Now(), "abc", "refusing to delete most orchestrations"); err != nil {
		t.Fatal(err)
	}
	if got := metric(); got != "baton_revision_refused 1" {
		t.Errorf("after a refusal: %q", got)
	}
	if err := r.store.RecordAttempt(ctx, time.Now(), "def", ""); err != nil {
		t.Fatal(err)
	}
	if got := metric(); got != "baton_revision_refused 0" {
		t.Errorf("after an apply: %q", got)
	}
}

// A trigger loop stopped at run time is counted in the metrics.
func TestMetricsCountTriggerLoops(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	loop := state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "on-feed", SerialKey: "orchestration:on-feed",
		Status: state.JobSkipped, Trigger: executor.TriggerEvent, Message: "skipped: trigger loop", Spec: []byte(`{"on_overlap":"queue","chain":["on-feed"],"loop":true}`),
		Selected: true, CreatedAt: time.Now().UTC()}
	if _, err := r.store.CreateJob(ctx, loop, nil); err != nil {
		t.Fatal(err)
	}
	code, body := r.do("GET", "/metrics", r.admin, nil)
	if code != 200 || !strings.Contains(string(body), `baton_trigger_loops{orchestration="on-feed"} 1`) {
		t.Errorf("metrics: %d\n%s", code, body)
	}
}

// Cancelling a task job's id through the API is refused with the id of its
// orchestration job, instead of cancelling nothing.
func TestAPICancelOfATaskJobNamesItsOrchestrationJob(t *testing.T) {
	r := newRig(t)
	run := r.token(state.Token{Description: "ci", Scopes: []string{ScopeRun, ScopeJobsRead}})
	code, body := r.do("POST", "/v1/orchestrations/ok/jobs", run, map[string]any{})
	if code != 201 {
		t.Fatalf("trigger: %d %s", code, body)
	}
	var job state.Job
	_ = json.Unmarshal(body, &job)
	task := job.Tasks[0].ID
	code, body = r.do("POST", fmt.Sprintf("/v1/jobs/%d/cancel", task), run, nil)
	if code != 409 || !strings.Contains(string(body), fmt.Sprintf("of job %d", job.ID)) || !strings.Contains(string(body), fmt.Sprintf("cancel job %d", job.ID)) {
		t.Errorf("cancel of task %d: %d %s, want 409 naming job %d", task, code, body, job.ID)
	}
	if code, body = r.do("GET", fmt.Sprintf("/v1/jobs/%d", job.ID), run, nil); code != 200 || strings.Contains(string(body), `"cancelled"`) {
		t.Errorf("the job was cancelled: %d %s", code, body)
	}
}

// A suspended orchestration shows in the metrics until it is resumed.
func TestMetricsShowASuspendedOrchestration(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const line = `baton_orchestration_suspended{orchestration="on-feed"} 1`
	if err := r.store.Suspend(ctx, state.Suspension{Orchestration: "on-feed", By: "alice", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if code, body := r.do("GET", "/metrics", r.admin, nil); code != 200 || !strings.Contains(string(body), line) {
		t.Errorf("suspended: %d, want %s in\n%s", code, line, body)
	}
	if err := r.store.Resume(ctx, "on-feed"); err != nil {
		t.Fatal(err)
	}
	if _, body := r.do("GET", "/metrics", r.admin, nil); strings.Contains(string(body), "baton_orchestration_suspended{") {
		t.Errorf("resumed: still suspended in the metrics")
	}
}
