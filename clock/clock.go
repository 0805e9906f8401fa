// Package clock is baton's source of time. Every time-dependent component
// takes a Clock, so tests drive time with a Fake instead of sleeping.
package clock

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of time.Timer that baton uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Real returns the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Fake is a clock that moves only when told to. It is safe for concurrent
// use. Its timers behave like time.Timer since Go 1.23: a fire never blocks,
// and Stop or Reset discard a value the receiver has not taken yet, so code
// written against the real clock sees no stale fires under the fake.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer  // armed, in no particular order
	changed chan struct{} // closed and replaced whenever the armed set changes
}

// NewFake returns a fake clock at start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer arms a timer that fires when the fake time reaches now+d; d <= 0
// fires at once.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// Advance moves the time forward by d and fires every timer that became due,
// in deadline order. A negative d panics, as Set does.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.moveLocked(f.now.Add(d))
}

// Set moves the time to t and fires every timer that became due, in deadline
// order. Time never goes back: a t before the current time panics.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.moveLocked(t)
}

func (f *Fake) moveLocked(t time.Time) {
	if t.Before(f.now) {
		panic(fmt.Sprintf("clock.Fake: cannot move time back from %v to %v", f.now, t))
	}
	f.now = t
	slices.SortStableFunc(f.timers, func(a, b *fakeTimer) int { return a.when.Compare(b.when) })
	due := 0
	for due < len(f.timers) && !f.timers[due].when.After(t) {
		// A timer delivers its deadline, as a real one delivers (about)
		// the moment it fired, however far one call moves the time.
		f.timers[due].fire(f.timers[due].when)
		due++
	}
	if due > 0 {
		f.timers = slices.Delete(f.timers, 0, due)
		f.signalLocked()
	}
}

// Pending counts the timers that are armed: neither fired nor stopped.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitForTimers blocks until at least n timers are armed: the code under
// test is then asleep on the clock and Advance will wake it. It returns
// ctx's error, with the count it saw, if that never happens.
func (f *Fake) WaitForTimers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		armed, changed := len(f.timers), f.changed
		f.mu.Unlock()
		if armed >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for %d armed timers (%d armed): %w", n, armed, ctx.Err())
		}
	}
}

// signalLocked wakes every WaitForTimers.
func (f *Fake) signalLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// disarmLocked removes t from the armed set and discards a fire nobody has
// received; it reports whether it stopped either.
func (f *Fake) disarmLocked(t *fakeTimer) bool {
	stopped := false
	if i := slices.Index(f.timers, t); i >= 0 {
		f.timers = slices.Delete(f.timers, i, i+1)
		f.signalLocked()
		stopped = true
	}
	select {
	case <-t.c:
		stopped = true
	default:
	}
	return stopped
}

type fakeTimer struct {
	f    *Fake
	c    chan time.Time
	when time.Time // guarded by f.mu
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

// fire delivers like time.Timer: into a buffer of one, never blocking.
func (t *fakeTimer) fire(at time.Time) {
	select {
	case t.c <- at:
	default:
	}
}

// Stop disarms the timer; it reports whether that prevented a fire the
// receiver would otherwise have seen.
func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.f.disarmLocked(t)
}

// Reset rearms the timer to fire d after the fake now (at once for d <= 0);
// it reports what Stop would have.
func (t *fakeTimer) Reset(d time.Duration) bool {
	f := t.f
	f.mu.Lock()
	defer f.mu.Unlock()
	stopped := f.disarmLocked(t)
	t.when = f.now.Add(d)
	if d <= 0 {
		t.fire(f.now)
		return stopped
	}
	f.timers = append(f.timers, t)
	f.signalLocked()
	return stopped
}
