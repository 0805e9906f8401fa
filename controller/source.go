package controller

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fsnotify/fsnotify"

	"github.com/baton-dev/baton/reconciler"
)

// watchSource reports changes below a directory source; a Git source is
// polled instead and gets no events.
func (w *Controller) watchSource() (<-chan struct{}, func()) {
	dir, ok := w.Reconciler.Source.(*reconciler.DirSource)
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
