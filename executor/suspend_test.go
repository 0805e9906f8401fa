package executor

import (
	"context"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

const hourlyHCL = `
configuration "c" { command = ["true"] }
orchestration "hourly" {
  schedule { cron = "0 * * * *" }
  phase "p" {
    task "t" { configuration = "c" }
  }
}
orchestration "other" {
  schedule { cron = "0 * * * *" }
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`

func (e *env) suspend(name string, at time.Time) {
	e.t.Helper()
	if err := e.store.Suspend(context.Background(), state.Suspension{Orchestration: name, By: "alice", Reason: "test", At: at}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) fireDue(now time.Time) []state.Job {
	e.t.Helper()
	jobs, _, err := e.exec.FireDue(context.Background(), now)
	if err != nil {
		e.t.Fatal(err)
	}
	return jobs
}

// A suspended orchestration's schedule does not fire while the others'
// do, and instants that passed while it was suspended are not made up on
// resume: it fires again at its next instant.
func TestSuspendedOrchestrationDoesNotFire(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 20, 7, 30, 0, 0, time.UTC))
	e := newEnv(t, hourlyHCL, func(c *Config) { c.Clock = fake })
	e.fireDue(fake.Now()) // first sight
	e.suspend("hourly", fake.Now())
	fake.Advance(time.Hour) // 08:30: 08:00 passed
	jobs := e.fireDue(fake.Now())
	if len(jobs) != 1 || jobs[0].Orchestration != "other" {
		t.Fatalf("with hourly suspended fired %+v, want only other", jobs)
	}
	fake.Advance(3 * time.Hour) // 11:30: three more instants passed
	e.fireDue(fake.Now())
	if err := e.store.Resume(context.Background(), "hourly"); err != nil {
		t.Fatal(err)
	}
	for _, j := range e.fireDue(fake.Now()) {
		if j.Orchestration == "hourly" {
			t.Fatalf("resume made up an instant passed while suspended: %+v", j)
		}
	}
	fake.Advance(time.Hour) // 12:30: 12:00 is after the resume
	var names []string
	for _, j := range e.fireDue(fake.Now()) {
		names = append(names, j.Orchestration)
	}
	if len(names) != 2 {
		t.Errorf("after resume the next instant fired %v, want hourly and other", names)
	}
}

// A suspended orchestration's event trigger does not fire; updates made
// while it was suspended still count once it is resumed.
func TestSuspendedOrchestrationDoesNotFireOnTableUpdates(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, triggerHCL, func(c *Config) { c.Clock = fake })
	e.fireTriggers(fake.Now())
	e.suspend("report", fake.Now())
	fake.Advance(time.Hour)
	e.touch(fake.Now(), "in.c-shared.orders", "in.c-shared.customers")
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 0 {
		t.Fatalf("suspended trigger fired %+v", jobs)
	}
	if err := e.store.Resume(context.Background(), "report"); err != nil {
		t.Fatal(err)
	}
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 1 || jobs[0].Orchestration != "report" {
		t.Fatalf("after resume fired %+v, want report on the updates made meanwhile", jobs)
	}
}

// Suspending pauses only what fires unattended: a manual run of a
// suspended orchestration is queued and runs.
func TestManualRunOfASuspendedOrchestrationStillRuns(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 20, 7, 30, 0, 0, time.UTC))
	e := newEnv(t, hourlyHCL, func(c *Config) { c.Clock = fake })
	e.suspend("hourly", fake.Now())
	job := e.submit(Request{Orchestration: "hourly", Trigger: TriggerManual})
	e.runIdle()
	if got := e.job(job.ID); got.Status != state.JobSuccess {
		t.Errorf("manual run of a suspended orchestration ended %s, want success", got.Status)
	}
}
