package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// testOutboxIsDueRetriedAndNeverSentTwice follows one notification through
// a failed attempt, a retry and delivery; queueing it again sends nothing.
func testOutboxIsDueRetriedAndNeverSentTwice(t *testing.T, s state.Store) {
	ctx := context.Background()
	j := newJob(t, s, "o", 0)
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	entry := state.OutboxEntry{JobID: j.ID, Channel: "ops", Target: "ops@example.com", Event: "error", Payload: []byte(`{"id":1}`), CreatedAt: t0}
	later := entry
	later.Event, later.NextAttemptAt = "long_running", t0.Add(time.Hour)
	if err := s.AddOutbox(ctx, entry, later); err != nil {
		t.Fatal(err)
	}
	due := func(now time.Time) []state.OutboxEntry {
		t.Helper()
		p, err := s.PendingOutbox(ctx, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := due(t0)
	if len(p) != 1 || p[0].Event != "error" || string(p[0].Payload) != `{"id":1}` || !p[0].NextAttemptAt.Equal(t0) {
		t.Fatalf("due at t0 = %+v, want only the error notification", p)
	}
	if err := s.MarkOutboxFailed(ctx, p[0].ID, t0.Add(time.Minute), "smtp: connection refused"); err != nil {
		t.Fatal(err)
	}
	if p := due(t0.Add(time.Second)); len(p) != 0 {
		t.Errorf("a failed notification is due again before its retry time: %+v", p)
	}
	p = due(t0.Add(time.Minute))
	if len(p) != 1 || p[0].Attempts != 1 || p[0].LastError != "smtp: connection refused" {
		t.Fatalf("due after the retry time = %+v", p)
	}
	if err := s.MarkOutboxSent(ctx, p[0].ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOutbox(ctx, entry); err != nil {
		t.Fatal(err)
	}
	if p := due(t0.Add(time.Minute)); len(p) != 0 {
		t.Errorf("a sent notification queued again is due: %+v", p)
	}
	if p := due(t0.Add(time.Hour)); len(p) != 1 || p[0].Event != "long_running" {
		t.Errorf("due at t0+1h = %+v, want the long_running notification", p)
	}
}

// testOutboxUndeliverableIsNeverDueAgain: a notification recorded as
// undeliverable keeps its error and is not tried again, whatever the time.
func testOutboxUndeliverableIsNeverDueAgain(t *testing.T, s state.Store) {
	ctx := context.Background()
	j := newJob(t, s, "o", 0)
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	if err := s.AddOutbox(ctx, state.OutboxEntry{JobID: j.ID, Channel: "ops", Target: "mailto:ops@example.com", Event: "error", Payload: []byte(`{}`), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	p, err := s.PendingOutbox(ctx, t0, 0)
	if err != nil || len(p) != 1 {
		t.Fatalf("pending = %+v (%v)", p, err)
	}
	if err := s.MarkOutboxUndeliverable(ctx, p[0].ID, t0, "BATON_SMTP_URL is not set"); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PendingOutbox(ctx, t0.Add(1000*time.Hour), 0); err != nil || len(p) != 0 {
		t.Errorf("an undeliverable notification is due again: %+v (%v)", p, err)
	}
}
