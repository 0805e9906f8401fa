package statetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// testOneExecutorHoldsTheLease: while one handle holds the executor lease,
// another cannot take it and sees it held, with the holder named; after
// Release it can.
func testOneExecutorHoldsTheLease(t *testing.T, open func() state.Store) {
	ctx := context.Background()
	a, b := open(), open()
	if running, err := b.ExecutorRunning(ctx); err != nil || running {
		t.Fatalf("ExecutorRunning before any lease = %v %v, want false", running, err)
	}
	lease, err := a.AcquireExecutor(ctx, "pid 4242")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.AcquireExecutor(ctx, "pid 1")
	if !errors.Is(err, state.ErrBusy) {
		t.Fatalf("second AcquireExecutor = %v, want ErrBusy", err)
	}
	if !strings.Contains(err.Error(), "pid 4242") {
		t.Errorf("ErrBusy does not name the holder: %v", err)
	}
	if running, err := b.ExecutorRunning(ctx); err != nil || !running {
		t.Errorf("ExecutorRunning while held = %v %v, want true", running, err)
	}
	select {
	case <-lease.Lost():
		t.Fatal("a held lease reports itself lost")
	default:
	}
	if err := lease.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := b.AcquireExecutor(ctx, "pid 1")
	if err != nil {
		t.Fatalf("AcquireExecutor after Release = %v", err)
	}
	if err := again.Release(); err != nil {
		t.Fatal(err)
	}
}

// testWakeReachesAnotherHandle: a Wake on one handle signals a watch on
// another (the CLI waking a running executor).
func testWakeReachesAnotherHandle(t *testing.T, open func() state.Store) {
	ctx := context.Background()
	executor, cli := open(), open()
	wake, stop, err := executor.WatchWake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := cli.Wake(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(30 * time.Second):
		t.Fatal("no wake-up within 30 s of Wake")
	}
}

// testWritesAreSeenByAnotherHandle: what one handle commits, another reads.
func testWritesAreSeenByAnotherHandle(t *testing.T, open func() state.Store) {
	ctx := context.Background()
	a, b := open(), open()
	j := newJob(t, a, "o", 1)
	got, err := b.Job(ctx, j.ID)
	if err != nil || got.Orchestration != "o" || len(got.Tasks) != 1 {
		t.Errorf("other handle reads %+v, %v", got, err)
	}
	if _, err := b.Job(ctx, j.ID+100); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("missing job = %v, want ErrNotFound", err)
	}
}
