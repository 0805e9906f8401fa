package notify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
)

// pendingAt lists what would still be tried at, long after every backoff.
func pendingAt(t *testing.T, w *Worker, at time.Time) int {
	t.Helper()
	p, err := w.Store.PendingOutbox(context.Background(), at, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(p)
}

// A webhook that fails is retried after a backoff, and a delivered
// notification is never sent again.
func TestWebhookIsRetriedThenSentOnce(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer hook.Close()
	queue(t, store, "o", "ops", hook.URL)
	fake := clock.NewFake(t0)
	w := &Worker{Store: store, Clock: fake}
	if err := w.SendPending(ctx); err != nil || calls.Load() != 1 {
		t.Fatalf("%d calls, want 1 (%v)", calls.Load(), err)
	}
	if err := w.SendPending(ctx); err != nil || calls.Load() != 1 {
		t.Fatalf("retried before the backoff: %d calls (%v)", calls.Load(), err)
	}
	fake.Advance(12 * time.Second) // the first delay is 10 s ± 20 %
	if err := w.SendPending(ctx); err != nil || calls.Load() != 2 {
		t.Fatalf("not retried after the backoff: %d calls (%v)", calls.Load(), err)
	}
	fake.Advance(time.Hour)
	if err := w.SendPending(ctx); err != nil || calls.Load() != 2 {
		t.Errorf("a delivered notification was sent again: %d calls", calls.Load())
	}
}

func TestRetryDelayDoublesWithJitterUpToAnHour(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		base     time.Duration
	}{{0, 10 * time.Second}, {1, 20 * time.Second}, {3, 80 * time.Second}, {20, time.Hour}, {1000, time.Hour}} {
		lo, hi := time.Duration(float64(tc.base)*0.8), time.Duration(float64(tc.base)*1.2)
		seen := map[time.Duration]bool{}
		for range 50 {
			d := retryDelay(tc.attempts)
			if d < lo || d > hi {
				t.Fatalf("retryDelay(%d) = %v, want within %v..%v", tc.attempts, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("retryDelay(%d) has no jitter: always %v", tc.attempts, seen)
		}
	}
}

// With no SMTP server configured an e-mail is recorded once as
// undeliverable, with a log line that says what to set, and never retried.
func TestUnconfiguredEmailIsUndeliverableOnce(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	queue(t, store, "o", "ops", "mailto:ops@example.com")
	var logs logBuffer
	var outcomes []string
	fake := clock.NewFake(t0)
	w := &Worker{Store: store, Clock: fake, Logger: logs.logger(), Observe: func(_, o string) { outcomes = append(outcomes, o) }}
	for range 3 {
		if err := w.SendPending(ctx); err != nil {
			t.Fatal(err)
		}
		fake.Advance(2 * time.Hour)
	}
	if len(outcomes) != 1 || outcomes[0] != OutcomeUndeliverable {
		t.Errorf("outcomes = %v, want one undeliverable", outcomes)
	}
	if n := logs.count("notification undeliverable"); n != 1 || !strings.Contains(logs.String(), "BATON_SMTP_URL") {
		t.Errorf("%d undeliverable lines, want 1 naming BATON_SMTP_URL:\n%s", n, logs.String())
	}
	if n := pendingAt(t, w, t0.Add(1000*time.Hour)); n != 0 {
		t.Errorf("%d entries still pending", n)
	}
}

// A target that keeps failing is tried MaxAttempts times, then recorded as
// undeliverable.
func TestFailingTargetGivesUpAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer hook.Close()
	queue(t, store, "o", "ops", hook.URL)
	fake := clock.NewFake(t0)
	w := &Worker{Store: store, Clock: fake, MaxAttempts: 4}
	for range 10 {
		if err := w.SendPending(ctx); err != nil {
			t.Fatal(err)
		}
		fake.Advance(2 * time.Hour)
	}
	if calls.Load() != 4 {
		t.Errorf("%d attempts, want 4", calls.Load())
	}
	if n := pendingAt(t, w, fake.Now().Add(1000*time.Hour)); n != 0 {
		t.Errorf("%d entries still pending after giving up", n)
	}
}

// One hanging and one down target never delay a working one: each target
// is delivered on its own.
func TestHangingAndDownTargetsDoNotDelayAWorkingOne(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	store := openStore(t)
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	working, workingSrv := newHook(t)

	const n = 15
	for range n {
		queue(t, store, "o", "ops", hanging.URL+"/hook", down, workingSrv.URL+"/hook")
	}
	w := &Worker{Store: store, Clock: clock.NewFake(t0), HTTP: &http.Client{Timeout: time.Hour}}
	defer func() { cancel(); w.wg.Wait() }()
	if err := w.dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(time.Minute)
	for i := range n {
		select {
		case <-working.got:
		case <-deadline:
			t.Fatalf("the working target got %d of %d notifications while another target hung", i, n)
		}
	}
	// The hanging target's goroutine is still busy: a second pass starts
	// no second delivery to it.
	if w.claim(hanging.URL + "/hook") {
		t.Error("the hanging target was free again")
	}
}

// Webhook URLs carry secrets in their path and query: logs and recorded
// errors show only the host.
func TestWebhookURLsAreRedactedInLogsAndErrors(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := "http://" + ln.Addr().String() + "/services/T000/B000/XXXXsecret?token=hunter2"
	ln.Close()
	queue(t, store, "o", "ops", target)
	var logs logBuffer
	w := &Worker{Store: store, Clock: clock.NewFake(t0), Logger: logs.logger()}
	if err := w.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := store.PendingOutbox(ctx, t0.Add(time.Hour), 0)
	if err != nil || len(p) != 1 {
		t.Fatalf("pending = %v (%v)", p, err)
	}
	for what, text := range map[string]string{"log": logs.String(), "recorded error": p[0].LastError} {
		if strings.Contains(text, "XXXXsecret") || strings.Contains(text, "hunter2") {
			t.Errorf("%s shows the webhook's secret: %s", what, text)
		}
	}
	if !strings.Contains(logs.String(), ln.Addr().String()) {
		t.Errorf("log does not name the host:\n%s", logs.String())
	}
}
