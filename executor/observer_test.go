package executor

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

type recordingObserver struct {
	mu      sync.Mutex
	changes []string
	fires   []time.Duration
}

func (o *recordingObserver) JobChanged(j state.Job, from state.JobStatus) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.changes = append(o.changes, string(j.Kind)+" "+j.Task+" "+string(from)+"->"+string(j.Status))
}

func (o *recordingObserver) ScheduleFired(j state.Job, due time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fires = append(o.fires, j.CreatedAt.Sub(due))
}

// The observer hears of every stored transition of a job and its tasks,
// with the status each came from.
func TestObserverHearsEveryTransitionOnceStored(t *testing.T) {
	obs := &recordingObserver{}
	e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) { c.Observer = obs })
	e.submit(Request{Orchestration: "o", Trigger: TriggerManual})
	e.runIdle()
	want := []string{
		"orchestration  created->processing",
		"task t created->processing",
		"task t processing->success",
		"orchestration  processing->success",
	}
	for _, w := range want {
		if !slices.Contains(obs.changes, w) {
			t.Errorf("observer did not hear %q; heard %q", w, obs.changes)
		}
	}
}

// A schedule fire reports how long after its due instant the job was
// created.
func TestObserverHearsScheduleLag(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC))
	obs := &recordingObserver{}
	e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "hourly" {
  schedule { cron = "0 * * * *" }
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) { c.Clock = fake; c.Observer = obs })
	ctx := context.Background()
	if _, _, err := e.exec.FireDue(ctx, fake.Now()); err != nil {
		t.Fatal(err)
	}
	fake.Advance(30 * time.Minute)
	if jobs, _, err := e.exec.FireDue(ctx, fake.Now()); err != nil || len(jobs) != 0 {
		t.Fatalf("fired before due: %v %v", jobs, err)
	}
	fake.Advance(40 * time.Minute) // due at 08:00, fired at 08:10
	if jobs, _, err := e.exec.FireDue(ctx, fake.Now()); err != nil || len(jobs) != 1 {
		t.Fatalf("fired %v %v, want one job", jobs, err)
	}
	if len(obs.fires) != 1 || obs.fires[0] != 10*time.Minute {
		t.Errorf("schedule lags = %v, want [10m]", obs.fires)
	}
}
