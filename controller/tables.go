package controller

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// syncTables watches the files of the applied tables and records writes
// made while baton was not watching (a file newer than its last update).
func (w *Controller) syncTables(ctx context.Context, tw *tableWatch) {
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

func (w *Controller) recordWatched(ctx context.Context, table string) {
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
