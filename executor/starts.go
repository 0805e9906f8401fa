package executor

import (
	"runtime"
	"sync"
	"time"

	"github.com/baton-dev/baton/clock"
)

// holdStarts bounds how long the dispatcher holds back the bookkeeping of
// ended tasks while processes it launched are starting: a start that hangs
// (an exec on a dead network file system) must not stop the executor.
const holdStarts = 50 * time.Millisecond

// startsInFlight counts the task processes launched whose start has not
// returned yet. While any is, spare data dirs are not made; and while a
// burst of more starts than there are CPUs is in flight, the work that need
// not come before them waits too: the dispatcher's rounds for tasks that
// ended (a transaction each) and the long_running timers of the runs that
// started (a query each). On two cores a burst of twenty starts takes the
// CPU for ten milliseconds; that work would double it. A start or two at a
// time (a wide phase under a small limit) holds nothing back: there the
// rounds and the starts keep both cores busy side by side.
type startsInFlight struct {
	clock clock.Clock
	// burstOver is the number of starts in flight at once above which
	// work is held back: the number of CPUs.
	burstOver int
	// quiet is signalled when the last start in flight returned.
	quiet chan struct{}
	// onQuiet, if set, runs then too (it must not block).
	onQuiet func()

	mu    sync.Mutex
	n     int
	burst int       // starts begun since none was in flight
	since time.Time // when the starts in flight began
}

func newStartsInFlight(c clock.Clock) *startsInFlight {
	return &startsInFlight{clock: c, quiet: make(chan struct{}, 1), burstOver: runtime.NumCPU()}
}

// begin notes a start in flight; the function it returns ends it.
func (s *startsInFlight) begin() func() {
	s.mu.Lock()
	if s.n == 0 {
		s.since, s.burst = s.clock.Now(), 0
	}
	s.n++
	s.burst++
	s.mu.Unlock()
	return sync.OnceFunc(func() {
		s.mu.Lock()
		s.n--
		quiet := s.n == 0
		s.mu.Unlock()
		if quiet {
			select {
			case s.quiet <- struct{}{}:
			default:
			}
			if s.onQuiet != nil {
				s.onQuiet()
			}
		}
	})
}

// busy reports whether a start is in flight.
func (s *startsInFlight) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n > 0
}

// holding says whether work is held back for a burst of starts in
// flight, and for how much longer at the most.
func (s *startsInFlight) holding() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 || s.burst <= s.burstOver {
		return 0, false
	}
	left := holdStarts - s.clock.Now().Sub(s.since)
	return left, left > 0
}

// nextEvents is where the dispatcher's loop takes its next event from:
// nowhere while processes are starting (and it is not draining), until
// resume or expire says the hold is over.
func (d *dispatcher) nextEvents() (events <-chan event, resume <-chan struct{}, expire <-chan time.Time) {
	left, hold := d.e.starts.holding()
	if !hold || d.draining {
		return d.e.events, nil, nil
	}
	if d.hold == nil {
		d.hold = d.e.clock.NewTimer(left)
	} else {
		d.hold.Reset(left)
	}
	return nil, d.e.starts.quiet, d.hold.C()
}
