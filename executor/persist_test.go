package executor

import (
	"context"
	"database/sql"
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
	if err := e.exec.StateWritable(); err != nil {
		t.Errorf("StateWritable = %v after the lock was released", err)
	}
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
	if err := e.exec.StateWritable(); err != nil {
		t.Errorf("StateWritable = %v after the disk had room again", err)
	}
}
