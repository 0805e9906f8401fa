package executor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/baton-dev/baton/state"
)

const waitForGo = `
configuration "c" { command = ["sh", "-c", "touch $T/started; while [ ! -e $T/go ]; do sleep 0.01; done"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`

func TestTaskOutcomeIsStoredAfterAWriteLockHeldElsewhereIsReleased(t *testing.T) {
	e := newEnv(t, waitForGo)
	j := e.submit(Request{Orchestration: "o"})
	e.runBackground()
	e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "started")); return err == nil })

	// A second process-like connection holds the write lock of the real
	// state file while the task ends.
	db, err := sql.Open("sqlite3", filepath.Join(e.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the executor to report the state not writable", func() bool { return e.exec.StateWritable() != nil })
	if got := e.job(j.ID); got.Status.Terminal() {
		t.Fatalf("job = %s while the state was locked", got.Status)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Errorf("job = %s %q, want success: the task exited 0", got.Status, got.Message)
	}
	// The executor clears the fault once its write returned, just after
	// the commit the test saw: wait for it rather than race it.
	e.waitFor("StateWritable to report the state writable again", func() bool { return e.exec.StateWritable() == nil })
}

// fullDisk is a store whose writes of job transitions fail as SQLite's do
// on a full disk while full is set.
type fullDisk struct {
	state.Store
	full  atomic.Bool
	tries atomic.Int32
}

func (f *fullDisk) UpdateJobs(ctx context.Context, ts []state.JobTransition) error {
	if f.full.Load() {
		f.tries.Add(1)
		return fmt.Errorf("commit: %w", sqlite3.Error{Code: sqlite3.ErrFull})
	}
	return f.Store.UpdateJobs(ctx, ts)
}

func TestTaskOutcomeIsStoredOnceAFullDiskHasRoomAgain(t *testing.T) {
	var disk *fullDisk
	e := newEnv(t, waitForGo, func(c *Config) {
		disk = &fullDisk{Store: c.Store}
		c.Store = disk
	})
	j := e.submit(Request{Orchestration: "o"})
	e.runBackground()
	e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "started")); return err == nil })
	disk.full.Store(true)
	if err := os.WriteFile(filepath.Join(e.dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("writes to be retried", func() bool { return disk.tries.Load() >= 3 })
	if err := e.exec.StateWritable(); err == nil {
		t.Error("StateWritable = nil while every write fails")
	}
	disk.full.Store(false)
	e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Errorf("job = %s %q, want success: the task exited 0", got.Status, got.Message)
	}
	// As above: the fault is cleared just after the commit the test saw.
	e.waitFor("StateWritable to report the state writable again", func() bool { return e.exec.StateWritable() == nil })
}

// triedLease reports every attempt to take the executor lease.
type triedLease struct {
	state.Store
	tried chan error
}

func (s *triedLease) AcquireExecutor(ctx context.Context, holder string) (state.Lease, error) {
	l, err := s.Store.AcquireExecutor(ctx, holder)
	select {
	case s.tried <- err:
	default:
	}
	return l, err
}

func TestExecutorStartsWhileAnotherProcessLooksAtTheLease(t *testing.T) {
	var probe *triedLease
	e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) {
		probe = &triedLease{Store: c.Store, tried: make(chan error, 1)}
		c.Store = probe
	})
	j := e.submit(Request{Orchestration: "o"})
	// Like baton run --detach asking whether an executor runs.
	look, err := e.store.AcquireExecutor(context.Background(), "a look")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.exec.Run(context.Background(), RunOptions{UntilIdle: true})
		done <- err
	}()
	if err := <-probe.tried; !errors.Is(err, ErrBusy) {
		t.Fatalf("first attempt = %v, want busy", err)
	}
	if err := look.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want it to take the lease once the look is over", err)
	}
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Errorf("job = %s, want success", got.Status)
	}
}

func TestLeaseHeldLooksAgainBeforeItSaysAnotherProcessExecutes(t *testing.T) {
	e := newEnv(t, `configuration "c" { command = ["true"] }`)
	ctx := context.Background()
	held, err := e.store.AcquireExecutor(ctx, "an executor")
	if err != nil {
		t.Fatal(err)
	}
	if busy, err := LeaseHeld(ctx, e.store); err != nil || !busy {
		t.Errorf("LeaseHeld = %v, %v while an executor holds the lease; want true", busy, err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if busy, err := LeaseHeld(ctx, e.store); err != nil || busy {
		t.Errorf("LeaseHeld = %v, %v with no executor; want false", busy, err)
	}
}

// /readyz finds the state fault through this method (package health).
var _ interface{ StateWritable() error } = (*Executor)(nil)
