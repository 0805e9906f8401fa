package executor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// lockFile takes the executor lock of a state: an flock, released by the
// kernel when the process dies, so a killed executor never blocks the next.
// The file holds the owner's pid for the error message of the next one.
func lockFile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open executor lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := string(bytes.TrimSpace(owner))
			if pid == "" {
				pid = "unknown"
			}
			return nil, fmt.Errorf("%w (pid %s holds %s); jobs you submit are picked up by it, or stop it first", ErrBusy, pid, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// Executing reports whether some process holds the executor lock.
func Executing(path string) bool {
	unlock, err := lockFile(path)
	if err != nil {
		return errors.Is(err, ErrBusy)
	}
	unlock()
	return false
}

// Wake tells an executor running in another process to look at the state
// again (new jobs, cancel requests, table updates).
func Wake(path string) { touch(path) }

// touch writes the wake file; its directory watcher wakes the executor.
func touch(path string) {
	_ = os.WriteFile(path, nil, 0o600)
}

// WatchWake signals on the returned channel whenever Wake touches path.
// The returned function stops the watch.
func WatchWake(path string) (<-chan struct{}, func(), error) { return watchWake(path) }

// watchWake signals on the returned channel whenever path is written. It
// watches the directory, so the file may be created after the watch.
func watchWake(path string) (<-chan struct{}, func(), error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, nil, fmt.Errorf("watch %s: %w", path, err)
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("watch %s: %w", filepath.Dir(path), err)
	}
	ch := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) == filepath.Clean(path) && ev.Op&(fsnotify.Write|fsnotify.Create) != 0 {
					select {
					case ch <- struct{}{}:
					default:
					}
				}
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	return ch, func() { w.Close(); <-done }, nil
}
