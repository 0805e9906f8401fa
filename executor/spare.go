package executor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/baton-dev/baton/internal/plainfile"
	"github.com/baton-dev/baton/spec"
)

// spareDirs are task data dirs made before they are needed, each an empty
// directory holding an empty config.json, under JobsDir/.spare (retention
// leaves names that are not job ids alone). Making a directory and a file
// allocates two inodes, which on a busy disk costs a task start up to a
// millisecond; renaming a spare into place costs a small part of that.
// FireDue asks for as many as the next schedule instant starts tasks, and
// they are made while no task process is starting, so a burst of tasks due
// at one instant starts without making any.
type spareDirs struct {
	dir string
	// starts are the task starts in flight; spares are made when none is.
	starts *startsInFlight

	mu      sync.Mutex
	free    []string // names under dir, ready to take
	want    int
	seq     int
	open    bool // between reset and close: spares are made and taken
	filling bool
	filled  sync.WaitGroup
}

// spareDir is the directory of the spares under a jobs dir.
func spareDir(jobsDir string) string { return filepath.Join(jobsDir, ".spare") }

// reset drops the spares an earlier executor left and opens the pool.
func (s *spareDirs) reset() error {
	s.close()
	if s.dir == "" {
		return nil
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove spare data dirs: %w", err)
	}
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		return fmt.Errorf("create spare data dirs: %w", err)
	}
	s.mu.Lock()
	s.free, s.open = nil, true
	s.mu.Unlock()
	return nil
}

// close stops making spares and waits until none is being made.
func (s *spareDirs) close() {
	s.mu.Lock()
	s.open, s.want = false, 0
	s.mu.Unlock()
	s.filled.Wait()
}

// take renames a spare to dst. It reports false when no spare is ready or
// dst exists already (a spare never replaces a directory).
func (s *spareDirs) take(dst string) bool {
	s.mu.Lock()
	if !s.open || len(s.free) == 0 {
		s.mu.Unlock()
		return false
	}
	name := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	s.mu.Unlock()
	err := unix.Renameat2(unix.AT_FDCWD, filepath.Join(s.dir, name), unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EEXIST) {
		s.mu.Lock()
		s.free = append(s.free, name)
		s.mu.Unlock()
	}
	return err == nil
}

// prepareFor asks for n spares. With kick they are made now unless a task
// is starting; without, once the starts in flight (or about to be) ended.
func (s *spareDirs) prepareFor(n int, kick bool) {
	s.mu.Lock()
	s.want = n
	s.mu.Unlock()
	if kick {
		s.kick()
	}
}

// kick makes the missing spares in the background, unless that runs
// already or a task is starting.
func (s *spareDirs) kick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open || s.filling || len(s.free) >= s.want || s.starts.busy() {
		return
	}
	s.filling = true
	s.filled.Add(1)
	go s.fill()
}

// fill makes spares until there are enough, a task starts or the pool
// closes. A spare that cannot be made ends it: tasks make their own dirs.
func (s *spareDirs) fill() {
	defer s.filled.Done()
	for {
		s.mu.Lock()
		if !s.open || len(s.free) >= s.want || s.starts.busy() {
			s.filling = false
			s.mu.Unlock()
			return
		}
		s.seq++
		name := strconv.Itoa(s.seq)
		s.mu.Unlock()
		err := makeSpare(filepath.Join(s.dir, name))
		s.mu.Lock()
		if err != nil {
			s.filling = false
			s.mu.Unlock()
			return
		}
		s.free = append(s.free, name)
		s.mu.Unlock()
	}
}

// makeSpare makes one spare: a private directory with an empty private
// config.json that the task's own is written over.
func makeSpare(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	if err := plainfile.WriteFile(filepath.Join(dir, "config.json"), nil, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return err
	}
	return nil
}

// makeDataDir makes a task's data dir: a spare renamed into place when one
// is ready, else a new directory. A data dir that exists is kept.
func (e *Executor) makeDataDir(dataDir string) error {
	if e.spares.take(dataDir) {
		return nil
	}
	if err := os.Mkdir(dataDir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	return nil
}

// sparesFor is how many data dirs the tasks of the given orchestrations'
// first phases need when they start at once: those that run a process,
// at most the process limit.
func sparesFor(orchestrations []*spec.Orchestration, limit int) int {
	n := 0
	for _, o := range orchestrations {
		if len(o.Phases) == 0 {
			continue
		}
		for _, t := range o.Phases[0].Tasks {
			if t.Enabled && t.Orchestration == "" {
				n++
			}
		}
	}
	return min(n, limit)
}
