package executor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

// slowStartRunner starts task "slow" only when released; every process
// ends at once.
type slowStartRunner struct {
	release  chan struct{}
	returned atomic.Bool // the slow start returned
}

func (r *slowStartRunner) Start(_ context.Context, c Command) (Process, error) {
	if envValue(c.Env, "BATON_TASK") == "slow" {
		<-r.release
		r.returned.Store(true)
	}
	p := &fakeProcess{done: make(chan struct{})}
	close(p.done)
	return p, nil
}

// endObserver notes whether task "quick" was recorded as ended before the
// slow start returned.
type endObserver struct {
	r     *slowStartRunner
	ended chan struct{}
	early atomic.Bool
}

func (o *endObserver) JobChanged(j state.Job, _ state.JobStatus) {
	if j.Task == "quick" && j.Status.Terminal() {
		o.early.Store(!o.r.returned.Load())
		close(o.ended)
	}
}

func (o *endObserver) ScheduleFired(state.Job, time.Time) {}

// The end of a task is recorded only once the processes launched with it
// have started: a burst of starts has the CPU before the bookkeeping.
func TestEndedTasksWaitForTheStartsInFlight(t *testing.T) {
	r := &slowStartRunner{release: make(chan struct{})}
	o := &endObserver{r: r, ended: make(chan struct{})}
	e := newEnv(t, `
project { max_parallel_jobs = 4 }
configuration "c1" { command = ["true"] }
configuration "c2" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "quick" { configuration = "c1" }
    task "slow" { configuration = "c2" }
  }
}`, func(c *Config) {
		c.Runner, c.Observer = r, o
		// The hold's bound never passes: only the start ends it.
		c.Clock = clock.NewFake(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	})
	e.exec.starts.burstOver = 1 // two starts make a burst
	e.runBackground()
	j := e.submit(Request{Orchestration: "o"})
	// Without the hold, the quick task's end is recorded while the slow
	// one is still starting; give that every chance to show.
	select {
	case <-o.ended:
	case <-time.After(300 * time.Millisecond):
	}
	close(r.release)
	<-o.ended
	if o.early.Load() {
		t.Error("a task's end was recorded while a process launched with it was still starting")
	}
	e.waitFor("the job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Errorf("job = %s: %s", got.Status, statuses(got))
	}
}

// Only a burst of starts holds work back, and a start that hangs holds it
// back for holdStarts at the most: the executor goes on.
func TestOnlyABurstOfStartsHoldsWorkBackAndNotForLong(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	s := newStartsInFlight(fake)
	s.burstOver = 1
	end := s.begin()
	if _, hold := s.holding(); hold {
		t.Fatal("a single start held work back")
	}
	end2 := s.begin()
	if _, hold := s.holding(); !hold {
		t.Fatal("no hold while a burst of starts is in flight")
	}
	fake.Advance(holdStarts)
	if _, hold := s.holding(); hold {
		t.Error("still holding after holdStarts")
	}
	end()
	end2()
	select {
	case <-s.quiet:
	default:
		t.Error("the end of the last start did not signal quiet")
	}
}
