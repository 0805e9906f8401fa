// Package notify delivers the notification outbox: e-mail over SMTP
// (BATON_SMTP_URL) and webhooks (HTTP POST of JSON, optionally signed or in
// Slack's shape). Entries are written with a job's final status; the worker
// sends them, retries failures with capped exponential backoff and jitter up
// to a maximum of attempts, and records each entry as sent or undeliverable,
// so a crash loses nothing and nothing is retried forever. Each target is
// delivered by its own goroutine (a bounded number at once), so one hanging
// or down target never delays another.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/redact"
	"github.com/baton-dev/baton/state"
)

// Outcomes of one delivery attempt, as logged and counted.
const (
	OutcomeSent          = "sent"
	OutcomeRetry         = "retry"
	OutcomeUndeliverable = "undeliverable"
)

// NewDeliveryCounter counts delivery attempts by channel and outcome
// (sent, retry, undeliverable); give its Observe to Worker.Observe.
func NewDeliveryCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "baton_notification_deliveries_total",
		Help: "Notification delivery attempts by channel and outcome (sent, retry, undeliverable).",
	}, []string{"channel", "outcome"})
}

// Worker sends pending notifications.
type Worker struct {
	Store state.Store
	Clock clock.Clock
	// SMTPURL is smtp://[user:password@]host:port?from=ADDRESS. Without it
	// e-mail entries are recorded once as undeliverable.
	SMTPURL string
	// PublicURL, when set, is the base of the link to the job in e-mails.
	PublicURL string
	HTTP      *http.Client
	Logger    *slog.Logger
	// Getenv reads webhook secrets (default os.Getenv).
	Getenv func(string) string
	// Poll is how often the outbox is read (default 2 s).
	Poll time.Duration
	// MaxAttempts is how often one entry is tried before it is recorded
	// as undeliverable (default 8: about 40 minutes of retries).
	MaxAttempts int
	// Parallel is how many targets are delivered to at once (default 8).
	Parallel int
	// Observe, if set, is told the outcome of every attempt.
	Observe func(channel, outcome string)

	once sync.Once
	sem  chan struct{}
	mu   sync.Mutex
	busy map[string]bool // targets with a delivery goroutine
	wg   sync.WaitGroup
}

func (w *Worker) defaults() {
	w.once.Do(func() {
		if w.Poll <= 0 {
			w.Poll = 2 * time.Second
		}
		if w.HTTP == nil {
			w.HTTP = &http.Client{Timeout: 10 * time.Second}
		}
		if w.Logger == nil {
			w.Logger = slog.New(slog.DiscardHandler)
		}
		if w.Getenv == nil {
			w.Getenv = os.Getenv
		}
		if w.MaxAttempts <= 0 {
			w.MaxAttempts = 8
		}
		if w.Parallel <= 0 {
			w.Parallel = 8
		}
		w.sem = make(chan struct{}, w.Parallel)
		w.busy = map[string]bool{}
	})
}

// Run sends until ctx ends, then waits for the deliveries under way.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	defer w.wg.Wait()
	for {
		if err := w.dispatch(ctx); err != nil && ctx.Err() == nil {
			w.Logger.Error("read the notification outbox", "error", err)
		}
		t := w.Clock.NewTimer(w.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}

// SendPending tries every entry that is due once and waits for the
// outcome.
func (w *Worker) SendPending(ctx context.Context) error {
	w.defaults()
	err := w.dispatch(ctx)
	w.wg.Wait()
	return err
}

// dispatch starts a delivery goroutine for every target with due entries
// that has none yet; it does not wait for them.
func (w *Worker) dispatch(ctx context.Context) error {
	w.defaults()
	pending, err := w.Store.PendingOutbox(ctx, w.Clock.Now().UTC(), 0)
	if err != nil {
		return err
	}
	var order []string
	byTarget := map[string][]state.OutboxEntry{}
	for _, e := range pending {
		if _, seen := byTarget[e.Target]; !seen {
			order = append(order, e.Target)
		}
		byTarget[e.Target] = append(byTarget[e.Target], e)
	}
	var channels channelSet
	for _, target := range order {
		if !w.claim(target) {
			continue // its goroutine is still at work (maybe hanging)
		}
		if channels == nil {
			channels = w.channels(ctx)
		}
		entries := byTarget[target]
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer w.release(target)
			select {
			case w.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-w.sem }()
			for _, e := range entries {
				if ctx.Err() != nil {
					return
				}
				w.deliver(ctx, e, channels)
			}
		}()
	}
	return nil
}

func (w *Worker) claim(target string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.busy[target] {
		return false
	}
	w.busy[target] = true
	return true
}

func (w *Worker) release(target string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.busy, target)
}

// deliver makes one attempt and records its outcome.
func (w *Worker) deliver(ctx context.Context, e state.OutboxEntry, channels channelSet) {
	err := w.send(ctx, e, channels)
	if ctx.Err() != nil {
		return // stopping: the entry stays due and is tried after a restart
	}
	now := w.Clock.Now().UTC()
	log := w.Logger.With("job", e.JobID, "channel", e.Channel, "target", redact.Webhook(e.Target), "event", e.Event)
	outcome := OutcomeSent
	var recErr error
	switch {
	case err == nil:
		recErr = w.Store.MarkOutboxSent(ctx, e.ID, now)
		log.Info("notification sent")
	case isPermanent(err) || e.Attempts+1 >= w.MaxAttempts:
		outcome = OutcomeUndeliverable
		recErr = w.Store.MarkOutboxUndeliverable(ctx, e.ID, now, err.Error())
		log.Error("notification undeliverable; it will not be retried", "attempts", e.Attempts+1, "error", err)
	default:
		outcome = OutcomeRetry
		next := now.Add(retryDelay(e.Attempts))
		recErr = w.Store.MarkOutboxFailed(ctx, e.ID, next, err.Error())
		log.Warn("notification failed; will retry", "attempt", e.Attempts+1, "next", next, "error", err)
	}
	if recErr != nil {
		log.Error("record the notification's outcome", "outcome", outcome, "error", recErr)
	}
	if w.Observe != nil {
		w.Observe(e.Channel, outcome)
	}
}

// permanent marks a failure that retrying cannot fix, such as a channel
// that is not configured.
func permanent(err error) error { return backoff.Permanent(err) }

func isPermanent(err error) bool {
	var p *backoff.PermanentError
	return errors.As(err, &p)
}

// retryDelay is the wait before attempt n+1 after n failed ones: from 10 s,
// doubling, capped at an hour, each with ±20 % jitter so that entries that
// failed together do not retry in lockstep.
func retryDelay(attempts int) time.Duration {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     10 * time.Second,
		RandomizationFactor: 0.2,
		Multiplier:          2,
		MaxInterval:         time.Hour,
	}
	b.Reset()
	d := b.NextBackOff()
	for range min(attempts, 64) {
		d = b.NextBackOff()
	}
	return d
}
