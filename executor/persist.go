package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/baton-dev/baton/state"
)

// stateFault is the last failed write to the state, kept while writes fail.
type stateFault struct {
	err   error
	since time.Time
}

// StateWritable reports nil while the executor stores its transitions, and
// an error saying since when and why while it cannot (the database is
// locked by another process, the disk is full): /readyz reports it. The
// executor keeps the outcomes in memory meanwhile and stores them once the
// state is writable again.
func (e *Executor) StateWritable() error {
	f := e.fault.Load()
	if f == nil {
		return nil
	}
	return fmt.Errorf("state not writable since %s: %w", f.since.Format(time.RFC3339), f.err)
}

// giveUpAfterStop bounds how long a stopping executor keeps retrying a
// write; what it could not store is recovered as terminated by the next.
const giveUpAfterStop = 30 * time.Second

// storeRetrying runs write until it succeeds, backing off between tries.
// A transient fault (a write lock held elsewhere, a full disk) never ends
// the executor: it is logged loudly and shown by StateWritable until a
// write succeeds. Only a conflict (a job whose status another process
// changed) or the end of stop (ctx, after giveUpAfterStop) returns an
// error.
func (e *Executor) storeRetrying(stop context.Context, what string, write func(context.Context) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	unwatch := context.AfterFunc(stop, func() {
		t := e.clock.NewTimer(giveUpAfterStop)
		go func() {
			defer t.Stop()
			select {
			case <-t.C():
				cancel()
			case <-ctx.Done():
			}
		}()
	})
	defer unwatch()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 100 * time.Millisecond
	b.MaxInterval = 5 * time.Second
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := write(context.WithoutCancel(ctx))
		if errors.Is(err, state.ErrStatusChanged) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, next time.Duration) {
		f := e.fault.Load()
		if f == nil {
			f = &stateFault{since: e.clock.Now().UTC()}
		}
		e.fault.Store(&stateFault{err: err, since: f.since})
		e.cfg.Logger.Error("STATE NOT WRITABLE: outcomes are kept in memory and stored when it is writable again; check locks on the state file and free disk space",
			"writing", what, "since", f.since, "retry_in", next, "error", err)
	}))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if f := e.fault.Swap(nil); f != nil {
		e.cfg.Logger.Warn("state writable again; stored what was kept in memory", "writing", what, "after", e.clock.Now().UTC().Sub(f.since).Round(time.Millisecond))
	}
	return nil
}

// busyFor is how long Run tries again for a lease another process holds.
const busyFor = time.Second

// acquire takes the executor lease. A process that only looks whether an
// executor runs (baton run --detach, a cancel) holds the lease for an
// instant; a busy lease is tried again for a moment so that such a look
// never makes an executor that starts meanwhile fail.
func (e *Executor) acquire(ctx context.Context) (state.Lease, error) {
	return retryBusy(ctx, func() (state.Lease, error) { return e.store.AcquireExecutor(ctx, holder()) })
}

// LeaseHeld reports whether another process executes jobs of the state. A
// lease that is held is looked at again for a moment, for the same reason
// as in Run: another process may only be looking too.
func LeaseHeld(ctx context.Context, st state.ExecutorStore) (bool, error) {
	_, err := retryBusy(ctx, func() (struct{}, error) {
		running, err := st.ExecutorRunning(ctx)
		if err == nil && running {
			err = ErrBusy
		}
		return struct{}{}, err
	})
	if errors.Is(err, ErrBusy) {
		return true, nil
	}
	return false, err
}

// retryBusy calls try until it does not fail with ErrBusy, for at most
// busyFor.
func retryBusy[T any](ctx context.Context, try func() (T, error)) (T, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 10 * time.Millisecond
	b.MaxInterval = 200 * time.Millisecond
	return backoff.Retry(ctx, func() (T, error) {
		v, err := try()
		if err != nil && !errors.Is(err, ErrBusy) {
			return v, backoff.Permanent(err)
		}
		return v, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(busyFor))
}
