package statetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// testSuspensionsAreRecordedReplacedAndLifted: a suspension keeps who,
// why and when; suspending again replaces it; another handle sees it;
// resuming lifts it, and resuming what is not suspended is ErrNotFound.
func testSuspensionsAreRecordedReplacedAndLifted(t *testing.T, open func() state.Store) {
	ctx := context.Background()
	a, b := open(), open()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC)
	if err := a.Suspend(ctx, state.Suspension{Orchestration: "nightly", By: "alice", Reason: "warehouse migration", At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := a.Suspend(ctx, state.Suspension{Orchestration: "hourly", By: "bob", At: t0}); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Minute)
	if err := a.Suspend(ctx, state.Suspension{Orchestration: "nightly", By: "carol", Reason: "still migrating", At: later}); err != nil {
		t.Fatal(err)
	}
	list, err := b.Suspensions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Orchestration != "hourly" || list[1].Orchestration != "nightly" {
		t.Fatalf("Suspensions = %+v, want hourly and nightly by name", list)
	}
	if n := list[1]; n.By != "carol" || n.Reason != "still migrating" || !n.At.Equal(later) || n.At.Location() != time.UTC {
		t.Errorf("nightly = %+v, want the later suspension by carol at %s", n, later)
	}
	if err := b.Resume(ctx, "nightly"); err != nil {
		t.Fatal(err)
	}
	if err := a.Resume(ctx, "nightly"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Resume of what is not suspended = %v, want ErrNotFound", err)
	}
	list, err = a.Suspensions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Orchestration != "hourly" {
		t.Errorf("after resume: %+v, want only hourly", list)
	}
}
