package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// Watcher is the long-running baton: it pulls the source, applies good
// revisions, fires schedules and event triggers, and keeps the executor
// running. One goroutine (Run's) owns every timing decision; file watches
// and signals only send it events. Idle, it sleeps until the next schedule
// or poll is due.
type Watcher struct {
	Reconciler *Reconciler
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
}

// ApplyOptions of the watcher are the safe defaults: a force-push or a mass
// delete waits for a human with baton apply.
func (w *Watcher) defaults() {
	if w.Interval <= 0 {
		w.Interval = 60 * time.Second
	}
	if w.Debounce <= 0 {
		w.Debounce = 200 * time.Millisecond
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run watches until ctx ends, then stops firing and lets the executor drain.
func (w *Watcher) Run(ctx context.Context) error {
	w.defaults()
	execErr := make(chan error, 1)
	go func() {
		_, err := w.Executor.Run(ctx, executor.RunOptions{Grace: w.Grace})
		execErr <- err
	}()

	sourceEvents, stopSource := w.watchSource()
	defer stopSource()
	tables := newTableWatch(w.Logger)
	defer tables.close()

	_, dirSource := w.Reconciler.Source.(*DirSource)
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
func (w *Watcher) reconcile(ctx context.Context) {
	res, err := w.Reconciler.Apply(ctx, ApplyOptions{})
	switch {
	case err != nil && res != nil && res.Repeated:
		// Recorded when first refused (baton revisions shows it); a poll
		// that finds the same head says nothing new.
		w.Logger.Debug("the source's revision is still refused", "revision", shortRef(res.Plan.Revision.Ref))
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
		w.Logger.Info("applied revision", "revision", shortRef(res.Revision.Ref), "created", c, "updated", u, "deleted", d)
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

func (w *Watcher) fireDue(ctx context.Context, now time.Time) time.Time {
	jobs, next, err := w.Executor.FireDue(ctx, now)
	if err != nil {
		w.Logger.Error("fire schedules", "error", err)
	}
	for _, j := range jobs {
		w.Logger.Info("schedule fired", "orchestration", j.Orchestration, "job", j.ID)
	}
	return next
}

func (w *Watcher) fireTriggers(ctx context.Context, now time.Time) {
	jobs, err := w.Executor.FireTriggers(ctx, now)
	if err != nil {
		w.Logger.Error("fire event triggers", "error", err)
	}
	for _, j := range jobs {
		w.Logger.Info("event trigger fired", "orchestration", j.Orchestration, "job", j.ID)
	}
}

// watchSource reports changes below a directory source; a Git source is
// polled instead and gets no events.
func (w *Watcher) watchSource() (<-chan struct{}, func()) {
	dir, ok := w.Reconciler.Source.(*DirSource)
	if !ok {
		return nil, func() {}
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		w.Logger.Error("watch source directory; changes are picked up on SIGHUP only", "error", err)
		return nil, func() {}
	}
	add := func(root string) {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				if err := fw.Add(p); err != nil {
					w.Logger.Warn("watch source directory", "dir", p, "error", err)
				}
			}
			return nil
		})
	}
	add(dir.Dir)
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case ev, ok := <-fw.Events:
				if !ok {
					return
				}
				if ev.Op&fsnotify.Create != 0 {
					if info, err := os.Stat(ev.Name); err == nil && info.IsDir() {
						add(ev.Name)
					}
				}
				select {
				case out <- struct{}{}:
				default:
				}
			case _, ok := <-fw.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	return out, func() { fw.Close(); <-done }
}

// syncTables watches the files of the applied tables and records writes
// made while baton was not watching (a file newer than its last update).
func (w *Watcher) syncTables(ctx context.Context, tw *tableWatch) {
	watched, err := WatchedTables(ctx, w.Reconciler.Store)
	if err != nil {
		w.Logger.Error("read watched tables", "error", err)
		return
	}
	tw.set(watched)
	if err := RecordStaleWatchedTables(ctx, w.Reconciler.Store, watched); err != nil {
		w.Logger.Error("record watched tables", "error", err)
	}
}

func (w *Watcher) recordWatched(ctx context.Context, table string) {
	err := w.Reconciler.Store.RecordTableUpdates(ctx, state.TableUpdate{Table: table, At: w.Clock.Now().UTC(), Source: "watch"})
	if err != nil {
		w.Logger.Error("record table update", "table", table, "error", err)
		return
	}
	w.Logger.Info("table updated", "table", table, "source", "watch")
}

// WatchedTables maps the watched file of every applied table to its id.
func WatchedTables(ctx context.Context, st state.Store) (map[string]string, error) {
	objs, err := st.AppliedObjects(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, o := range objs {
		if o.Kind != spec.KindTable {
			continue
		}
		v, err := spec.Decode(o.Kind, o.JSON)
		if err != nil {
			return nil, err
		}
		if t := v.(*spec.Table); t.Watch != "" {
			out[filepath.Clean(t.Watch)] = t.ID
		}
	}
	return out, nil
}

// RecordStaleWatchedTables records an update for every watched file that
// changed after the table's last recorded update (at the file's time), so
// writes made while no watcher ran still count, once.
func RecordStaleWatchedTables(ctx context.Context, st state.Store, watched map[string]string) error {
	ids := make([]string, 0, len(watched))
	for _, id := range watched {
		ids = append(ids, id)
	}
	latest, err := st.TableUpdatedAt(ctx, ids)
	if err != nil {
		return err
	}
	var updates []state.TableUpdate
	for path, id := range watched {
		info, err := os.Stat(path)
		if err != nil {
			continue // not there (yet): nothing was written
		}
		if mt := info.ModTime().UTC(); mt.After(latest[id]) {
			updates = append(updates, state.TableUpdate{Table: id, At: mt, Source: "watch"})
		}
	}
	return st.RecordTableUpdates(ctx, updates...)
}

// tableWatch turns writes, renames over and re-creations of watched files
// into table ids. It watches their directories, so a file replaced by a
// rename or deleted and created again is still seen.
type tableWatch struct {
	fw     *fsnotify.Watcher
	logger *slog.Logger
	files  chan map[string]string
	events chan string
	stop   chan struct{}
	done   chan struct{}
}

func newTableWatch(logger *slog.Logger) *tableWatch {
	tw := &tableWatch{logger: logger, files: make(chan map[string]string, 1), events: make(chan string, 16), stop: make(chan struct{}), done: make(chan struct{})}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		logger.Error("watch table files; file updates will not be seen", "error", err)
		close(tw.done)
		return tw
	}
	tw.fw = fw
	go tw.loop()
	return tw
}

func (tw *tableWatch) set(files map[string]string) {
	if tw.fw == nil {
		return
	}
	select {
	case <-tw.files:
	default:
	}
	tw.files <- files
}

func (tw *tableWatch) loop() {
	defer close(tw.done)
	files := map[string]string{}
	dirs := map[string]bool{}
	for {
		select {
		case next := <-tw.files:
			want := map[string]bool{}
			for path := range next {
				want[filepath.Dir(path)] = true
			}
			for d := range dirs {
				if !want[d] {
					_ = tw.fw.Remove(d)
					delete(dirs, d)
				}
			}
			for d := range want {
				if !dirs[d] {
					if err := tw.fw.Add(d); err != nil {
						tw.logger.Warn("watch table directory", "dir", d, "error", err)
						continue
					}
					dirs[d] = true
				}
			}
			files = next
		case ev, ok := <-tw.fw.Events:
			if !ok {
				return
			}
			id, watched := files[filepath.Clean(ev.Name)]
			if watched && ev.Op&(fsnotify.Write|fsnotify.Create) != 0 {
				select {
				case tw.events <- id:
				case <-tw.stop:
					return
				}
			}
		case _, ok := <-tw.fw.Errors:
			if !ok {
				return
			}
		}
	}
}

func (tw *tableWatch) close() {
	close(tw.stop)
	if tw.fw != nil {
		tw.fw.Close()
	}
	<-tw.done
}
