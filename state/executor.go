package state

import (
	"context"
	"errors"
)

// ErrBusy means another process executes jobs of the same state.
var ErrBusy = errors.New("another baton process is executing jobs for this state")

// ExecutorStore keeps one executor per state and wakes it: the executor
// holds a lease while it runs, and other processes (a CLI that submitted a
// job, cancelled one or reported a table update) wake it up.
type ExecutorStore interface {
	// AcquireExecutor takes the executor lease for holder (a description
	// such as "pid 42", shown to the next one that tries). It fails with
	// an error wrapping ErrBusy while another holds it.
	AcquireExecutor(ctx context.Context, holder string) (Lease, error)
	// ExecutorRunning reports whether some process holds the lease.
	ExecutorRunning(ctx context.Context) (bool, error)
	// Wake tells the executor (in any process) to look at the state again.
	Wake(ctx context.Context) error
	// WatchWake signals on the returned channel after Wake; the channel
	// holds at most one pending signal. The function stops the watch.
	WatchWake(ctx context.Context) (<-chan struct{}, func(), error)
}

// Lease is a held executor lease.
type Lease interface {
	// Lost is closed if the lease ends without Release (a backend that
	// could not renew it); the executor must then stop.
	Lost() <-chan struct{}
	// Release gives the lease up.
	Release() error
}
