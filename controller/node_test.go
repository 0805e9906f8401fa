package controller

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
)

// The node that led until another could take the lead is lost at once only
// when its session ended while the database server ran; one last heard of
// before the server restarted lost only its session, and its lease counts
// from the new lead like every node's.
func TestALeaderIsLostOnlyWhenItsSessionEndedWhileTheServerRan(t *testing.T) {
	restart := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name          string
		heartbeat     time.Time
		serverStarted time.Time
		lost          bool
	}{
		{"heard of after the server started: it died or was cut off", restart.Add(time.Second), restart, true},
		{"heard of at the instant the server started", restart, restart, true},
		{"last heard of before the server restarted", restart.Add(-time.Second), restart, false},
		{"the server's start unknown (SQLite, or not read)", restart.Add(-time.Hour), time.Time{}, true},
	} {
		if got := leaderLost(state.Node{Name: "n1", Leading: true, HeartbeatAt: c.heartbeat}, c.serverStarted); got != c.lost {
			t.Errorf("%s: lost = %v, want %v", c.name, got, c.lost)
		}
	}
}

// leaseStore hands out leases the test loses at will.
type leaseStore struct {
	state.Store
	leases chan *testLease
}

type testLease struct {
	lost      chan struct{}
	onRelease func()
}

func (l *testLease) Lost() <-chan struct{} { return l.lost }
func (l *testLease) Release() error {
	if l.onRelease != nil {
		l.onRelease()
	}
	return nil
}

func (s *leaseStore) AcquireExecutor(ctx context.Context, holder string) (state.Lease, error) {
	select {
	case l := <-s.leases:
		return l, nil
	default:
		return nil, fmt.Errorf("%w (the test holds the lease)", state.ErrBusy)
	}
}

// A watcher told to stop just as it lost the executor lease (a restart of
// the database ends the lease's session; the stop came before it stood by
// or exited for it) stops cleanly, as a node or alone, whether it led by
// then or was still reading the state to start: it was stopping anyway.
// One that exited with an error looked crashed to its service manager.
func TestAWatcherStoppedAsItLosesTheLeaseStopsCleanly(t *testing.T) {
	for _, node := range []*Node{{Name: "n1"}, nil} {
		for _, starting := range []bool{false, true} {
			name := map[bool]string{true: "node", false: "alone"}[node != nil] + map[bool]string{true: "/as it starts", false: "/while it leads"}[starting]
			t.Run(name, func(t *testing.T) {
				f := newFixture(t)
				ctx, stop := context.WithCancel(context.Background())
				defer stop()
				lease := &testLease{lost: make(chan struct{}), onRelease: stop}
				if starting {
					close(lease.lost)
				}
				store := &leaseStore{Store: f.store, leases: make(chan *testLease, 1)}
				store.leases <- lease
				f.rec.Store = store
				dir := t.TempDir()
				ex := executor.New(executor.Config{Store: store, Clock: f.clock, JobsDir: filepath.Join(dir, "jobs"), SourceDir: f.rec.Source.Root})
				reconciled := make(chan error, 16)
				w := &Controller{Reconciler: f.rec, Executor: ex, Clock: f.clock, Interval: time.Minute, Reconciled: reconciled, Node: node}
				done := make(chan error, 1)
				go func() { done <- w.Run(ctx) }()
				if !starting {
					select {
					case err := <-reconciled:
						if err != nil {
							t.Fatal(err)
						}
					case err := <-done:
						t.Fatalf("the watcher ended before it led: %v", err)
					}
					close(lease.lost)
				}
				if err := <-done; err != nil {
					t.Errorf("the watcher stopped with %v, want a clean stop", err)
				}
			})
		}
	}
}
