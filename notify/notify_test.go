package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

// A webhook that fails is retried after a backoff, and a delivered
// notification is never sent again.
func TestWebhookIsRetriedThenSentOnce(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer hook.Close()
	now := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	job, err := store.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "o", SerialKey: "orchestration:o", Status: state.JobCreated, CreatedAt: now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.AddOutbox(ctx, state.OutboxEntry{JobID: job.ID, Channel: "ops", Target: hook.URL, Event: "error", Payload: []byte(`{}`), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(now)
	w := &Worker{Store: store, Clock: fake}
	if err := w.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d calls, want 1", calls.Load())
	}
	if err := w.SendPending(ctx); err != nil || calls.Load() != 1 {
		t.Fatalf("retried before the backoff: %d calls (%v)", calls.Load(), err)
	}
	fake.Advance(backoff(0))
	if err := w.SendPending(ctx); err != nil || calls.Load() != 2 {
		t.Fatalf("not retried after the backoff: %d calls (%v)", calls.Load(), err)
	}
	fake.Advance(time.Hour)
	if err := w.SendPending(ctx); err != nil || calls.Load() != 2 {
		t.Errorf("a delivered notification was sent again: %d calls", calls.Load())
	}
}

func TestBackoffDoublesUpToAnHour(t *testing.T) {
	if backoff(0) != 10*time.Second || backoff(1) != 20*time.Second || backoff(20) != time.Hour {
		t.Errorf("backoff = %v %v %v", backoff(0), backoff(1), backoff(20))
	}
}

func TestMissingSMTPURLIsAClearError(t *testing.T) {
	w := &Worker{}
	if err := w.mail("a@example.com", executor.Notification{}); err == nil || !strings.Contains(err.Error(), "BATON_SMTP_URL") {
		t.Error("no error without BATON_SMTP_URL")
	}
}
