package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// lostLease is a held lease whose loss the test decides.
type lostLease struct{ lost chan struct{} }

func (l *lostLease) Lost() <-chan struct{} { return l.lost }
func (l *lostLease) Release() error        { return nil }

// TestALostLeaseStopsTheTasksAtOnce: when the executor lease is lost
// (another node may lead now), Run stops its running tasks without the
// shutdown grace and returns ErrLeaseLost, so its caller stands by instead
// of taking it for a clean stop.
func TestALostLeaseStopsTheTasksAtOnce(t *testing.T) {
	e := newEnv(t, `
configuration "c" { command = ["sh", "-c", "touch $T/started; sleep 300"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`)
	j := e.submit(Request{Orchestration: "o"})
	lease := &lostLease{lost: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := e.exec.Run(context.Background(), RunOptions{Lease: lease, Grace: time.Hour})
		done <- err
	}()
	e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "started")); return err == nil })
	close(lease.lost)
	if err := <-done; !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("Run = %v, want ErrLeaseLost", err)
	}
	task := e.job(j.ID).Tasks[0]
	if !task.Status.Terminal() {
		t.Errorf("task = %s after the lease was lost, want it stopped", task.Status)
	}
	if task.Status == state.JobSuccess {
		t.Errorf("task = success; it was sleeping for 300 s")
	}
}

// A Run stopped before it got going (a SIGTERM as baton watch starts) ends
// as a stop, not with the error of the read the stop cut short; a lease lost
// meanwhile still says so.
func TestARunStoppedAsItStartsEndsWithoutError(t *testing.T) {
	e := newEnv(t, `configuration "c" { command = ["true"] }`)
	stopped, stop := context.WithCancel(context.Background())
	stop()
	if _, err := e.exec.Run(stopped, RunOptions{}); err != nil {
		t.Errorf("Run stopped as it starts = %v, want no error", err)
	}
	lost := &lostLease{lost: make(chan struct{})}
	close(lost.lost)
	if _, err := e.exec.Run(context.Background(), RunOptions{Lease: lost}); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Run with its lease lost as it starts = %v, want ErrLeaseLost", err)
	}
}
