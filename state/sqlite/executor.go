package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/fsnotify/fsnotify"

	"github.com/baton-dev/baton/state"
)

var _ state.Store = (*Store)(nil)

// lease is an flock on the lock file beside the state, released by the
// kernel when the process dies, so a killed executor never blocks the next.
type lease struct {
	f *os.File
}

// Lost never fires: the kernel holds an flock for as long as the process.
func (l *lease) Lost() <-chan struct{} { return nil }

func (l *lease) Release() error {
	_ = l.f.Truncate(0)
	return errors.Join(syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN), l.f.Close())
}

// AcquireExecutor takes the lock file. It holds holder, for the error
// message of the next process that tries.
func (s *Store) AcquireExecutor(ctx context.Context, holder string) (state.Lease, error) {
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open executor lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(s.lockPath)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := string(bytes.TrimSpace(owner))
			if who == "" {
				who = "pid unknown"
			}
			return nil, fmt.Errorf("%w (%s holds %s); jobs you submit are picked up by it, or stop it first", state.ErrBusy, who, s.lockPath)
		}
		return nil, fmt.Errorf("lock %s: %w", s.lockPath, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder+"\n"), 0)
	}
	return &lease{f: f}, nil
}

// ExecutorRunning tries the lock and gives it back at once.
func (s *Store) ExecutorRunning(ctx context.Context) (bool, error) {
	l, err := s.AcquireExecutor(ctx, "")
	if errors.Is(err, state.ErrBusy) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, l.Release()
}

// Wake writes the wake file; WatchWake's directory watcher sees it.
func (s *Store) Wake(ctx context.Context) error {
	if err := os.WriteFile(s.wakePath, nil, 0o600); err != nil {
		return fmt.Errorf("wake the executor: %w", err)
	}
	return nil
}

// WatchWake watches the wake file itself, created here when missing. A
// watch of its directory would also hear every write to the state's
// write-ahead log beside it: one wake-up of the watcher per transaction.
// A wake file that is removed or renamed is made and watched anew.
func (s *Store) WatchWake(ctx context.Context) (<-chan struct{}, func(), error) {
	path := s.wakePath
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, nil, fmt.Errorf("watch %s: %w", path, err)
	}
	if err := watchFile(w, path); err != nil {
		w.Close()
		return nil, nil, err
	}
	ch := make(chan struct{}, 1)
	wake := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
					// The watch went with the file. A wake-up may
					// have come with its replacement: look anyway.
					_ = watchFile(w, path)
					wake()
					continue
				}
				if ev.Op&(fsnotify.Write|fsnotify.Create) != 0 {
					wake()
				}
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	// Closing an inotify watcher waits in the kernel for its marks to be
	// freed (an RCU grace period: up to 15 ms at the end of every run of
	// the executor). The watch is stopped at once and closed meanwhile;
	// Close waits for it, while it checkpoints.
	var once sync.Once
	stopWatch := func() {
		once.Do(func() {
			s.watches.Add(1)
			go func() {
				defer s.watches.Done()
				w.Close()
				<-done
			}()
		})
	}
	s.watchMu.Lock()
	s.watchN++
	n := s.watchN
	s.open[n] = stopWatch
	s.watchMu.Unlock()
	return ch, func() {
		s.watchMu.Lock()
		delete(s.open, n)
		s.watchMu.Unlock()
		stopWatch()
	}, nil
}

// stopWatches stops the watches still open; s.watches.Wait waits until
// they and those stopped before are closed.
func (s *Store) stopWatches() {
	s.watchMu.Lock()
	open := s.open
	s.open = map[int]func(){}
	s.watchMu.Unlock()
	for _, stop := range open {
		stop()
	}
}

// watchFile makes the wake file if it is missing and adds it to w.
func watchFile(w *fsnotify.Watcher, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create the wake file %s: %w", path, err)
	}
	f.Close()
	if err := w.Add(path); err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	return nil
}
