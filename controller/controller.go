// Package controller is the loop that keeps baton's state in line with its
// source and runs what is due: fetch -> apply -> fire due schedules and
// event triggers -> run the queue -> record the outcome. Run is baton
// watch; Once is baton reconcile --once. The reconciler plans and applies,
// the executor runs jobs; the controller decides when.
package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/reconciler"
)

// Controller drives one state: it pulls the source, applies good
// revisions, fires schedules and event triggers, runs the executor and
// delivers notifications. In Run one goroutine owns every timing decision;
// file watches and signals only send it events. Idle, it sleeps until the
// next schedule or poll is due.
type Controller struct {
	Reconciler *reconciler.Reconciler
	Executor   *executor.Executor
	Clock      clock.Clock
	// Interval is how often a Git source is polled (default 60 s). A
	// directory source is watched instead.
	Interval time.Duration
	// Grace is how long running tasks may go on after Run's context ends.
	Grace time.Duration
	// Reload asks for a reconcile now (SIGHUP).
	Reload <-chan struct{}
	// Wake is signalled when another process touched tables or queued jobs.
	Wake <-chan struct{}
	// TablesUpdated is signalled when jobs recorded output tables.
	TablesUpdated <-chan struct{}
	Logger        *slog.Logger
	// Debounce is how long a directory source must be quiet before it is
	// applied (default 200 ms).
	Debounce time.Duration
	// Reconciled, if set, receives the outcome of every reconcile (tests
	// wait on it).
	Reconciled chan<- error
	// AfterApply, if set, runs after a revision was applied (it creates
	// the tokens of new orchestrations).
	AfterApply func(ctx context.Context) error
	// Notifier, if set, delivers the notification outbox: in the
	// background while Run runs, and once at the end of Once.
	Notifier Notifier
	// Progress, if set, receives a line for each step Once takes, for
	// people (the CLI passes its stderr).
	Progress io.Writer
	// Node, if set, makes Run one node of several that share the state:
	// it stands by while another node leads, and takes over when that
	// one is lost.
	Node *Node
	// Observer, if set, hears of every fetch of the source.
	Observer Observer
}

// Observer is told how each fetch of the source went, for metrics.
type Observer interface {
	// SourceFetched is called after every reconcile with its fetch's
	// outcome: nil, or the error that kept the source from being read.
	SourceFetched(err error)
}

// Notifier delivers queued notifications (notify.Worker).
type Notifier interface {
	// Run delivers until ctx ends.
	Run(ctx context.Context) error
	// SendPending delivers what is due now.
	SendPending(ctx context.Context) error
}

// defaults fills in the intervals and the logger.
func (w *Controller) defaults() {
	if w.Interval <= 0 {
		w.Interval = 60 * time.Second
	}
	if w.Debounce <= 0 {
		w.Debounce = 200 * time.Millisecond
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	if w.Clock == nil {
		w.Clock = clock.Real()
	}
}

// Run watches until ctx ends, then stops firing and lets the executor
// drain. The apply options are the safe defaults: a force-push or a mass
// delete waits for a human with baton apply.
func (w *Controller) Run(ctx context.Context) error {
	w.defaults()
	if w.Node != nil {
		return w.runNode(ctx)
	}
	err := w.lead(ctx, executor.RunOptions{Grace: w.Grace})
	if ctx.Err() != nil {
		return w.stopped(err)
	}
	return err
}

// stopped is what a stop returns once the executor has drained. A lease
// lost as the stop came (a restart of the database ends the lease's
// session) does not fail it: the process was stopping anyway, and its
// tasks were stopped with the lease. A service manager would otherwise
// take a clean stop for a crash.
func (w *Controller) stopped(err error) error {
	if errors.Is(err, executor.ErrLeaseLost) {
		w.Logger.Warn("the executor lease was lost while stopping; stopping as asked")
		return nil
	}
	return err
}

// lead is Run while this process holds (or, without opts.Lease, takes) the
// executor lease: it alone applies, fires and runs the queue.
func (w *Controller) lead(ctx context.Context, opts executor.RunOptions) error {
	execErr := make(chan error, 1)
	go func() {
		_, err := w.Executor.Run(ctx, opts)
		execErr <- err
	}()
	if w.Notifier != nil {
		// Delivery goes on while the executor drains, so the
		// notifications of jobs that end then are sent too.
		nctx, stopNotifier := context.WithCancel(context.WithoutCancel(ctx))
		notifierDone := make(chan struct{})
		go func() { defer close(notifierDone); _ = w.Notifier.Run(nctx) }()
		defer func() { stopNotifier(); <-notifierDone }()
	}

	sourceEvents, stopSource := w.watchSource()
	defer stopSource()
	tables := newTableWatch(w.Logger)
	defer tables.close()

	_, dirSource := w.Reconciler.Source.(*reconciler.DirSource)
	var debounce clock.Timer
	var debounceC <-chan time.Time
	reconcile := true
	var lastPoll time.Time
	for {
		if reconcile {
			reconcile = false
			lastPoll = w.Clock.Now()
			w.reconcile(ctx)
			w.syncTables(ctx, tables)
		}
		// Schedules first: their fires are due at an instant, triggers
		// only after an update.
		next := w.fireDue(ctx, w.Clock.Now())
		w.fireTriggers(ctx, w.Clock.Now())
		now := w.Clock.Now()
		wakeAt := lastPoll.Add(w.Interval)
		if dirSource {
			wakeAt = time.Time{}
		}
		if !next.IsZero() && (wakeAt.IsZero() || next.Before(wakeAt)) {
			wakeAt = next
		}
		var timerC <-chan time.Time
		var timer clock.Timer
		if !wakeAt.IsZero() {
			timer = w.Clock.NewTimer(wakeAt.Sub(now))
			timerC = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			w.Logger.Info("stopping: no more fires; running tasks get the grace period", "grace", w.Grace)
			return <-execErr
		case err := <-execErr:
			if timer != nil {
				timer.Stop()
			}
			if ctx.Err() != nil {
				return err // stopping: the executor drained first
			}
			if err == nil {
				err = errors.New("it stopped unexpectedly")
			}
			return fmt.Errorf("executor: %w", err)
		case <-timerC:
			// A poll or a schedule is due; a poll also reconciles.
			reconcile = !dirSource && !w.Clock.Now().Before(lastPoll.Add(w.Interval))
		case <-w.Reload:
			w.Logger.Info("reconciling on request")
			reconcile = true
		case <-sourceEvents:
			if debounce == nil {
				debounce = w.Clock.NewTimer(w.Debounce)
			} else {
				debounce.Reset(w.Debounce)
			}
			debounceC = debounce.C()
		case <-debounceC:
			debounceC = nil
			reconcile = true
		case ev := <-tables.events:
			w.recordWatched(ctx, ev)
		case <-w.Wake:
		case <-w.TablesUpdated:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// reconcile applies the source's current revision. Failures are logged and
// change nothing: applied schedules keep firing.
func (w *Controller) reconcile(ctx context.Context) {
	res, err := w.Reconciler.Apply(ctx, reconciler.ApplyOptions{})
	if w.Observer != nil {
		var fetchErr error
		if errors.Is(err, reconciler.ErrSourceUnavailable) || errors.Is(err, reconciler.ErrNoFiles) {
			fetchErr = err
		}
		w.Observer.SourceFetched(fetchErr)
	}
	switch {
	case err != nil && res != nil && res.Repeated:
		// Recorded when first refused (baton revisions shows it); a poll
		// that finds the same head says nothing new.
		w.Logger.Debug("the source's revision is still refused", "revision", reconciler.ShortRef(res.Plan.Revision.Ref))
	case err != nil:
		attrs := []any{"error", err}
		if res != nil && res.Plan != nil && len(res.Plan.Diagnostics) > 0 {
			var b strings.Builder
			res.Plan.Diagnostics.WriteText(&b)
			attrs = append(attrs, "diagnostics", b.String())
		}
		w.Logger.Error("reconcile failed; the last applied revision stays in force", attrs...)
	case res.Applied:
		c, u, d := res.Plan.Counts()
		w.Logger.Info("applied revision", "revision", reconciler.ShortRef(res.Revision.Ref), "created", c, "updated", u, "deleted", d)
		if w.AfterApply != nil {
			if err := w.AfterApply(ctx); err != nil {
				w.Logger.Error("after apply", "error", err)
			}
		}
	}
	if w.Reconciled != nil {
		w.Reconciled <- err
	}
}

func (w *Controller) fireDue(ctx context.Context, now time.Time) time.Time {
	// The executor logs each fire with the instant it was due for.
	_, next, err := w.Executor.FireDue(ctx, now)
	if err != nil {
		w.Logger.Error("fire schedules", "error", err)
	}
	return next
}

func (w *Controller) fireTriggers(ctx context.Context, now time.Time) {
	jobs, err := w.Executor.FireTriggers(ctx, now)
	if err != nil {
		w.Logger.Error("fire event triggers", "error", err)
	}
	for _, j := range jobs {
		w.Logger.Info("event trigger fired", "orchestration", j.Orchestration, "job", j.ID)
	}
}
