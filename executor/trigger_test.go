package executor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

func (e *env) touch(at time.Time, tables ...string) {
	e.t.Helper()
	var us []state.TableUpdate
	for _, tb := range tables {
		us = append(us, state.TableUpdate{Table: tb, At: at, Source: "api"})
	}
	if err := e.store.RecordTableUpdates(context.Background(), us...); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) fireTriggers(now time.Time) []state.Job {
	e.t.Helper()
	jobs, err := e.exec.FireTriggers(context.Background(), now)
	if err != nil {
		e.t.Fatal(err)
	}
	return jobs
}

// The manual: "Once all selected tables are updated since the last
// orchestration execution, the orchestration will run again." A manual run
// is an execution too: updates it consumed do not fire the trigger.
func TestTriggerCountsUpdatesSinceTheLastOrchestrationExecution(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, triggerHCL, func(c *Config) { c.Clock = fake })
	tables := []string{"in.c-shared.orders", "in.c-shared.customers"}
	for _, trigger := range []string{TriggerManual, TriggerAPI, TriggerRetry, TriggerSchedule} {
		fake.Advance(2 * time.Hour)
		e.touch(fake.Now(), tables...)
		fake.Advance(time.Minute)
		e.submit(Request{Orchestration: "report", Trigger: trigger})
		e.runIdle()
		fake.Advance(time.Minute)
		if jobs := e.fireTriggers(fake.Now()); len(jobs) != 0 {
			t.Fatalf("after a %s run fired again on updates it consumed: %+v", trigger, jobs)
		}
	}
	// New updates after the cool-down fire it.
	fake.Advance(time.Hour)
	e.touch(fake.Now(), tables...)
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 1 {
		t.Fatalf("new updates fired %d jobs, want 1", len(jobs))
	}
	// While that job is queued, further updates do not queue another: it
	// reads them when it starts.
	fake.Advance(time.Hour)
	e.touch(fake.Now(), tables...)
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 0 {
		t.Fatalf("fired again while a job was queued: %+v", jobs)
	}
}

// Updates within the cool-down after a manual execution are ignored too.
func TestTriggerCooldownCountsFromAnyExecution(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, triggerHCL, func(c *Config) { c.Clock = fake })
	fake.Advance(time.Minute)
	e.submit(Request{Orchestration: "report"})
	e.runIdle()
	fake.Advance(10 * time.Minute)
	e.touch(fake.Now(), "in.c-shared.orders", "in.c-shared.customers")
	fake.Advance(time.Hour)
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 0 {
		t.Fatalf("updates 10 minutes into a 50-minute cool-down fired %+v", jobs)
	}
}

// A trigger that is new, or whose table list changed, counts only updates
// after it was applied: applying it does not fire on old updates.
func TestNewTriggerCountsOnlyUpdatesAfterItWasApplied(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "report" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) { c.Clock = fake })
	fake.Advance(time.Minute)
	e.touch(fake.Now(), "a", "b")
	fake.Advance(time.Minute)
	withTrigger := func(tables string) string {
		return `
configuration "c" { command = ["true"] }
orchestration "report" {
  trigger { tables = [` + tables + `] }
  phase "p" {
    task "t" { configuration = "c" }
  }
}`
	}
	e.apply(withTrigger(`"a"`))
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 0 {
		t.Fatalf("a new trigger fired on an update from before it was applied: %+v", jobs)
	}
	fake.Advance(time.Minute)
	e.touch(fake.Now(), "a")
	fake.Advance(time.Minute)
	e.apply(withTrigger(`"a", "b"`)) // "a" is fresh, "b" is old
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 0 {
		t.Fatalf("a trigger whose tables changed fired on old updates: %+v", jobs)
	}
	fake.Advance(time.Minute)
	e.touch(fake.Now(), "a", "b")
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 1 {
		t.Fatalf("updates after the change fired %d jobs, want 1", len(jobs))
	}
}

// The manual: a scheduled run "runs as if the specified orchestration token
// triggered the execution"; so does an event run.
func TestUnattendedRunsAsIfTheOrchestrationTokenTriggeredIt(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, triggerHCL+`
orchestration "hourly" {
  schedule { cron = "0 * * * *" }
  phase "p" {
    task "t" { configuration = "report" }
  }
}`, func(c *Config) { c.Clock = fake })
	ctx := context.Background()
	for _, o := range []string{"report", "hourly"} {
		if err := e.store.RotateOrchestrationToken(ctx, state.Token{ID: "tok-" + o, Description: o, Orchestration: o, Scopes: []string{"orchestrations:run"}, CreatedAt: fake.Now()}, "hash-"+o, fake.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.exec.FireDue(ctx, fake.Now()); err != nil {
		t.Fatal(err)
	}
	fake.Advance(time.Hour)
	scheduled, _, err := e.exec.FireDue(ctx, fake.Now())
	if err != nil || len(scheduled) != 1 {
		t.Fatalf("FireDue = %v, %v", scheduled, err)
	}
	e.touch(fake.Now(), "in.c-shared.orders", "in.c-shared.customers")
	event := e.fireTriggers(fake.Now())
	if len(event) != 1 {
		t.Fatalf("FireTriggers = %v", event)
	}
	for _, tc := range []struct {
		job           state.Job
		trigger, want string
	}{{scheduled[0], TriggerSchedule, "token tok-hourly"}, {event[0], TriggerEvent, "token tok-report"}} {
		if tc.job.Trigger != tc.trigger || tc.job.TriggeredBy != tc.want {
			t.Errorf("job of %s: trigger %q by %q, want %q by %q", tc.job.Orchestration, tc.job.Trigger, tc.job.TriggeredBy, tc.trigger, tc.want)
		}
	}
}

// A chain of triggered jobs that comes back to an orchestration already in
// it is not fired: it is recorded skipped with the chain. (validate rejects
// such triggers; this guards revisions applied before that check.)
func TestTriggerLoopIsNotFiredAndSaysWhy(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	e := newEnv(t, `
configuration "ca" {
  command = ["true"]
  outputs = ["t1"]
}
configuration "cb" {
  command = ["true"]
  outputs = ["t2"]
}
orchestration "a" {
  phase "p" {
    task "t" { configuration = "ca" }
  }
}
orchestration "b" {
  trigger { tables = ["t1"] }
  phase "p" {
    task "t" { configuration = "cb" }
  }
}`, func(c *Config) { c.Clock = fake })
	s := e.parse(`
configuration "ca" {
  command = ["true"]
  outputs = ["t1"]
}
configuration "cb" {
  command = ["true"]
  outputs = ["t2"]
}
orchestration "a" {
  phase "p" {
    task "t" { configuration = "ca" }
  }
}
orchestration "b" {
  trigger { tables = ["t1"] }
  phase "p" {
    task "t" { configuration = "cb" }
  }
}`)
	for _, o := range s.Orchestrations {
		if o.Name == "a" {
			o.Trigger = &spec.Trigger{Tables: []string{"t2"}} // a <- b <- a, past the validator
		}
	}
	e.applySpec(s)
	fake.Advance(time.Minute)
	e.submit(Request{Orchestration: "a"})
	e.runIdle() // a updates t1
	fake.Advance(time.Minute)
	jobs := e.fireTriggers(fake.Now())
	if len(jobs) != 1 || jobs[0].Orchestration != "b" {
		t.Fatalf("after a: fired %+v, want b", jobs)
	}
	e.runIdle() // b updates t2
	fake.Advance(time.Minute)
	jobs = e.fireTriggers(fake.Now())
	if len(jobs) != 1 || jobs[0].Orchestration != "a" {
		t.Fatalf("after b: fired %+v, want the record of a's loop", jobs)
	}
	loop := e.job(jobs[0].ID)
	if loop.Status != state.JobSkipped || !LoopStopped(loop) || !strings.Contains(loop.Message, "a -> b -> a") {
		t.Fatalf("loop job: %s %q", loop.Status, loop.Message)
	}
	if ended := e.runIdle(); len(ended) != 0 {
		t.Fatalf("the loop ran: %+v", ended)
	}
	fake.Advance(time.Minute)
	if jobs := e.fireTriggers(fake.Now()); len(jobs) != 0 {
		t.Fatalf("the loop was recorded again: %+v", jobs)
	}
}

// A trigger that also waits for a table from outside is no loop: the
// outside update asks for the run, even though the orchestration's own
// output completes the trigger.
func TestTriggerWithAnOutsideTableIsNoLoop(t *testing.T) {
	e := newEnv(t, `
configuration "ca" {
  command = ["true"]
  outputs = ["own"]
}
orchestration "a" {
  trigger { tables = ["own", "ext"] }
  phase "p" {
    task "t" { configuration = "ca" }
  }
}`) // the real clock: a's output must come after its start
	for round := 0; round < 3; round++ {
		e.touch(time.Now().UTC(), "ext")
		if round == 0 {
			e.touch(time.Now().UTC(), "own")
		}
		jobs := e.fireTriggers(time.Now())
		if len(jobs) != 1 || LoopStopped(e.job(jobs[0].ID)) {
			t.Fatalf("round %d: fired %+v, want a job that runs", round, jobs)
		}
		e.runIdle() // a updates own
		if jobs := e.fireTriggers(time.Now()); len(jobs) != 0 {
			t.Fatalf("round %d: fired again without an outside update: %+v", round, jobs)
		}
	}
}
