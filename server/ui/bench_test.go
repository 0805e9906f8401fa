package ui

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
	"github.com/baton-dev/baton/token"
)

// benchUI is the UI over a state file, with a signed-in session cookie.
func benchUI(b *testing.B, store state.Store) (*UI, *http.Cookie) {
	b.Helper()
	tokens := &token.Service{Store: store, Clock: clock.Real(), Key: bytes.Repeat([]byte("k"), 32)}
	secret, _, err := tokens.Create(context.Background(), state.Token{Description: "bench", Scopes: []string{token.ScopeJobsRead, token.ScopeRun}})
	if err != nil {
		b.Fatal(err)
	}
	u, err := New(Config{Store: store, Tokens: tokens})
	if err != nil {
		b.Fatal(err)
	}
	id, _ := u.sessions.create(token.Hash(secret))
	return u, &http.Cookie{Name: sessionCookie, Value: id}
}

func serve(b *testing.B, u *UI, c *http.Cookie, path string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(c)
	w := httptest.NewRecorder()
	u.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, w.Code, w.Body.String())
	}
}

// BenchmarkJobPage1000Tasks renders the page of a finished job of 1000
// tasks in 10 phases (goal: under 100 ms of server time).
func BenchmarkJobPage1000Tasks(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC()
	var tasks []state.NewJob
	for i := range 1000 {
		tasks = append(tasks, state.NewJob{Kind: state.KindTaskJob, Orchestration: "big", Phase: fmt.Sprintf("phase-%d", i/100), PhaseIndex: i / 100,
			Task: fmt.Sprintf("task-%d", i), TaskIndex: i % 100, Configuration: fmt.Sprintf("c%d", i), SerialKey: fmt.Sprintf("configuration:c%d", i),
			Status: state.JobCreated, Trigger: "manual", CreatedAt: now, Selected: true})
	}
	job, err := store.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "big", SerialKey: "orchestration:big",
		Status: state.JobCreated, Trigger: "manual", CreatedAt: now, Selected: true}, tasks)
	if err != nil {
		b.Fatal(err)
	}
	start := now.Add(time.Second)
	ts := []state.JobTransition{{ID: job.ID, Update: state.JobUpdate{Status: state.JobProcessing, StartedAt: start}}}
	for i, t := range job.Tasks {
		s := start.Add(time.Duration(t.PhaseIndex) * time.Minute).Add(time.Duration(i%7) * time.Second)
		code := 0
		ts = append(ts, state.JobTransition{ID: t.ID, Update: state.JobUpdate{Status: state.JobProcessing, StartedAt: s}},
			state.JobTransition{ID: t.ID, Update: state.JobUpdate{Status: state.JobSuccess, FinishedAt: s.Add(40 * time.Second), ExitCode: &code}})
	}
	ts = append(ts, state.JobTransition{ID: job.ID, Update: state.JobUpdate{Status: state.JobSuccess, FinishedAt: start.Add(11 * time.Minute)}})
	if err := store.UpdateJobs(ctx, ts); err != nil {
		b.Fatal(err)
	}
	u, cookie := benchUI(b, store)
	path := "/jobs/" + itoa(job.ID)
	cpu := cpuTime()
	for b.Loop() {
		serve(b, u, cookie, path)
	}
	reportPage(b, cpu)
}

// fillJobs stores n jobs straight in SQL: an orchestration job and three
// task jobs in turn, over 10 orchestrations, one in 50 failed, one in 20 a
// retry.
func fillJobs(b *testing.B, path string, n int) {
	b.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	base := time.Now().Add(-24 * time.Hour).UnixNano()
	_, err = db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO jobs (id, kind, parent_id, orchestration, phase, task, task_index, serial_key, status, trigger, created_at, started_at, finished_at)
		SELECT i,
			CASE WHEN i % 4 = 1 THEN 'orchestration' ELSE 'task' END,
			CASE WHEN i % 4 = 1 THEN NULL ELSE i - ((i - 1) % 4) END,
			'orch-' || ((i / 4) % 10),
			CASE WHEN i % 4 = 1 THEN '' ELSE 'p' END,
			CASE WHEN i % 4 = 1 THEN '' ELSE 't' || (i % 4) END,
			i % 4,
			'orchestration:orch-' || ((i / 4) % 10),
			CASE WHEN (i / 4) % 50 = 7 THEN 'error' ELSE 'success' END,
			CASE WHEN (i / 4) % 20 = 3 THEN 'retry' ELSE 'schedule' END,
			? + i * 1000000, ? + i * 1000000, ? + i * 1000000 + 500000
		FROM n`, n, base, base, base)
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkJobsListOver1MJobs renders pages of the jobs list of a state
// with a million jobs (goal: under 50 ms of server time each).
func BenchmarkJobsListOver1MJobs(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "state.db")
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	fillJobs(b, path, 1_000_000)
	u, cookie := benchUI(b, store)
	for _, page := range []string{
		"/jobs",
		"/jobs?before=500001",
		"/jobs?status=error",
		"/jobs?status=error&before=300001",
		"/jobs?trigger=retry",
		"/jobs?orchestration=orch-3",
		"/jobs?orchestration=orch-7&status=error",
		"/jobs?status=cancelled",
	} {
		b.Run(page, func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				serve(b, u, cookie, page)
			}
			reportPage(b, cpu)
		})
	}
}

// cpuTime is the CPU time of this process so far. The benchmarks report
// it beside the wall time: on a shared, loaded machine the wall time of a
// page counts other processes' turns, its CPU time only the page's work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportPage(b *testing.B, cpuBefore time.Duration) {
	n := float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/n, "ms/page")
	b.ReportMetric(float64((cpuTime()-cpuBefore).Microseconds())/1000/n, "cpu-ms/page")
}
