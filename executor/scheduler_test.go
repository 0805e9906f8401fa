package executor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

const triggerHCL = `
configuration "report" {
  command = ["true"]
}
configuration "extract" {
  command = ["true"]
  outputs = ["in.c-shared.orders"]
}
orchestration "producer" {
  phase "p" {
    task "t" { configuration = "extract" }
  }
}
orchestration "report" {
  trigger {
    tables   = ["in.c-shared.orders", "in.c-shared.customers"]
    cooldown = "50m"
  }
  phase "p" {
    task "t" { configuration = "report" }
  }
}
`

// The manual's example: tables updated every 10 minutes, a cool-down of
// 50 minutes: the orchestration runs every 50 to 60 minutes.
func TestTriggerWithCooldownRunsFiftyToSixtyMinutesApart(t *testing.T) {
	start := time.Date(2026, 11, 25, 8, 3, 0, 0, time.UTC)
	fake := clock.NewFake(start)
	e := newEnv(t, triggerHCL, func(c *Config) { c.Clock = fake })
	ctx := context.Background()
	var runs []time.Time
	for step := 0; step < 6*24; step++ { // a day of updates
		fake.Advance(10 * time.Minute)
		now := fake.Now()
		// The two tables are updated a few minutes apart, as in real life.
		if err := e.store.RecordTableUpdates(ctx,
			state.TableUpdate{Table: "in.c-shared.orders", At: now, Source: "api"},
			state.TableUpdate{Table: "in.c-shared.customers", At: now.Add(-3 * time.Minute), Source: "api"},
		); err != nil {
			t.Fatal(err)
		}
		jobs, err := e.exec.FireTriggers(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		e.runIdle() // the execution starts now
		for _, j := range jobs {
			if j.Trigger != TriggerEvent || j.Orchestration != "report" {
				t.Fatalf("fired %+v", j)
			}
			runs = append(runs, now)
		}
	}
	if len(runs) < 20 {
		t.Fatalf("%d runs in a day, want about 24", len(runs))
	}
	for i := 1; i < len(runs); i++ {
		if gap := runs[i].Sub(runs[i-1]); gap < 50*time.Minute || gap > 60*time.Minute {
			t.Errorf("runs %v and %v are %v apart, want 50-60 minutes", runs[i-1], runs[i], gap)
		}
	}
}

func TestTriggerNeedsEveryTable(t *testing.T) {
	tr := &spec.Trigger{Tables: []string{"a", "b"}, Cooldown: spec.Duration(50 * time.Minute)}
	last := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		updated map[string]time.Time
		want    bool
	}{
		{"one table only", map[string]time.Time{"a": last.Add(time.Hour)}, false},
		{"both after the cool-down", map[string]time.Time{"a": last.Add(time.Hour), "b": last.Add(51 * time.Minute)}, true},
		{"one within the cool-down", map[string]time.Time{"a": last.Add(time.Hour), "b": last.Add(49 * time.Minute)}, false},
	} {
		if got := TriggerSatisfied(tr, tc.updated, last, time.Time{}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if !TriggerSatisfied(tr, map[string]time.Time{"a": last, "b": last}, time.Time{}, time.Time{}) {
		t.Error("a trigger that never ran ignores updates")
	}
	if TriggerSatisfied(tr, map[string]time.Time{"a": last, "b": last}, time.Time{}, last) {
		t.Error("a trigger counts updates from before it was applied")
	}
}

// A shared table updated by another orchestration's job triggers this one.
func TestOutputOfAnotherJobFiresTheTrigger(t *testing.T) {
	e := newEnv(t, triggerHCL)
	ctx := context.Background()
	if err := e.store.RecordTableUpdates(ctx, state.TableUpdate{Table: "in.c-shared.customers", At: time.Now().UTC(), Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := e.exec.FireTriggers(ctx, time.Now()); len(jobs) != 0 {
		t.Fatalf("fired with one table of two: %+v", jobs)
	}
	e.submit(Request{Orchestration: "producer"})
	e.runIdle()
	jobs, err := e.exec.FireTriggers(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Orchestration != "report" {
		t.Fatalf("after the producer's job: fired %+v, want report", jobs)
	}
}

// After downtime a missed fire runs once; each schedule fires at most once
// per due time; a schedule seen for the first time waits for its next time.
func TestFireDueRunsAMissedFireOnce(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC))
	e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "daily" {
  schedule {
    cron     = "0 6 * * *"
    timezone = "Europe/Prague"
  }
  schedule {
    cron = "0 5 * * *"
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) { c.Clock = fake })
	ctx := context.Background()
	jobs, next, err := e.exec.FireDue(ctx, fake.Now())
	if err != nil || len(jobs) != 0 {
		t.Fatalf("first sight fired %v (%v)", jobs, err)
	}
	if want := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("next fire = %v, want %v", next, want)
	}
	fake.Advance(3 * 24 * time.Hour) // down for three days
	jobs, _, err = e.exec.FireDue(ctx, fake.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Trigger != TriggerSchedule {
		t.Fatalf("after downtime fired %d jobs, want 1 (two schedules due, one job, no burst)", len(jobs))
	}
	if jobs, _, _ = e.exec.FireDue(ctx, fake.Now()); len(jobs) != 0 {
		t.Errorf("the same fire fired again: %d jobs", len(jobs))
	}
	fake.Advance(24 * time.Hour)
	if jobs, _, _ = e.exec.FireDue(ctx, fake.Now()); len(jobs) != 1 {
		t.Errorf("next day fired %d jobs, want 1", len(jobs))
	}
}

// A job running longer than 1.5 times the average of the last successful
// runs is reported long_running, once.
func TestLongRunningIsNotifiedOnce(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))
	e := newEnv(t, `
notification "ops" { webhook = "https://hooks.example.com/baton" }
configuration "block" { command = ["sh", "-c", "touch $T/started-$BATON_RUN_ID; `+waitFile+`; rm $T/release", "sh", "release"] }
orchestration "o" {
  notify {
    on = ["long_running"]
    to = ["ops"]
  }
  phase "p" {
    task "t" { configuration = "block" }
  }
}`, func(c *Config) { c.Clock = fake })
	ctx := context.Background()
	e.runBackground()
	run := func(advance time.Duration, wantTimers int) state.Job {
		j, err := e.exec.Submit(ctx, Request{Orchestration: "o", Trigger: TriggerSchedule})
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("task started", func() bool {
			_, err := os.Stat(filepath.Join(e.dir, fmt.Sprintf("started-%d", j.ID)))
			return err == nil
		})
		if err := fake.WaitForTimers(ctx, wantTimers); err != nil {
			t.Fatal(err)
		}
		fake.Advance(advance)
		return j
	}
	release := func(j state.Job) {
		if err := os.WriteFile(filepath.Join(e.dir, "release"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	}
	first := run(10*time.Minute, 0) // no history: no timer
	release(first)
	second := run(16*time.Minute, 1) // 16 min > 1.5 x 10 min
	e.waitFor("long_running notification", func() bool {
		pending, _ := e.store.PendingOutbox(ctx, fake.Now(), 10)
		return len(pending) == 1 && pending[0].Event == "long_running" && pending[0].JobID == second.ID
	})
	release(second)
	pending, _ := e.store.PendingOutbox(ctx, fake.Now(), 10)
	if len(pending) != 1 {
		t.Errorf("%d notifications, want the one long_running", len(pending))
	}
}
